/// Everything `GET /metrics` shows (CONTRACT §4), as one immutable value the poll loop builds
/// after each poll and hands to `ExporterState`. Rendering reads nothing else, so a scrape
/// never waits on a cluster, an agent or the state source.
import Diagnostics
import Foundation

public struct MetricsSnapshot: Sendable, Hashable {
    /// The watched topics, rendered in this order (the poll loop's watched-topic order). A topic
    /// left out here has no series at all on the page, which is how a topic that stops being
    /// watched disappears from Prometheus.
    public var topics: [TopicMetrics]
    /// Events recorded so far, by type; a type never recorded is shown as 0.
    public var eventCounts: [MigrationEventType: Int64]
    public var source: ClusterMetrics
    public var destination: ClusterMetrics
    /// The proxy agents' metrics endpoints, in configuration order.
    public var proxyTargets: [ProxyTargetMetrics]
    /// The last read of the migration state document succeeded.
    public var stateSourceUp: Bool
    /// `diagnostics.export_partition_metrics`.
    public var exportPartitionMetrics: Bool
    /// `kafka_migration_exporter_build_info{version}`.
    public var version: String

    public init(
        topics: [TopicMetrics] = [],
        eventCounts: [MigrationEventType: Int64] = [:],
        source: ClusterMetrics = ClusterMetrics(),
        destination: ClusterMetrics = ClusterMetrics(),
        proxyTargets: [ProxyTargetMetrics] = [],
        stateSourceUp: Bool = false,
        exportPartitionMetrics: Bool = false,
        version: String = BuildInfo.version
    ) {
        self.topics = topics
        self.eventCounts = eventCounts
        self.source = source
        self.destination = destination
        self.proxyTargets = proxyTargets
        self.stateSourceUp = stateSourceUp
        self.exportPartitionMetrics = exportPartitionMetrics
        self.version = version
    }

    /// What `/metrics` shows before the first poll: no topics, nothing up.
    public static let beforeFirstPoll = MetricsSnapshot()

    /// `/readyz`: both clusters have answered a poll of this process at least once.
    public var isReady: Bool {
        source.lastSuccessfulPoll != nil && destination.lastSuccessfulPoll != nil
    }
}

/// One watched topic. Holds its own copy of the fields the page needs rather than a
/// `TopicStatus`, because `TopicStatus` can only be made by the accounting engine (it has no
/// public initializer) while fixtures, the golden test and the benchmark must build these by hand;
/// `init(status:…)` is the poll loop's one-line conversion.
public struct TopicMetrics: Sendable, Hashable {
    /// Source topic name: the `topic` label everywhere.
    public var topic: String
    public var destinationTopic: String
    /// nil until the state source first answered: then no state series is shown for the topic
    /// and it is counted in no `kafka_migration_topics{state}`.
    public var state: MigrationState?
    public var since: Date?
    public var sourceOffsets: Int64?
    public var destinationOffsets: Int64?
    /// nil when unknown; never shown for COMPLETE topics.
    public var offsetLag: Int64?
    /// Shown only with `exportPartitionMetrics`, and never for COMPLETE topics.
    public var partitionOffsetLags: [Int32: Int64]
    public var timeLagSeconds: Double?
    public var proxiedRecords: Double
    public var proxiedBytes: Double
    public var unproxiedSourceRecords: Int64
    public var postMigrationSourceRecords: Int64
    public var diagnostics: Set<TopicDiagnostic>
    /// Shown only for PROXY topics.
    public var cutoverReady: Bool
    /// Idempotent producers DescribeProducers saw writing to the topic on the source (the
    /// status API lists them; `direct_source_producers` is decided by the accounting).
    public var directProducers: [ProducerInfo] = []

    public init(
        topic: String,
        destinationTopic: String,
        state: MigrationState?,
        since: Date? = nil,
        sourceOffsets: Int64? = nil,
        destinationOffsets: Int64? = nil,
        offsetLag: Int64? = nil,
        partitionOffsetLags: [Int32: Int64] = [:],
        timeLagSeconds: Double? = nil,
        proxiedRecords: Double = 0,
        proxiedBytes: Double = 0,
        unproxiedSourceRecords: Int64 = 0,
        postMigrationSourceRecords: Int64 = 0,
        diagnostics: Set<TopicDiagnostic> = [],
        cutoverReady: Bool = false
    ) {
        self.topic = topic
        self.destinationTopic = destinationTopic
        self.state = state
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
    }

