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

/// The one view of a topic after a poll: what `/metrics`, `/api/v1/status`, the status page
/// and the audit show. The accounting fills in what it decides; the poll loop adds the
/// mapping and the agents' corrected totals, which the accounting does not own. Fixtures and
/// benchmarks build it with the public initializer.
public struct TopicStatus: Sendable, Hashable {
    /// Source topic name: the `topic` label everywhere.
    public var topic: String
    /// Where the replicator writes it (defaults to the source name).
    public var destinationTopic: String
    /// The state accounting uses (a topic reported out of COMPLETE stays COMPLETE here); nil
    /// until the state source first answered: then no state series is shown for the topic and
    /// it is counted in no `kafka_migration_topics{state}`.
    public var state: MigrationState?
    /// What the state source last reported, when it differs from `state`.
    public var reportedState: MigrationState?
    public var since: Date?
    /// Sums from the last complete read of each cluster (kept across partial answers).
    public var sourceOffsets: Int64?
    public var destinationOffsets: Int64?
    /// From the last poll where both clusters answered fully; nil for COMPLETE topics.
    public var offsetLag: Int64?
    /// Empty for COMPLETE topics.
    public var partitionOffsetLags: [Int32: Int64]
    public var timeLagSeconds: Double?
    /// `kafka_migration_proxied_{records,bytes}_total`: the agents' reset-corrected totals.
    public var proxiedRecords: Double
    public var proxiedBytes: Double
    public var unproxiedSourceRecords: Int64
    public var postMigrationSourceRecords: Int64
    public var diagnostics: Set<Diagnostic>
    /// Only ever true for PROXY topics.
    public var cutoverReady: Bool
    /// This poll advanced the topic's accounting (every input it needs answered).
    public var advanced: Bool
    /// The producers the last DescribeProducers read listed on the source (partition, then id),
    /// recent or not; empty when none or not read.
    public var directProducers: [ProducerInfo]
    /// Whether DescribeProducers could be read: "none found" and "not checked" must not look
    /// the same to an operator deciding to switch the source off.
    public var directProducersCheck: DirectProducersCheck

    public init(
        topic: String, destinationTopic: String? = nil, state: MigrationState?, reportedState: MigrationState? = nil,
        since: Date? = nil, sourceOffsets: Int64? = nil, destinationOffsets: Int64? = nil, offsetLag: Int64? = nil,
        partitionOffsetLags: [Int32: Int64] = [:], timeLagSeconds: Double? = nil,
        proxiedRecords: Double = 0, proxiedBytes: Double = 0,
        unproxiedSourceRecords: Int64 = 0, postMigrationSourceRecords: Int64 = 0,
        diagnostics: Set<Diagnostic> = [], cutoverReady: Bool = false, advanced: Bool = false,
        directProducers: [ProducerInfo] = [], directProducersCheck: DirectProducersCheck = .notRead
    ) {
        self.topic = topic
        self.destinationTopic = destinationTopic ?? topic
        self.state = state
        self.reportedState = reportedState
        self.since = since
        self.sourceOffsets = sourceOffsets
        self.destinationOffsets = destinationOffsets
        self.offsetLag = offsetLag
        self.partitionOffsetLags = partitionOffsetLags
        self.timeLagSeconds = timeLagSeconds
        self.proxiedRecords = proxiedRecords
        self.proxiedBytes = proxiedBytes
        self.unproxiedSourceRecords = unproxiedSourceRecords
        self.postMigrationSourceRecords = postMigrationSourceRecords
        self.diagnostics = diagnostics
        self.cutoverReady = cutoverReady
        self.advanced = advanced
        self.directProducers = directProducers
        self.directProducersCheck = directProducersCheck
    }
}

/// Whether the source could tell which producers write to a topic (DescribeProducers).
public enum DirectProducersCheck: String, Sendable, Hashable, CaseIterable {
    /// Read: `directProducers` is the full list (empty means none).
    case checked
    /// The source's brokers lack DescribeProducers: the check cannot be made.
    case unsupported
    /// No complete read yet (the source did not answer, or the topic is new).
    case notRead = "not_read"
}

/// The result of one poll for one topic.
public struct TopicOutcome: Sendable, Hashable {
    public var status: TopicStatus
    public var events: [MigrationEvent]
    public var actions: [AccountingAction]
}
