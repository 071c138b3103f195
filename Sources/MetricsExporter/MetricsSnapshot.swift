/// Everything `GET /metrics` shows (CONTRACT §4), as one immutable value the poll loop builds
/// after each poll and hands to `ExporterState`. Rendering reads nothing else, so a scrape
/// never waits on a cluster, an agent or the state source.
import Diagnostics
import Foundation

public struct MetricsSnapshot: Sendable, Hashable {
    /// The watched topics, rendered in this order (the poll loop's watched-topic order). A topic
    /// left out here has no series at all on the page, which is how a topic that stops being
    /// watched disappears from Prometheus.
    public var topics: [TopicStatus]
    /// Events recorded so far, by type; a type never recorded is shown as 0.
    public var eventCounts: [MigrationEventType: Int64]
    public var source: ClusterMetrics
    public var destination: ClusterMetrics
    /// The proxy agents' metrics endpoints, in configuration order.
    public var proxyTargets: [ProxyTargetMetrics]
    /// The last read of the migration state document succeeded.
    public var stateSourceUp: Bool
    /// The poll commits to data_dir.
    public var store: StoreHealth
    /// `diagnostics.export_partition_metrics`.
    public var exportPartitionMetrics: Bool
    /// `kafka_migration_exporter_build_info{version}`.
    public var version: String

    public init(
        topics: [TopicStatus] = [],
        eventCounts: [MigrationEventType: Int64] = [:],
        source: ClusterMetrics = ClusterMetrics(),
        destination: ClusterMetrics = ClusterMetrics(),
        proxyTargets: [ProxyTargetMetrics] = [],
        stateSourceUp: Bool = false,
        store: StoreHealth = StoreHealth(),
        exportPartitionMetrics: Bool = false,
        version: String = BuildInfo.version
    ) {
        self.topics = topics
        self.eventCounts = eventCounts
        self.source = source
        self.destination = destination
        self.proxyTargets = proxyTargets
        self.stateSourceUp = stateSourceUp
        self.store = store
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

/// Whether the poll loop can commit to data_dir. A failed commit loses nothing while the process
/// runs (the next commit writes the whole state and the pending events), but a crash then would
/// lose what was counted since the last good commit: operators must see it.
public struct StoreHealth: Sendable, Hashable {
    /// The last poll's commit succeeded (true before the first poll: the store opened).
    public var up: Bool
    /// Failed commits since this process started.
    public var commitFailures: Int64

    public init(up: Bool = true, commitFailures: Int64 = 0) {
        self.up = up
        self.commitFailures = commitFailures
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
