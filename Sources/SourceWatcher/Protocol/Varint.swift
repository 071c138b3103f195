import NIOCore

/// Kafka's zigzag varints (protobuf style), used inside v2 records.
extension ByteBuffer {
    /// A zigzag varint that must fit an Int32 (at most 5 bytes); nil when the bytes run out,
    /// the encoding runs longer, or the value does not fit.
    mutating func readKafkaVarint() -> Int32? {
        readZigZag(maxBytes: 5).flatMap { Int32(exactly: $0) }
    }

    /// A zigzag varlong (at most 10 bytes); nil when the bytes run out or it runs longer.
    mutating func readKafkaVarlong() -> Int64? {
        readZigZag(maxBytes: 10)
    }

    private mutating func readZigZag(maxBytes: Int) -> Int64? {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        for _ in 0..<maxBytes {
            guard let byte = readInteger(as: UInt8.self) else { return nil }
            raw |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
            }
            shift += 7
        }
        return nil
    }
}
