/// The timestamp lookup behind `replication_time_lag_seconds` (CONTRACT §4): when was the
/// first record at or after an offset written. A record's timestamp, or the best stand-in
/// a batch header gives.
public struct RecordTimestamp: Sendable, Equatable {
    /// The record's offset when exact; the first offset the stand-in applies from otherwise.
    public var offset: Int64
    /// Milliseconds since the Unix epoch.
    public var milliseconds: Int64
    /// True when taken from a batch header because the records were not decoded (snappy,
    /// lz4, zstd, a legacy compressed wrapper): the batch's first timestamp, which is at or
    /// before the record's own, so the lag is never understated.
    public var isApproximate: Bool

    public init(offset: Int64, milliseconds: Int64, isApproximate: Bool) {
        self.offset = offset
        self.milliseconds = milliseconds
        self.isApproximate = isApproximate
    }
}

extension FetchedRecords {
    /// Timestamp of the first data record whose offset is ≥ `offset`, or nil when these
    /// batches hold none (or the record is a v0 message, which has no timestamp). Control
    /// batches (transaction markers) take offsets but are not records anyone produced, so a
    /// marker at `offset` sends the search on to the next record.
    public func timestamp(ofFirstRecordAtOrAfter offset: Int64) -> RecordTimestamp? {
        for batch in batches {
            switch batch {
            case .recordBatch(let batch):
                guard batch.lastOffset >= offset, !batch.isControl else { continue }
                if let records = batch.records {
                    // Compaction may leave no record at or after `offset` in this batch.
                    guard let record = records.first(where: { $0.offset >= offset }) else { continue }
                    return RecordTimestamp(offset: record.offset, milliseconds: record.timestamp, isApproximate: false)
                }
                let from = max(offset, batch.baseOffset)
                // With LogAppendTime every record carries maxTimestamp: exact without decoding.
                if batch.timestampType == .logAppendTime {
                    return RecordTimestamp(offset: from, milliseconds: batch.maxTimestamp, isApproximate: false)
                }
                return RecordTimestamp(offset: from, milliseconds: batch.baseTimestamp, isApproximate: true)
            case .legacy(let message):
                guard message.offset >= offset else { continue }
                guard let timestamp = message.timestamp else { return nil }
                if message.compression == .none {
                    return RecordTimestamp(offset: message.offset, milliseconds: timestamp, isApproximate: false)
                }
                // A wrapper's timestamp is its largest inner one unless LogAppendTime made
                // them all equal; the first inner offset is unknown without opening it.
                return RecordTimestamp(
                    offset: offset, milliseconds: timestamp,
                    isApproximate: message.timestampType != .logAppendTime)
            }
        }
        return nil
    }
}
