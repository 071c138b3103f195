import NIOCore

/// The record decoder's view of Kafka's zigzag varints: the wire readers of WireFormat.swift,
/// with "does not decode" as nil because the record decoder reports its own, richer error
/// (batch offset, record index, field).
extension ByteBuffer {
    /// A zigzag varint that fits an Int32 (at most 5 bytes).
    mutating func readKafkaVarint() -> Int32? {
        try? readVarint("Record", "varint")
    }

    /// A zigzag varlong (at most 10 bytes).
    mutating func readKafkaVarlong() -> Int64? {
        try? readVarlong("Record", "varlong")
    }
}
