import CompressNIO
import NIOCore

/// One magic-v2 RecordBatch as a Fetch answer carries it: header fields, and the records
/// when exporterd decodes them (uncompressed and gzip bodies; snappy, lz4 and zstd bodies
/// are left alone because only the header's timestamps are needed from them, CONTRACT §4).
public struct RecordBatch: Sendable, Equatable {
    public var baseOffset: Int64
    /// Bytes after the length field, as stored.
    public var batchLength: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: Int16
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordCount: Int32
    /// The decoded records, or nil when the codec is one exporterd does not decompress.
    public var records: [Record]?

    /// Size of the fixed header, length field and all.
    static let headerSize = 61
    /// Bytes before the length field (baseOffset, length): Kafka's LOG_OVERHEAD.
    static let logOverhead = 12
    /// Start of the bytes the CRC covers (attributes onwards).
    static let crcCoverageStart = 21

    public var compression: CompressionCodec {
        CompressionCodec(rawValue: Int(attributes) & 0x07) ?? .none
    }

    public var timestampType: TimestampType {
        attributes & 0x08 == 0 ? .createTime : .logAppendTime
    }

    public var isTransactional: Bool { attributes & 0x10 != 0 }

    /// A control batch holds transaction markers, not data.
    public var isControl: Bool { attributes & 0x20 != 0 }

    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
}

/// Compression codec of a batch (attribute bits 0–2).
public enum CompressionCodec: Int, Sendable, CustomStringConvertible {
    case none = 0, gzip, snappy, lz4, zstd

    public var description: String {
        switch self {
        case .none: "none"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}

/// Who set a batch's timestamps (attribute bit 3).
public enum TimestampType: Sendable, Equatable {
    case createTime, logAppendTime
}

extension RecordBatch {
    /// Decodes one whole v2 batch: `bytes` holds exactly the batch, length field included,
    /// its length already checked against the limits by the caller.
    init(decoding bytes: ByteBuffer, limits: RecordBatchLimits) throws(RecordBatchError) {
        var header = bytes
        // The caller guarantees headerSize bytes, so these reads cannot fail.
        baseOffset = header.readInteger()!
        batchLength = header.readInteger()!
        partitionLeaderEpoch = header.readInteger()!
        magic = header.readInteger()!
        crc = header.readInteger()!
        attributes = header.readInteger()!
        lastOffsetDelta = header.readInteger()!
        baseTimestamp = header.readInteger()!
        maxTimestamp = header.readInteger()!
        producerId = header.readInteger()!
        producerEpoch = header.readInteger()!
        baseSequence = header.readInteger()!
        recordCount = header.readInteger()!
        records = nil

        let covered = bytes.getSlice(
            at: bytes.readerIndex + Self.crcCoverageStart,
            length: bytes.readableBytes - Self.crcCoverageStart)!
        let computed = covered.withUnsafeReadableBytes { Checksum.crc32c($0) }
        guard computed == crc else {
            throw .crcMismatch(batchOffset: baseOffset, stored: crc, computed: computed)
        }
        guard recordCount >= 0 else {
            throw .invalidRecordCount(batchOffset: baseOffset, count: recordCount)
        }
        guard let codec = CompressionCodec(rawValue: Int(attributes) & 0x07) else {
            throw .unknownCompressionCodec(batchOffset: baseOffset, codecBits: Int(attributes) & 0x07)
        }
        var body = header  // what follows the fixed header
        switch codec {
        case .none:
            records = try decodeRecords(from: &body)
        case .gzip:
            var inflated = try Gzip.inflate(body, limit: limits.maxDecompressedBytes, batchOffset: baseOffset)
            records = try decodeRecords(from: &inflated)
        case .snappy, .lz4, .zstd:
            records = nil
        }
    }

    private func decodeRecords(from body: inout ByteBuffer) throws(RecordBatchError) -> [Record] {
        // Smallest record: length, attributes, timestampDelta, offsetDelta, key length,
        // value length, header count: 7 bytes. A count beyond that is garbage, and checking
        // it first keeps reserveCapacity honest.
        guard Int(recordCount) <= body.readableBytes / 7 else {
            throw .invalidRecordCount(batchOffset: baseOffset, count: recordCount)
        }
        var records: [Record] = []
        records.reserveCapacity(Int(recordCount))
        for index in 0..<Int(recordCount) {
            let reader = RecordReader(batchOffset: baseOffset, recordIndex: index)
            let fields = try reader.read(from: &body)
            let timestamp = timestampType == .logAppendTime ? maxTimestamp : baseTimestamp &+ fields.timestampDelta
            records.append(Record(
                offset: baseOffset &+ Int64(fields.offsetDelta), timestamp: timestamp,
                key: fields.key, value: fields.value, headers: fields.headers))
        }
        guard body.readableBytes == 0 else {
            throw .trailingBytes(batchOffset: baseOffset, count: body.readableBytes)
        }
        return records
    }
}
