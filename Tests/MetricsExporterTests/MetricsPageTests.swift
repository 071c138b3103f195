/// The `/metrics` page as a whole (golden file) and the rules of CONTRACT §4 one by one.
import Diagnostics
import Foundation
import Testing
@testable import MetricsExporter

@Suite struct MetricsPageTests {
    /// Regenerate with `EXPORTERD_UPDATE_GOLDEN=1 swift test --filter MetricsExporterTests`,
    /// then review the diff like code: every changed line is a change dashboards see.
    @Test func pageMatchesGoldenFile() throws {
        let page = MetricsPage.renderText(MetricsFixtures.golden)
        if ProcessInfo.processInfo.environment["EXPORTERD_UPDATE_GOLDEN"] != nil {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Golden/metrics.txt")
            try page.write(to: source, atomically: true, encoding: .utf8)
        }
        let url = try #require(Bundle.module.url(forResource: "metrics", withExtension: "txt", subdirectory: "Golden"))
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(page == golden)
    }

    @Test func everyContractFamilyHasHelpAndType() {
        let page = MetricsPage.renderText(MetricsFixtures.golden)
        for family in MetricFamily.all {
            #expect(page.contains("# HELP \(family.name) "), "\(family.name)")
            #expect(page.contains("# TYPE \(family.name) \(family.type.rawValue)\n"), "\(family.name)")
        }
        // The 24 families of CONTRACT §4 plus the store's two health series.
        #expect(MetricFamily.all.count == 26)
        for family in MetricFamily.all where family.type == .counter {
            #expect(family.name.hasSuffix("_total"))
        }
    }

