/// The `/metrics` page: every family of CONTRACT §4 rendered from one `MetricsSnapshot`, as
/// Prometheus text format 0.0.4. A pure function of the snapshot, so the page is the same
/// bytes for the same snapshot (the golden test relies on it) and a topic missing from the
/// snapshot has no series.
import Diagnostics
import Foundation

public enum MetricsPage {
    /// `Content-Type` of the page.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ snapshot: MetricsSnapshot) -> [UInt8] {
        // Each topic's `topic="…"` is escaped once and reused on its ~25 lines.
        let topicLabels = snapshot.topics.map { LabelPair("topic", $0.topic) }
        // Reserve the whole page up front: regrowing a 20 MB array while writing costs a copy
        // of everything written so far. Per topic: 23 lines carrying its label, ~1.3 kB besides.
        let labelBytes = topicLabels.reduce(0) { $0 + $1.bytes.count }
        let partitionCount = snapshot.exportPartitionMetrics
            ? snapshot.topics.reduce(0) { $0 + $1.partitionOffsetLags.count } : 0
        var writer = ExpositionWriter(
            reservingCapacity: 16_384 + labelBytes * 23 + snapshot.topics.count * 1_400 + partitionCount * 90)
        writeTopicFamilies(snapshot, topicLabels: topicLabels, to: &writer)
        writeExporterFamilies(snapshot, to: &writer)
        return writer.bytes
    }

    /// The page as text, for tests and tools.
    public static func renderText(_ snapshot: MetricsSnapshot) -> String {
        String(decoding: render(snapshot), as: UTF8.self)
    }

    // MARK: Per-topic families

    private static func writeTopicFamilies(
        _ snapshot: MetricsSnapshot, topicLabels: [LabelPair], to writer: inout ExpositionWriter
    ) {
        let topics = snapshot.topics

        writer.begin(.topicInfo)
        for (topic, label) in zip(topics, topicLabels) {
            writer.sample(
                MetricFamily.topicInfo.nameBytes, label, LabelPair("destination_topic", topic.destinationTopic), .integer(1))
        }

        writer.begin(.topicState)
        for (topic, label) in zip(topics, topicLabels) {
            guard let current = topic.state else { continue }
            for (state, stateLabel) in stateLabels {
                writer.sample(MetricFamily.topicState.nameBytes, label, stateLabel, .flag(state == current))
            }
        }

        writer.begin(.topics)
        var perState: [MigrationState: Int] = [:]
        for topic in topics {
            if let state = topic.state { perState[state, default: 0] += 1 }
        }
        for (state, stateLabel) in stateLabels {
            writer.sample(MetricFamily.topics.nameBytes, stateLabel, .count(perState[state] ?? 0))
        }

        writer.begin(.stateSince)
        for (topic, label) in zip(topics, topicLabels) {
            guard let since = topic.since else { continue }
            writer.sample(MetricFamily.stateSince.nameBytes, label, .double(since.timeIntervalSince1970))
        }

        writer.begin(.sourceOffsets)
        for (topic, label) in zip(topics, topicLabels) {
            guard let offsets = topic.sourceOffsets else { continue }
            writer.sample(MetricFamily.sourceOffsets.nameBytes, label, .integer(offsets))
        }

        writer.begin(.destinationOffsets)
        for (topic, label) in zip(topics, topicLabels) {
            guard let offsets = topic.destinationOffsets else { continue }
            writer.sample(MetricFamily.destinationOffsets.nameBytes, label, .integer(offsets))
        }

        // After cutover the destination takes writes the source never sees, so a source −
        // destination difference means nothing for COMPLETE topics (CONTRACT §4).
        writer.begin(.offsetLag)
        for (topic, label) in zip(topics, topicLabels) where topic.state != .complete {
            guard let lag = topic.offsetLag else { continue }
            writer.sample(MetricFamily.offsetLag.nameBytes, label, .integer(lag))
        }

        writer.begin(.timeLag)
        for (topic, label) in zip(topics, topicLabels) where topic.state != .complete {
            guard let lag = topic.timeLagSeconds else { continue }
            writer.sample(MetricFamily.timeLag.nameBytes, label, .double(lag))
        }

        if snapshot.exportPartitionMetrics {
            writer.begin(.partitionOffsetLag)
            for (topic, label) in zip(topics, topicLabels) where topic.state != .complete {
                for partition in topic.partitionOffsetLags.keys.sorted() {
                    writer.sample(
                        MetricFamily.partitionOffsetLag.nameBytes, label, integerLabel: "partition", Int64(partition),
                        .integer(topic.partitionOffsetLags[partition]!))
                }
            }
        }

        writer.begin(.proxiedRecords)
        for (topic, label) in zip(topics, topicLabels) {
            writer.sample(MetricFamily.proxiedRecords.nameBytes, label, .double(topic.proxiedRecords))
        }

        writer.begin(.proxiedBytes)
        for (topic, label) in zip(topics, topicLabels) {
            writer.sample(MetricFamily.proxiedBytes.nameBytes, label, .double(topic.proxiedBytes))
        }

        writer.begin(.unproxiedSourceRecords)
        for (topic, label) in zip(topics, topicLabels) {
            writer.sample(MetricFamily.unproxiedSourceRecords.nameBytes, label, .integer(topic.unproxiedSourceRecords))
        }

        writer.begin(.postMigrationSourceRecords)
        for (topic, label) in zip(topics, topicLabels) {
            writer.sample(
                MetricFamily.postMigrationSourceRecords.nameBytes, label, .integer(topic.postMigrationSourceRecords))
        }

        // Every diagnostic, 0 or 1, so an alert can tell "not firing" from "topic not watched".
        writer.begin(.diagnosticActive)
        for (topic, label) in zip(topics, topicLabels) {
            for (diagnostic, diagnosticLabel) in diagnosticLabels {
                writer.sample(
                    MetricFamily.diagnosticActive.nameBytes, label, diagnosticLabel,
                    .flag(topic.diagnostics.contains(diagnostic)))
            }
        }

        writer.begin(.events)
        for (type, typeLabel) in eventTypeLabels {
            writer.sample(MetricFamily.events.nameBytes, typeLabel, .integer(snapshot.eventCounts[type] ?? 0))
        }

        // Only PROXY topics can initiate a cutover; for the others the question does not arise.
        writer.begin(.cutoverReady)
        for (topic, label) in zip(topics, topicLabels) where topic.state == .proxy {
            writer.sample(MetricFamily.cutoverReady.nameBytes, label, .flag(topic.cutoverReady))
        }
    }

    // MARK: The exporter's own health

    private static func writeExporterFamilies(_ snapshot: MetricsSnapshot, to writer: inout ExpositionWriter) {
        let clusters = [
            (snapshot.source, clusterLabels[0]), (snapshot.destination, clusterLabels[1]),
        ]

        writer.begin(.clusterUp)
        for (cluster, label) in clusters {
            writer.sample(MetricFamily.clusterUp.nameBytes, label, .flag(cluster.up))
        }
        writer.begin(.partitions)
        for (cluster, label) in clusters {
            writer.sample(MetricFamily.partitions.nameBytes, label, .count(cluster.watchedPartitions))
        }
        writer.begin(.partitionsAnswered)
        for (cluster, label) in clusters {
            writer.sample(MetricFamily.partitionsAnswered.nameBytes, label, .count(cluster.answeredPartitions))
        }

        writer.begin(.proxyTargetUp)
        for target in snapshot.proxyTargets {
            writer.sample(MetricFamily.proxyTargetUp.nameBytes, LabelPair("target", target.target), .flag(target.up))
        }

        writer.begin(.stateSourceUp)
        writer.sample(MetricFamily.stateSourceUp.nameBytes, .flag(snapshot.stateSourceUp))

        writer.begin(.pollDuration)
        let bucket = Array("kafka_migration_poll_duration_seconds_bucket".utf8)
        let sum = Array("kafka_migration_poll_duration_seconds_sum".utf8)
        let count = Array("kafka_migration_poll_duration_seconds_count".utf8)
        for (cluster, label) in clusters {
            let histogram = cluster.pollDurations
            for (upperBound, cumulative) in histogram.cumulativeBuckets {
                writer.sample(bucket, label, LabelPair("le", leValue(upperBound)), .count(cumulative))
            }
            writer.sample(bucket, label, LabelPair("le", "+Inf"), .count(histogram.count))
            writer.sample(sum, label, .double(histogram.sum))
            writer.sample(count, label, .count(histogram.count))
        }

        writer.begin(.lastPoll)
        for (cluster, label) in clusters {
            guard let last = cluster.lastSuccessfulPoll else { continue }
            writer.sample(MetricFamily.lastPoll.nameBytes, label, .double(last.timeIntervalSince1970))
        }

        writer.begin(.storeUp)
        writer.sample(MetricFamily.storeUp.nameBytes, .flag(snapshot.store.up))
        writer.begin(.storeCommitFailures)
        writer.sample(MetricFamily.storeCommitFailures.nameBytes, .integer(snapshot.store.commitFailures))

        writer.begin(.buildInfo)
        writer.sample(MetricFamily.buildInfo.nameBytes, LabelPair("version", snapshot.version), .integer(1))
    }

    // MARK: Fixed label pairs, escaped once per process

    private static let stateLabels = MigrationState.allCases.map { ($0, LabelPair("state", $0.rawValue)) }
    private static let diagnosticLabels = Diagnostic.allCases.map { ($0, LabelPair("diagnostic", $0.rawValue)) }
    private static let eventTypeLabels = MigrationEventType.allCases.map { ($0, LabelPair("type", $0.rawValue)) }
    private static let clusterLabels = ClusterRole.allCases.map { LabelPair("cluster", $0.rawValue) }

    /// `le` values as client libraries write them: `0.5`, `1.0`, `2.5`, so dashboards that
    /// match on `le="1.0"` keep working.
    static func leValue(_ bound: Double) -> String {
        bound == bound.rounded() && bound.magnitude < 1e15 ? String(Int64(bound)) + ".0" : bound.description
    }
}
