import Testing
@testable import Diagnostics

@Suite struct ProxiedCountersTests {
    @Test func sumsOverOtherLabelsPerTopic() throws {
        let page = try ExpositionParser.parse(ExpositionPages.textAgent(orders: 11, payments: 4))
        #expect(ProxiedCounters.extract(from: page) == [
            "orders.v2": TopicCounters(records: 11, bytes: 1100),
            "payments.v2": TopicCounters(records: 4, bytes: 400),
        ])
    }

    /// OpenMetrics: `# TYPE kafka_proxy_produced_records counter`, samples `…_total`.
    @Test func openMetricsCounters() throws {
        let page = try ExpositionParser.parse(ExpositionPages.openMetricsAgent)
        #expect(ProxiedCounters.extract(from: page) == [
            "orders.v2": TopicCounters(records: 200, bytes: 20000),
            "payments.v2": TopicCounters(records: 7, bytes: 700),
            "unmapped": TopicCounters(records: 0, bytes: 5),
        ])
    }

    @Test func configuredWithoutTotalSuffix() throws {
        let page = try ExpositionParser.parse(ExpositionPages.openMetricsAgent)
        let names = ProxiedCounterNames(
            recordsMetric: "kafka_proxy_produced_records", bytesMetric: "kafka_proxy_produced_bytes")
        #expect(ProxiedCounters.extract(from: page, names: names)["orders.v2"] == TopicCounters(records: 200, bytes: 20000))
    }

    @Test func counterWithoutSuffixOnThePage() throws {
        let page = try ExpositionParser.parse("""
        # TYPE kafka_proxy_produced_records counter
        kafka_proxy_produced_records{topic="t"} 9
        # TYPE kafka_proxy_produced_bytes gauge
        kafka_proxy_produced_bytes{topic="t"} 90
        """)
        // Records: a counter by its TYPE line. Bytes: a gauge, so not taken for the counter.
        #expect(ProxiedCounters.extract(from: page) == ["t": TopicCounters(records: 9, bytes: 0)])
    }

    @Test func customNamesAndTopicLabel() throws {
        let page = try ExpositionParser.parse("""
        proxy_records_out{dest="a",partition="0"} 3
        proxy_records_out{dest="a",partition="1"} 4
        proxy_records_out{topic="ignored"} 100
        proxy_bytes_out{dest="a"} 70
        """)
        let names = ProxiedCounterNames(recordsMetric: "proxy_records_out", bytesMetric: "proxy_bytes_out", topicLabel: "dest")
        #expect(ProxiedCounters.extract(from: page, names: names) == ["a": TopicCounters(records: 7, bytes: 70)])
    }

    @Test func nonFiniteValuesAreNotCounts() throws {
        let page = try ExpositionParser.parse("""
        kafka_proxy_produced_records_total{topic="t",p="0"} NaN
        kafka_proxy_produced_records_total{topic="t",p="1"} 5
        kafka_proxy_produced_records_total{topic="t",p="2"} +Inf
        """)
        #expect(ProxiedCounters.extract(from: page) == ["t": TopicCounters(records: 5, bytes: 0)])
    }
}
