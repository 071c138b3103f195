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
            lastSuccessfulPoll = metrics.lastSuccessfulPoll.map(rfc3339)
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

    /// A direct idempotent producer seen by DescribeProducers (§5 direct_source_producers).
    struct Producer: Encodable {
        var producerID: Int64
        var producerEpoch: Int32
        var partition: Int32
        var lastWrite: String?

        init(_ info: ProducerInfo) {
            producerID = info.producerId
            producerEpoch = info.producerEpoch
            partition = info.partition
            lastWrite = info.lastTimestamp.map(rfc3339)
        }

        enum CodingKeys: String, CodingKey {
            case producerID = "producer_id"
            case producerEpoch = "producer_epoch"
            case partition
            case lastWrite = "last_write"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(producerID, forKey: .producerID)
            try c.encode(producerEpoch, forKey: .producerEpoch)
            try c.encode(partition, forKey: .partition)
            try c.encode(lastWrite, forKey: .lastWrite)
        }
    }

    struct Topic: Encodable {
        var topic: String
        var destinationTopic: String
        var state: String?
        var since: String?
        var sourceOffsets: Int64?
        var destinationOffsets: Int64?
        var offsetLag: Int64?
        var timeLagSeconds: Double?
        var proxiedRecords: Double
        var proxiedBytes: Double
        var unproxiedSourceRecords: Int64
        var postMigrationSourceRecords: Int64
        var cutoverReady: Bool
        var diagnostics: [String]
        var producers: [Producer]

        init(_ metrics: TopicMetrics) {
            topic = metrics.topic
            destinationTopic = metrics.destinationTopic
            state = metrics.state?.rawValue
            since = metrics.since.map(rfc3339)
            sourceOffsets = metrics.sourceOffsets
            destinationOffsets = metrics.destinationOffsets
            // As on /metrics: a COMPLETE topic has no replication lag any more.
            offsetLag = metrics.state == .complete ? nil : metrics.offsetLag
            timeLagSeconds = metrics.state == .complete ? nil : metrics.timeLagSeconds
            proxiedRecords = metrics.proxiedRecords
            proxiedBytes = metrics.proxiedBytes
            unproxiedSourceRecords = metrics.unproxiedSourceRecords
            postMigrationSourceRecords = metrics.postMigrationSourceRecords
            cutoverReady = metrics.cutoverReady
            // In §5 order, so the list is stable.
            diagnostics = TopicDiagnostic.allCases.filter { metrics.diagnostics.contains($0) }.map(\.rawValue)
            producers = metrics.directProducers.map(Producer.init)
        }

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
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(topic, forKey: .topic)
            try c.encode(destinationTopic, forKey: .destinationTopic)
            try c.encode(state, forKey: .state)
            try c.encode(since, forKey: .since)
            try c.encode(sourceOffsets, forKey: .sourceOffsets)
            try c.encode(destinationOffsets, forKey: .destinationOffsets)
            try c.encode(offsetLag, forKey: .offsetLag)
            try c.encode(timeLagSeconds, forKey: .timeLagSeconds)
            try c.encode(proxiedRecords, forKey: .proxiedRecords)
            try c.encode(proxiedBytes, forKey: .proxiedBytes)
            try c.encode(unproxiedSourceRecords, forKey: .unproxiedSourceRecords)
            try c.encode(postMigrationSourceRecords, forKey: .postMigrationSourceRecords)
            try c.encode(cutoverReady, forKey: .cutoverReady)
            try c.encode(diagnostics, forKey: .diagnostics)
            try c.encode(producers, forKey: .producers)
        }
    }

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at"
        case clusters
        case stateSourceUp = "state_source_up"
        case proxyTargets = "proxy_targets"
        case topics
    }

    init(_ snapshot: MetricsSnapshot, now: Date) {
        generatedAt = rfc3339(now)
        clusters = Clusters(source: Cluster(snapshot.source), destination: Cluster(snapshot.destination))
        stateSourceUp = snapshot.stateSourceUp
        proxyTargets = snapshot.proxyTargets.map { ProxyTarget(target: $0.target, up: $0.up, error: $0.error) }
        topics = snapshot.topics.map(Topic.init)
    }

    /// The JSON body, keys sorted so the answer is stable.
    static func render(_ snapshot: MetricsSnapshot, now: Date) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(StatusDocument(snapshot, now: now))
    }
}

/// RFC 3339, UTC, with milliseconds: "2026-11-24T10:05:00.123Z", as the events' `at`.
func rfc3339(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
}
