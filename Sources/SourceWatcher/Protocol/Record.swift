import NIOCore

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

/// Reads one varint-framed record; knows where it is so errors can say so.
struct RecordReader {
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
