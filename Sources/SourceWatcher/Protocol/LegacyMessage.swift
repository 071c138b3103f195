import NIOCore

/// One message of a legacy (magic 0 or 1) message set, as very old topics still hold them.
/// A compressed message is a wrapper around an inner message set; exporterd does not open
/// it and reports the wrapper itself: its offset is that of the last inner message and (v1)
/// its timestamp the largest inner one (or the append time, with LogAppendTime).
public struct LegacyMessage: Sendable, Equatable {
    public var offset: Int64
    public var magic: Int8
    public var crc: UInt32
    public var attributes: Int8
    /// Nil for magic 0, which has no timestamps, and for the "no timestamp" value −1.
    public var timestamp: Int64?
    /// Nil when null, and for compressed wrappers (their value is the inner message set).
    public var key: [UInt8]?
    public var value: [UInt8]?

    public var compression: CompressionCodec {
        CompressionCodec(rawValue: Int(attributes) & 0x07) ?? .none
    }

    /// Bit 3 exists only from magic 1 on.
    public var timestampType: TimestampType {
        magic >= 1 && attributes & 0x08 != 0 ? .logAppendTime : .createTime
    }

    /// Message size after the length field without key and value: crc, magic, attributes,
    /// (v1) timestamp, key length, value length.
    static func minimumLength(magic: Int8) -> Int { magic == 0 ? 14 : 22 }
}

extension LegacyMessage {
    /// Decodes one whole message: `bytes` holds exactly offset, length and message, the
    /// length already checked against the limits and `minimumLength` by the caller.
    init(decoding bytes: ByteBuffer) throws(RecordBatchError) {
        var reader = bytes
        offset = reader.readInteger()!
        _ = reader.readInteger(as: Int32.self)!
        crc = reader.readInteger()!
        let covered = reader.withUnsafeReadableBytes { Checksum.crc32($0) }
        guard covered == crc else {
            throw .crcMismatch(batchOffset: offset, stored: crc, computed: covered)
        }
        magic = reader.readInteger()!
        attributes = reader.readInteger()!
        timestamp = nil
        if magic >= 1 {
            let stored: Int64 = reader.readInteger()!
            timestamp = stored == -1 ? nil : stored
        }
        // Legacy formats had no zstd: codecs 0–3 only.
        guard Int(attributes) & 0x07 <= CompressionCodec.lz4.rawValue else {
            throw .unknownCompressionCodec(batchOffset: offset, codecBits: Int(attributes) & 0x07)
        }
        key = try Self.bytes(from: &reader, offset: offset, length: .keyLength, content: .key)
        value = try Self.bytes(from: &reader, offset: offset, length: .valueLength, content: .value)
        guard reader.readableBytes == 0 else {
            throw .malformedLegacyMessage(offset: offset, field: .unusedBytes)
        }
        if compression != .none { value = nil }
    }

    /// Int32 length then bytes; −1 is null.
    private static func bytes(
        from reader: inout ByteBuffer, offset: Int64,
        length lengthField: RecordBatchError.RecordField, content: RecordBatchError.RecordField
    ) throws(RecordBatchError) -> [UInt8]? {
        guard let length = reader.readInteger(as: Int32.self), length >= -1 else {
            throw .malformedLegacyMessage(offset: offset, field: lengthField)
        }
        if length == -1 { return nil }
        guard let bytes = reader.readBytes(length: Int(length)) else {
            throw .malformedLegacyMessage(offset: offset, field: content)
        }
        return bytes
    }
}