    /// docs/metrics.md is the operators' catalogue: every family on the page is described there.
    @Test func everyFamilyIsDocumented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/metrics.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for family in MetricFamily.all {
            #expect(text.contains("| `\(family.name)` |"), "\(family.name) is not in docs/metrics.md")
        }
    }

    @Test func completeTopicsHaveNoReplicationOffsetLag() {
        let lines = pageLines(MetricsFixtures.golden)
        #expect(!lines.contains { $0.hasPrefix("kafka_migration_replication_offset_lag{topic=\"audit\"}") })
        #expect(!lines.contains { $0.hasPrefix("kafka_migration_partition_replication_offset_lag{topic=\"audit\"") })
        #expect(!lines.contains { $0.hasPrefix("kafka_migration_replication_time_lag_seconds{topic=\"audit\"}") })
        #expect(lines.contains("kafka_migration_replication_offset_lag{topic=\"orders\"} 50"))
        #expect(lines.contains("kafka_migration_replication_offset_lag{topic=\"inventory\"} 0"))
    }

    @Test func unknownLagIsNotExported() {
        let page = MetricsPage.renderText(MetricsSnapshot(topics: [MetricsFixtures.fresh]))
        #expect(!page.contains("kafka_migration_replication_offset_lag"))
        #expect(!page.contains("kafka_migration_replication_time_lag_seconds"))
        #expect(!page.contains("kafka_migration_source_offsets_total"))
        #expect(!page.contains("kafka_migration_topic_state{"))
        #expect(page.contains("kafka_migration_topic_info{topic=\"fresh\",destination_topic=\"fresh-dst\"} 1"))
    }

    @Test func stateIsOneForCurrentAndZeroForTheOtherThree() {
        let lines = pageLines(MetricsFixtures.golden)
        let payments = lines.filter { $0.hasPrefix("kafka_migration_topic_state{topic=\"payments.eu\"") }
        #expect(payments == [
            "kafka_migration_topic_state{topic=\"payments.eu\",state=\"REJECT\"} 0",
            "kafka_migration_topic_state{topic=\"payments.eu\",state=\"PROXY\"} 0",
            "kafka_migration_topic_state{topic=\"payments.eu\",state=\"MIGRATING\"} 1",
            "kafka_migration_topic_state{topic=\"payments.eu\",state=\"COMPLETE\"} 0",
        ])
        #expect(lines.contains("kafka_migration_topics{state=\"PROXY\"} 2"))
        #expect(lines.contains("kafka_migration_topics{state=\"COMPLETE\"} 1"))
    }

    @Test func everyDiagnosticIsShownForEveryTopic() {
        let lines = pageLines(MetricsFixtures.golden)
        let active = lines.filter { $0.hasPrefix("kafka_migration_diagnostic_active{") }
        #expect(active.count == MetricsFixtures.golden.topics.count * 8)
        #expect(lines.contains(
            "kafka_migration_diagnostic_active{topic=\"payments.eu\",diagnostic=\"direct_source_producers\"} 1"))
        #expect(lines.contains(
            "kafka_migration_diagnostic_active{topic=\"orders\",diagnostic=\"migration_stalled\"} 0"))
    }

    @Test func cutoverReadyOnlyForProxyTopics() {
        let ready = pageLines(MetricsFixtures.golden).filter { $0.hasPrefix("kafka_migration_cutover_ready{") }
        #expect(ready == [
            "kafka_migration_cutover_ready{topic=\"orders\"} 0",
            "kafka_migration_cutover_ready{topic=\"clicks\"} 1",
        ])
    }

    @Test func partitionMetricsOnlyWithTheFlag() {
        var snapshot = MetricsFixtures.golden
        snapshot.exportPartitionMetrics = false
        #expect(!MetricsPage.renderText(snapshot).contains("kafka_migration_partition_replication_offset_lag"))
        let lines = pageLines(MetricsFixtures.golden)
        let orders = lines.filter { $0.hasPrefix("kafka_migration_partition_replication_offset_lag{topic=\"orders\"") }
        #expect(orders == [
            "kafka_migration_partition_replication_offset_lag{topic=\"orders\",partition=\"0\"} 20",
            "kafka_migration_partition_replication_offset_lag{topic=\"orders\",partition=\"1\"} 30",
            "kafka_migration_partition_replication_offset_lag{topic=\"orders\",partition=\"2\"} 0",
        ])
    }

    @Test func topicThatDisappearsFromTheSnapshotDisappearsFromThePage() {
        var snapshot = MetricsFixtures.golden
        #expect(MetricsPage.renderText(snapshot).contains("topic=\"payments.eu\""))
        snapshot.topics.removeAll { $0.topic == "payments.eu" }
        let page = MetricsPage.renderText(snapshot)
        #expect(!page.contains("payments.eu"))
        #expect(!page.contains("payments-eu"))
        #expect(page.contains("kafka_migration_topics{state=\"MIGRATING\"} 0"))
    }

    @Test func labelValuesAreEscaped() {
        let topic = TopicStatus(
            topic: "we\"ird\\top\nic", destinationTopic: "dst\\\"\n", state: .reject, sourceOffsets: 1)
        let page = MetricsPage.renderText(MetricsSnapshot(
            topics: [topic], proxyTargets: [ProxyTargetMetrics(target: "http://a/\"x\"", up: true)]))
        #expect(page.contains(#"kafka_migration_topic_info{topic="we\"ird\\top\nic",destination_topic="dst\\\"\n"} 1"#))
        #expect(page.contains(#"kafka_migration_source_offsets_total{topic="we\"ird\\top\nic"} 1"#))
        #expect(page.contains(#"kafka_migration_proxy_target_up{target="http://a/\"x\""} 1"#))
        // No raw line feed inside a sample: every line starts with a name or '#'.
        for line in page.split(separator: "\n") {
            #expect(line.hasPrefix("kafka_migration_") || line.hasPrefix("# "), "\(line)")
        }
    }

    @Test func histogramHasCumulativeBucketsSumAndCount() {
        let lines = pageLines(MetricsFixtures.golden)
        let source = lines.filter { $0.hasPrefix("kafka_migration_poll_duration_seconds") && $0.contains("\"source\"") }
        #expect(source.contains("kafka_migration_poll_duration_seconds_bucket{cluster=\"source\",le=\"0.01\"} 1"))
        #expect(source.contains("kafka_migration_poll_duration_seconds_bucket{cluster=\"source\",le=\"0.025\"} 3"))
        #expect(source.contains("kafka_migration_poll_duration_seconds_bucket{cluster=\"source\",le=\"1.0\"} 5"))
        #expect(source.contains("kafka_migration_poll_duration_seconds_bucket{cluster=\"source\",le=\"+Inf\"} 5"))
        #expect(source.contains("kafka_migration_poll_duration_seconds_count{cluster=\"source\"} 5"))
        #expect(source.contains("kafka_migration_poll_duration_seconds_sum{cluster=\"source\"} 1.2890625"))
        #expect(lines.contains("kafka_migration_poll_duration_seconds_bucket{cluster=\"destination\",le=\"60.0\"} 2"))
    }

    @Test func eventTypesNeverRecordedShowZero() {
        let lines = pageLines(MetricsSnapshot())
        for type in MigrationEventType.allCases {
            #expect(lines.contains("kafka_migration_events_total{type=\"\(type.rawValue)\"} 0"))
        }
    }

    @Test func beforeFirstPollHasNoLastPollTimestamp() {
        let page = MetricsPage.renderText(.beforeFirstPoll)
        #expect(!page.contains("kafka_migration_last_poll_timestamp_seconds"))
        #expect(page.contains("kafka_migration_cluster_up{cluster=\"source\"} 0"))
        #expect(page.contains("kafka_migration_exporter_build_info{version=\"\(BuildInfo.version)\"} 1"))
    }

    @Test func specialAndLargeNumbersUseTheFormatSpelling() {
        let topic = TopicStatus(
            topic: "t", destinationTopic: "t", state: .proxy, sourceOffsets: .max, timeLagSeconds: .infinity,
            proxiedRecords: 1e20, proxiedBytes: .nan, unproxiedSourceRecords: -1)
        let lines = pageLines(MetricsSnapshot(topics: [topic]))
        #expect(lines.contains("kafka_migration_source_offsets_total{topic=\"t\"} 9223372036854775807"))
        #expect(lines.contains("kafka_migration_replication_time_lag_seconds{topic=\"t\"} +Inf"))
        #expect(lines.contains("kafka_migration_proxied_records_total{topic=\"t\"} 1e+20"))
        #expect(lines.contains("kafka_migration_proxied_bytes_total{topic=\"t\"} NaN"))
        #expect(lines.contains("kafka_migration_unproxied_source_records_total{topic=\"t\"} -1"))
    }

    @Test func credentialsAreRemovedFromTargetLabels() {
        let target = ProxyTargetMetrics(target: "http://user:secret@agent-1:8080/metrics", up: true)
        #expect(target.target == "http://agent-1:8080/metrics")
    }

    private func pageLines(_ snapshot: MetricsSnapshot) -> [String] {
        MetricsPage.renderText(snapshot).split(separator: "\n").map(String.init)
    }
}