    /// From the accounting's status for this poll. The accounting decides `directSourceProducers`
    /// itself when its `TopicRead` carries `directProducers`; the flag adds it for callers that
    /// decide it elsewhere.
    public init(
        status: TopicStatus,
        destinationTopic: String,
        proxied: TopicCounters,
        directSourceProducers: Bool = false
    ) {
        var diagnostics = Set(status.diagnostics.map(TopicDiagnostic.init))
        if directSourceProducers { diagnostics.insert(.directSourceProducers) }
        self.init(
            topic: status.topic, destinationTopic: destinationTopic, state: status.state,
            since: status.since, sourceOffsets: status.sourceOffsets,
            destinationOffsets: status.destinationOffsets, offsetLag: status.offsetLag,
            partitionOffsetLags: status.partitionOffsetLags, timeLagSeconds: status.timeLagSeconds,
            proxiedRecords: proxied.records, proxiedBytes: proxied.bytes,
            unproxiedSourceRecords: status.unproxiedSourceRecords,
            postMigrationSourceRecords: status.postMigrationSourceRecords,
            diagnostics: diagnostics, cutoverReady: status.cutoverReady)
        self.directProducers = status.directProducers
    }
}

/// Every diagnostic name of CONTRACT §5, in its order (the same names as `Diagnostic`);
/// `kafka_migration_diagnostic_active` shows all of them, 1 or 0, for every topic.
public enum TopicDiagnostic: String, Sendable, Hashable, CaseIterable {
    case unproxiedSourceWrites = "unproxied_source_writes"
    case postMigrationSourceWrites = "post_migration_source_writes"
    case directSourceProducers = "direct_source_producers"
    case migrationStalled = "migration_stalled"
    case migrationTimeoutRisk = "migration_timeout_risk"
    case proxyCountersIncomplete = "proxy_counters_incomplete"
    case sourceTopicReset = "source_topic_reset"
    case invalidTransition = "invalid_transition"

    public init(_ diagnostic: Diagnostic) {
        switch diagnostic {
        case .unproxiedSourceWrites: self = .unproxiedSourceWrites
        case .postMigrationSourceWrites: self = .postMigrationSourceWrites
        case .directSourceProducers: self = .directSourceProducers
        case .migrationStalled: self = .migrationStalled
        case .migrationTimeoutRisk: self = .migrationTimeoutRisk
        case .proxyCountersIncomplete: self = .proxyCountersIncomplete
        case .sourceTopicReset: self = .sourceTopicReset
        case .invalidTransition: self = .invalidTransition
        }
    }
}

/// Which of the two clusters a cluster metric is about: the `cluster` label.
public enum ClusterRole: String, Sendable, Hashable, CaseIterable {
    case source
    case destination
}

/// One cluster's poll health.
public struct ClusterMetrics: Sendable, Hashable {
    /// The last poll of this cluster succeeded.
    public var up: Bool
    /// Partitions of the watched topics on this cluster.
    public var watchedPartitions: Int
    /// Of those, the ones whose offsets the last poll read.
    public var answeredPartitions: Int
    /// nil until this process polled the cluster successfully once; drives `/readyz`.
    public var lastSuccessfulPoll: Date?
    /// Every poll cycle since start; the poll loop keeps it and copies it in (a few dozen bytes).
    public var pollDurations: PollDurationHistogram

    public init(
        up: Bool = false,
        watchedPartitions: Int = 0,
        answeredPartitions: Int = 0,
        lastSuccessfulPoll: Date? = nil,
        pollDurations: PollDurationHistogram = PollDurationHistogram()
    ) {
        self.up = up
        self.watchedPartitions = watchedPartitions
        self.answeredPartitions = answeredPartitions
        self.lastSuccessfulPoll = lastSuccessfulPoll
        self.pollDurations = pollDurations
    }
}

/// One proxy agent's metrics endpoint.
public struct ProxyTargetMetrics: Sendable, Hashable {
    /// The `target` label: the configured URL with any user:password part removed, since
    /// secrets never appear in metrics (CONTRACT §8).
    public var target: String
    /// The last scrape of this agent succeeded.
    public var up: Bool
    /// Why its counters are unusable this poll (unreachable, the line of a malformed sample,
    /// a missing series); nil while it is up.
    public var error: String?

    public init(target: String, up: Bool, error: String? = nil) {
        self.target = Self.withoutCredentials(target)
        self.up = up
        self.error = error
    }

    /// The URL with any user:password part removed, for labels, logs and errors.
    public static func withoutCredentials(_ target: String) -> String {
        guard target.contains("@"), var components = URLComponents(string: target),
            components.user != nil || components.password != nil
        else { return target }
        components.user = nil
        components.password = nil
        return components.string ?? target
    }
}
