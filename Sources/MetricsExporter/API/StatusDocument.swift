/// `GET /api/v1/status` (CONTRACT §7): the latest snapshot as JSON, every topic with state,
/// lags, counters and diagnostics. Keys are snake_case and every key is always present: an
/// unknown value is an explicit `null`, never a missing key. The shape is written down in
/// `docs/openapi.yaml` (`Status`), and a test checks the two agree.
import Diagnostics
import Foundation

struct StatusDocument: Encodable {
    var generatedAt: String
    var clusters: Clusters
    var stateSourceUp: Bool
    var store: Store
    var proxyTargets: [ProxyTarget]
    var topics: [Topic]

    struct Clusters: Encodable {
        var source: Cluster
        var destination: Cluster
    }

    struct Cluster: Encodable {
        var up: Bool
        var partitions: Int
        var partitionsAnswered: Int
        var lastSuccessfulPoll: String?

        init(_ metrics: ClusterMetrics) {
            up = metrics.up
            partitions = metrics.watchedPartitions
            partitionsAnswered = metrics.answeredPartitions
            lastSuccessfulPoll = metrics.lastSuccessfulPoll.map(RFC3339.string(from:))
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(up, forKey: .up)
            try c.encode(partitions, forKey: .partitions)
            try c.encode(partitionsAnswered, forKey: .partitionsAnswered)
            try c.encode(lastSuccessfulPoll, forKey: .lastSuccessfulPoll)
        }

        enum Key: String, CodingKey {
            case up, partitions
            case partitionsAnswered = "partitions_answered"
            case lastSuccessfulPoll = "last_successful_poll"
        }
    }

    struct Store: Encodable {
        var up: Bool
        var commitFailures: Int64

        enum CodingKeys: String, CodingKey {
            case up
            case commitFailures = "commit_failures"
        }
    }

    struct ProxyTarget: Encodable {
        var target: String
        var up: Bool
        var error: String?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(target, forKey: .target)
            try c.encode(up, forKey: .up)
            try c.encode(error, forKey: .error)  // explicit null while up
        }

        enum CodingKeys: String, CodingKey { case target, up, error }
    }

    /// One topic as JSON: an encoding of the one topic view, not a copy of its fields.
    struct Topic: Encodable {
        let status: TopicStatus

        enum Key: String, CodingKey {
            case topic
            case destinationTopic = "destination_topic"
            case state, since
            case sourceOffsets = "source_offsets"
            case destinationOffsets = "destination_offsets"
            case offsetLag = "offset_lag"
            case timeLagSeconds = "time_lag_seconds"
            case proxiedRecords = "proxied_records"
            case proxiedBytes = "proxied_bytes"
            case unproxiedSourceRecords = "unproxied_source_records"
            case postMigrationSourceRecords = "post_migration_source_records"
            case cutoverReady = "cutover_ready"
            case diagnostics, producers
            case producersCheck = "producers_check"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            let complete = status.state == .complete
            try c.encode(status.topic, forKey: .topic)
            try c.encode(status.destinationTopic, forKey: .destinationTopic)
            try c.encode(status.state?.rawValue, forKey: .state)
            try c.encode(status.since.map(RFC3339.string(from:)), forKey: .since)
            try c.encode(status.sourceOffsets, forKey: .sourceOffsets)
            try c.encode(status.destinationOffsets, forKey: .destinationOffsets)
            // As on /metrics: a COMPLETE topic has no replication lag any more.
            try c.encode(complete ? nil : status.offsetLag, forKey: .offsetLag)
            try c.encode(complete ? nil : status.timeLagSeconds, forKey: .timeLagSeconds)
            try c.encode(status.proxiedRecords, forKey: .proxiedRecords)
            try c.encode(status.proxiedBytes, forKey: .proxiedBytes)
            try c.encode(status.unproxiedSourceRecords, forKey: .unproxiedSourceRecords)
            try c.encode(status.postMigrationSourceRecords, forKey: .postMigrationSourceRecords)
            try c.encode(status.cutoverReady, forKey: .cutoverReady)
            // In §5 order, so the list is stable.
            try c.encode(Diagnostic.allCases.filter { status.diagnostics.contains($0) }.map(\.rawValue), forKey: .diagnostics)
            try c.encode(status.directProducers.map(Producer.init), forKey: .producers)
            try c.encode(status.directProducersCheck.rawValue, forKey: .producersCheck)
        }
    }

    /// A direct idempotent producer seen by DescribeProducers (§5 direct_source_producers).
    struct Producer: Encodable {
        let info: ProducerInfo

        enum Key: String, CodingKey {
            case producerID = "producer_id"
            case producerEpoch = "producer_epoch"
            case partition
            case lastWrite = "last_write"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(info.producerId, forKey: .producerID)
            try c.encode(info.producerEpoch, forKey: .producerEpoch)
            try c.encode(info.partition, forKey: .partition)
            try c.encode(info.lastTimestamp.map(RFC3339.string(from:)), forKey: .lastWrite)
        }
    }

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at"
        case clusters
        case stateSourceUp = "state_source_up"
        case store
        case proxyTargets = "proxy_targets"
        case topics
    }

    init(_ snapshot: MetricsSnapshot, now: Date) {
        generatedAt = RFC3339.string(from: now)
        clusters = Clusters(source: Cluster(snapshot.source), destination: Cluster(snapshot.destination))
        stateSourceUp = snapshot.stateSourceUp
        store = Store(up: snapshot.store.up, commitFailures: snapshot.store.commitFailures)
        proxyTargets = snapshot.proxyTargets.map { ProxyTarget(target: $0.target, up: $0.up, error: $0.error) }
        topics = snapshot.topics.map(Topic.init(status:))
    }

    /// The JSON body, keys sorted so the answer is stable.
    static func render(_ snapshot: MetricsSnapshot, now: Date) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(StatusDocument(snapshot, now: now))
    }
}
