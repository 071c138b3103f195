import NIOCore

/// The `records` bytes of one partition in a Fetch answer, decoded into batches, and the
/// one question exporterd asks of them: the timestamp of the first record at or after an
/// offset (CONTRACT §4 `replication_time_lag_seconds`).
public struct FetchedRecords: Sendable, Equatable {
    /// A v2 batch or a legacy message, in log order.
    public enum Batch: Sendable, Equatable {
        case recordBatch(RecordBatch)
        case legacy(LegacyMessage)
    }

    public var batches: [Batch]
    /// Bytes at the end that hold only the start of a batch: the broker cuts its answer at
    /// the requested max bytes. Not an error; the next Fetch starts there.
    public var truncatedTailBytes: Int

    public var hasTruncatedTail: Bool { truncatedTailBytes > 0 }

    public init(batches: [Batch], truncatedTailBytes: Int = 0) {
        self.batches = batches
        self.truncatedTailBytes = truncatedTailBytes
    }

    /// Decodes every whole batch in `records`; throws on the first malformed one.
    public init(decoding records: ByteBuffer, limits: RecordBatchLimits = .init()) throws(RecordBatchError) {
        var input = records
        var batches: [Batch] = []
        while input.readableBytes > 0 {
            guard let frame = try Self.nextFrame(in: &input, limits: limits) else {
                self.init(batches: batches, truncatedTailBytes: input.readableBytes)
                return
            }
            switch frame.magic {
            case 2: batches.append(.recordBatch(try RecordBatch(decoding: frame.bytes, limits: limits)))
            default: batches.append(.legacy(try LegacyMessage(decoding: frame.bytes)))
            }
        }
        self.init(batches: batches)
    }

    /// Cuts the next whole batch off `input`, or returns nil (input untouched) when only a
    /// partial batch is left. Every length is checked before anything is sliced.
    private static func nextFrame(
        in input: inout ByteBuffer, limits: RecordBatchLimits
    ) throws(RecordBatchError) -> (magic: Int8, bytes: ByteBuffer)? {
        let start = input.readerIndex
        guard input.readableBytes >= RecordBatch.logOverhead else { return nil }
        let offset = input.getInteger(at: start, as: Int64.self)!
        let length = input.getInteger(at: start + 8, as: Int32.self)!
        guard length >= 0 else { throw .negativeLength(batchOffset: offset, length: length) }
        // Below 5 bytes the frame does not even reach its magic byte.
        guard length >= 5 else { throw .lengthTooSmall(batchOffset: offset, length: length, minimum: 5) }
        guard Int(length) <= limits.maxBatchBytes else {
            throw .lengthExceedsLimit(batchOffset: offset, length: length, limit: limits.maxBatchBytes)
        }
        // Magic sits at the same place in every format (after offset, length and a 4-byte
        // crc or leader epoch). Checked even in a partial tail so garbage is not mistaken
        // for a cut.
        let magicIndex = start + RecordBatch.logOverhead + 4
        if let magic = input.getInteger(at: magicIndex, as: Int8.self), !(0...2).contains(magic) {
            throw .unsupportedMagic(batchOffset: offset, magic: magic)
        }
        guard input.readableBytes >= RecordBatch.logOverhead + Int(length) else { return nil }
        let magic = input.getInteger(at: magicIndex, as: Int8.self)!
        let minimum = magic == 2
            ? RecordBatch.headerSize - RecordBatch.logOverhead
            : LegacyMessage.minimumLength(magic: magic)
        guard Int(length) >= minimum else {
            throw .lengthTooSmall(batchOffset: offset, length: length, minimum: minimum)
        }
        return (magic, input.readSlice(length: RecordBatch.logOverhead + Int(length))!)
    }
}

/// Bounds on what a Fetch answer may make exporterd allocate.
public struct RecordBatchLimits: Sendable, Equatable {
    /// Largest batch length accepted; a bigger one is garbage, not a batch to wait for.
    public var maxBatchBytes: Int
    /// Largest decompressed body accepted.
    public var maxDecompressedBytes: Int

    public init(maxBatchBytes: Int = 64 << 20, maxDecompressedBytes: Int = 64 << 20) {
        self.maxBatchBytes = maxBatchBytes
        self.maxDecompressedBytes = maxDecompressedBytes
    }
}
