/// Why a Fetch answer's `records` bytes could not be decoded. Every case names the offset
/// of the batch (or legacy message) it was found in, as read from its first 8 bytes, so a
/// log line points at the place in the partition.
public enum RecordBatchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The batch length field is negative.
    case negativeLength(batchOffset: Int64, length: Int32)
    /// The batch length field is larger than `RecordBatchLimits.maxBatchBytes`.
    case lengthExceedsLimit(batchOffset: Int64, length: Int32, limit: Int)
    /// The batch length field is too small to hold the header its magic implies.
    case lengthTooSmall(batchOffset: Int64, length: Int32, minimum: Int)
    /// Magic byte other than 0, 1 or 2.
    case unsupportedMagic(batchOffset: Int64, magic: Int8)
    /// Stored checksum differs from the one computed (CRC-32C for v2, CRC-32 for v0/v1).
    case crcMismatch(batchOffset: Int64, stored: UInt32, computed: UInt32)
    /// Compression codec bits 5–7 (v2) or 4–7 (legacy): no such codec.
    case unknownCompressionCodec(batchOffset: Int64, codecBits: Int)
    /// The compressed body is not valid for its codec (corrupt or cut short).
    case decompressionFailed(batchOffset: Int64, codec: CompressionCodec)
    /// The decompressed body would exceed `RecordBatchLimits.maxDecompressedBytes`.
    case decompressedSizeExceedsLimit(batchOffset: Int64, limit: Int)
    /// The record count field is negative or more than the body's bytes could hold.
    case invalidRecordCount(batchOffset: Int64, count: Int32)
    /// Record number `recordIndex` (0-based) of the batch has a bad or cut-short `field`.
    case malformedRecord(batchOffset: Int64, recordIndex: Int, field: RecordField)
    /// Bytes left in the batch body after its declared records.
    case trailingBytes(batchOffset: Int64, count: Int)
    /// A legacy (v0/v1) message has a bad or cut-short `field`.
    case malformedLegacyMessage(offset: Int64, field: RecordField)

    /// The part of a record that was malformed.
    public enum RecordField: String, Sendable {
        case length, attributes, timestampDelta, offsetDelta
        case keyLength, key, valueLength, value
        case headerCount, headerKeyLength, headerKey, headerValueLength, headerValue
        /// The record's length covers bytes its fields do not use.
        case unusedBytes
    }

    public var description: String {
        switch self {
        case let .negativeLength(offset, length):
            "record batch at offset \(offset): negative length \(length)"
        case let .lengthExceedsLimit(offset, length, limit):
            "record batch at offset \(offset): length \(length) exceeds the limit of \(limit) bytes"
        case let .lengthTooSmall(offset, length, minimum):
            "record batch at offset \(offset): length \(length) is below the minimum of \(minimum)"
        case let .unsupportedMagic(offset, magic):
            "record batch at offset \(offset): unsupported magic \(magic)"
        case let .crcMismatch(offset, stored, computed):
            "record batch at offset \(offset): CRC mismatch (stored \(stored), computed \(computed))"
        case let .unknownCompressionCodec(offset, bits):
            "record batch at offset \(offset): unknown compression codec \(bits)"
        case let .decompressionFailed(offset, codec):
            "record batch at offset \(offset): \(codec) body does not decompress"
        case let .decompressedSizeExceedsLimit(offset, limit):
            "record batch at offset \(offset): decompressed body exceeds \(limit) bytes"
        case let .invalidRecordCount(offset, count):
            "record batch at offset \(offset): impossible record count \(count)"
        case let .malformedRecord(offset, index, field):
            "record batch at offset \(offset): record \(index) has a malformed \(field.rawValue)"
        case let .trailingBytes(offset, count):
            "record batch at offset \(offset): \(count) bytes after the last record"
        case let .malformedLegacyMessage(offset, field):
            "legacy message at offset \(offset): malformed \(field.rawValue)"
        }
    }
}
