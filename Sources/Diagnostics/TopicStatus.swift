/// What the accounting hands back after each poll: per topic, the values the metrics, status
/// API and status page show, the events to store, and the reads the I/O layer must perform.
import Foundation

/// Names as in `kafka_migration_diagnostic_active{diagnostic=…}` (CONTRACT §5).
public enum Diagnostic: String, Sendable, Hashable, Codable, CaseIterable {
    case unproxiedSourceWrites = "unproxied_source_writes"
    case postMigrationSourceWrites = "post_migration_source_writes"
    /// From `TopicRead.directProducers` (DescribeProducers on the source).
    case directSourceProducers = "direct_source_producers"
    case migrationStalled = "migration_stalled"
    case migrationTimeoutRisk = "migration_timeout_risk"
    case proxyCountersIncomplete = "proxy_counters_incomplete"
    case sourceTopicReset = "source_topic_reset"
    case invalidTransition = "invalid_transition"
}

/// Reads the accounting needs the I/O layer to perform.
public enum AccountingAction: Sendable, Hashable {
    /// ListOffsets by timestamp at `timestamp` for every partition of `topic` on the source;
    /// hand the answer to `acceptTimestampLookup`. Asked again on every complete poll until
    /// answered, so a failed lookup is simply retried.
    case lookUpSourceOffsets(topic: String, timestamp: Date)
}

public struct TopicStatus: Sendable, Hashable {
    public var topic: String
    /// The state accounting uses (a topic reported out of COMPLETE stays COMPLETE here); nil
    /// until the state source first answered.
    public var state: MigrationState?
    /// What the state source last reported, when it differs from `state`.
    public var reportedState: MigrationState?
    public var since: Date?
    /// Sums from the last complete read of each cluster (kept across partial answers).
    public var sourceOffsets: Int64?
    public var destinationOffsets: Int64?
    /// From the last poll where both clusters answered fully; nil for COMPLETE topics.
    public var offsetLag: Int64?
    public var partitionOffsetLags: [Int32: Int64]
    public var timeLagSeconds: Double?
    public var unproxiedSourceRecords: Int64
    public var postMigrationSourceRecords: Int64
    public var diagnostics: Set<Diagnostic>
    public var cutoverReady: Bool
    /// This poll advanced the topic's accounting (every input it needs answered).
    public var advanced: Bool
    /// The producers the last DescribeProducers read listed on the source (partition, then id),
    /// recent or not; empty when none or not read.
    public var directProducers: [ProducerInfo] = []
    /// nil until DescribeProducers was read; false when the source lacks it ("not checked").
    public var directProducersSupported: Bool? = nil
}

/// The result of one poll for one topic.
public struct TopicOutcome: Sendable, Hashable {
    public var status: TopicStatus
    public var events: [MigrationEvent]
    public var actions: [AccountingAction]
}
