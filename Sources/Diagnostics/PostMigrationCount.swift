/// Records appended to the source after a topic became COMPLETE (CONTRACT §5,
/// post_migration_source_writes). They were never replicated, so they are lost when the source
/// is switched off.
import Foundation

public struct PostMigrationCount: Sendable, Hashable, Codable {
    /// S_c: the source offsets the count starts from. nil while unknown (met already COMPLETE
    /// and the timestamp lookup has not answered yet).
    public private(set) var baseline: Int64?
    /// A lower bound for the baseline the timestamp lookup finds: the last source read taken
    /// while MIGRATING when the state went unobserved before COMPLETE (see `TopicSnapshot.migrating`).
    public private(set) var lookupFloor: Int64?
    /// The counter's value when the baseline was last taken (after a topic reset).
    private var carried: Int64 = 0
    /// `kafka_migration_post_migration_source_records_total`.
    public private(set) var records: Int64 = 0
    public private(set) var lastRiseAt: Date?

    public init() {}

    mutating func setBaseline(_ sourceOffsets: Int64) {
        carried = records
        baseline = sourceOffsets
        lookupFloor = nil
    }

    /// Leaves the baseline to the timestamp lookup, which is to find no less than `floor`.
    mutating func awaitLookup(floor: Int64?) {
        baseline = nil
        lookupFloor = floor
    }

    /// A complete source read of a COMPLETE topic. Returns the counter's increase.
    mutating func observe(sourceOffsets: Int64, at now: Date) -> Int64 {
        guard let baseline else { return 0 }
        let before = records
        records = max(records, carried + max(0, sourceOffsets - baseline))
        if records > before { lastRiseAt = now }
        return records - before
    }
}

/// One partition's answer to ListOffsets by timestamp.
public struct OffsetForTimestamp: Sendable, Hashable {
    public var partition: Int32
    /// −1 when the partition has no record at or after the requested time.
    public var timestamp: Int64
    public var offset: Int64

    public init(partition: Int32, timestamp: Int64, offset: Int64) {
        self.partition = partition
        self.timestamp = timestamp
        self.offset = offset
    }
}

public enum BaselineLookupError: Error, Hashable, CustomStringConvertible {
    case unknownTopic(String)
    case notAwaitingLookup(topic: String)
    case noCompleteSourceRead(topic: String)
    case missingPartition(topic: String, partition: Int32)
    case unexpectedPartition(topic: String, partition: Int32)

    public var description: String {
        switch self {
        case .unknownTopic(let topic): "timestamp lookup answered for unwatched topic \(topic)"
        case .notAwaitingLookup(let topic): "topic \(topic) is not waiting for a timestamp lookup"
        case .noCompleteSourceRead(let topic): "topic \(topic) has no complete source read to compare with"
        case .missingPartition(let topic, let partition): "timestamp lookup for \(topic) lacks partition \(partition)"
        case .unexpectedPartition(let topic, let partition):
            "timestamp lookup for \(topic) answered unknown partition \(partition)"
        }
    }
}
