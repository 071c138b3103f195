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

/// One record of a v2 batch.
public struct Record: Sendable, Equatable {
    public var offset: Int64
    /// The record's timestamp as Kafka reports it: baseTimestamp + delta for CreateTime,
    /// the batch's maxTimestamp for LogAppendTime.
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]

    public init(offset: Int64, timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}

public struct RecordHeader: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
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

/// Reads one varint-framed record; knows where it is so errors can say so.
private struct RecordReader {
    let batchOffset: Int64
    let recordIndex: Int

    struct Fields {
        var timestampDelta: Int64
        var offsetDelta: Int32
        var key: [UInt8]?
        var value: [UInt8]?
        var headers: [RecordHeader]
    }

    func read(from body: inout ByteBuffer) throws(RecordBatchError) -> Fields {
        guard let length = body.readKafkaVarint(), length >= 0,
              var record = body.readSlice(length: Int(length)) else { throw fail(.length) }
        guard record.readInteger(as: Int8.self) != nil else { throw fail(.attributes) }
        guard let timestampDelta = record.readKafkaVarlong() else { throw fail(.timestampDelta) }
        guard let offsetDelta = record.readKafkaVarint() else { throw fail(.offsetDelta) }
        let key = try bytes(from: &record, length: .keyLength, content: .key)
        let value = try bytes(from: &record, length: .valueLength, content: .value)
        // A header takes at least 2 bytes (two length varints).
        guard let headerCount = record.readKafkaVarint(), headerCount >= 0,
              Int(headerCount) <= record.readableBytes / 2 else { throw fail(.headerCount) }
        var headers: [RecordHeader] = []
        headers.reserveCapacity(Int(headerCount))
        for _ in 0..<Int(headerCount) {
            guard let keyBytes = try bytes(from: &record, length: .headerKeyLength, content: .headerKey) else {
                throw fail(.headerKeyLength)  // header keys are not nullable
            }
            let headerValue = try bytes(from: &record, length: .headerValueLength, content: .headerValue)
            headers.append(RecordHeader(key: String(decoding: keyBytes, as: UTF8.self), value: headerValue))
        }
        guard record.readableBytes == 0 else { throw fail(.unusedBytes) }
        return Fields(timestampDelta: timestampDelta, offsetDelta: offsetDelta, key: key, value: value, headers: headers)
    }

    /// Varint length then bytes; length −1 is null.
    private func bytes(
        from record: inout ByteBuffer, length lengthField: RecordBatchError.RecordField,
        content: RecordBatchError.RecordField
    ) throws(RecordBatchError) -> [UInt8]? {
        guard let length = record.readKafkaVarint(), length >= -1 else { throw fail(lengthField) }
        if length == -1 { return nil }
        guard let bytes = record.readBytes(length: Int(length)) else { throw fail(content) }
        return bytes
    }

    private func fail(_ field: RecordBatchError.RecordField) -> RecordBatchError {
        .malformedRecord(batchOffset: batchOffset, recordIndex: recordIndex, field: field)
    }
}
