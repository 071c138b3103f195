/// Reading our two counters from an agent page: every label set a series, summed per topic;
/// the other spellings of a counter; values that are not counts refused with their line.
import Testing
@testable import Diagnostics

@Suite struct ProxiedCountersTests {
    @Test func sumsOverOtherLabelsPerTopic() throws {
        let page = try ProxiedCounters.read(ExpositionPages.textAgent(orders: 11, payments: 4))
        #expect(page.countersByTopic == [
            "orders.v2": TopicCounters(records: 11, bytes: 1100),
            "payments.v2": TopicCounters(records: 4, bytes: 400),
        ])
        #expect(page.series.count == 5)
        #expect(page.series[CounterSeries(counter: .records, topic: "orders.v2", labels: ["topic": "orders.v2", "client": "b"])] == .count(6))
    }

    /// OpenMetrics: `# TYPE kafka_proxy_produced_records counter`, samples `…_total`, and
    /// `_created` samples that are creation times, never counts.
    @Test func openMetricsCountersWithoutCreated() throws {
        let page = try ProxiedCounters.read(ExpositionPages.openMetricsAgent)
        #expect(page.countersByTopic == [
            "orders.v2": TopicCounters(records: 200, bytes: 20000),
            "payments.v2": TopicCounters(records: 7, bytes: 700),
            "unmapped": TopicCounters(records: 0, bytes: 5),
        ])
    }

    @Test func configuredWithoutTotalSuffix() throws {
        let names = ProxiedCounterNames(recordsMetric: "kafka_proxy_produced_records", bytesMetric: "kafka_proxy_produced_bytes")
        let page = try ProxiedCounters.read(ExpositionPages.openMetricsAgent, names: names)
        #expect(page.countersByTopic["orders.v2"] == TopicCounters(records: 200, bytes: 20000))
    }

    /// prometheus_client's text format writes `x_created` as a gauge family of its own next to
    /// `x_total`: with `x` configured, `x_total` counts and `x_created` does not.
    @Test func textFormatCreatedGaugeIsNotCounted() throws {
        let names = ProxiedCounterNames(recordsMetric: "r", bytesMetric: "b")
        let page = try ProxiedCounters.read("""
        # TYPE r_total counter
        r_total{topic="t"} 9.0
        # TYPE r_created gauge
        r_created{topic="t"} 1.7960155026534896e+09
        # TYPE b_total counter
        b_total{topic="t"} 90.0
        """, names: names)
        #expect(page.countersByTopic == ["t": TopicCounters(records: 9, bytes: 90)])
    }

    @Test func counterWithoutSuffixOnThePage() throws {
        let page = try ProxiedCounters.read("""
        # TYPE kafka_proxy_produced_records counter
        kafka_proxy_produced_records{topic="t"} 9
        # TYPE kafka_proxy_produced_bytes gauge
        kafka_proxy_produced_bytes{topic="t"} 90
        """)
        // Records: a counter by its TYPE line. Bytes: a gauge, so not taken for the counter.
        #expect(page.countersByTopic == ["t": TopicCounters(records: 9, bytes: 0)])
    }

    @Test func customNamesAndTopicLabel() throws {
        let names = ProxiedCounterNames(recordsMetric: "proxy_records_out", bytesMetric: "proxy_bytes_out", topicLabel: "dest")
        let page = try ProxiedCounters.read("""
        proxy_records_out{dest="a",partition="0"} 3
        proxy_records_out{dest="a",partition="1"} 4
        proxy_records_out{topic="ignored"} 100
        proxy_bytes_out{dest="a"} 70
        """, names: names)
        #expect(page.countersByTopic == ["a": TopicCounters(records: 7, bytes: 70)])
    }

    @Test func nanIsASeriesWithoutValueNotACount() throws {
        let page = try ProxiedCounters.read("""
        kafka_proxy_produced_records_total{topic="t",p="0"} NaN
        kafka_proxy_produced_records_total{topic="t",p="1"} 5
        """)
        #expect(page.countersByTopic == ["t": TopicCounters(records: 5, bytes: 0)])
        #expect(page.series[CounterSeries(counter: .records, topic: "t", labels: ["topic": "t", "p": "0"])] == .notANumber(line: 1))
    }

    /// Values an attacker or a broken agent may write: each names its line, none traps.
    @Test(arguments: [
        ("18446744073709551615", ProxiedPageError.ValueProblem.beyondExactRange),
        ("9007199254740993", .beyondExactRange),
        ("1e300", .beyondExactRange),
        ("-1e19", .negative),
        ("-1", .negative),
        ("+Inf", .notFinite),
        ("-Inf", .notFinite),
        ("12.5", .notWhole),
        ("0x1p-3", .notWhole),
    ])
    func valuesThatAreNotCounts(value: String, problem: ProxiedPageError.ValueProblem) {
        let text = "other 1\nkafka_proxy_produced_records_total{topic=\"t\"} 1\nkafka_proxy_produced_bytes_total{topic=\"t\"} \(value)\n"
        #expect {
            try ProxiedCounters.read(text)
        } throws: { error in
            guard case let .invalidValue(line, series, _, found) = error as? ProxiedPageError else { return false }
            return line == 3 && found == problem && series.counter == .bytes && "\(error)".hasPrefix("line 3: bytes{topic=\"t\"} value")
        }
    }

    @Test func largestExactCountIsAccepted() throws {
        let page = try ProxiedCounters.read("kafka_proxy_produced_records_total{topic=\"t\"} 9007199254740991\n")
        #expect(page.series.values.first == .count(9_007_199_254_740_991))
    }

    @Test func exactDuplicateIsOneSeries() throws {
        let page = try ProxiedCounters.read("""
        kafka_proxy_produced_records_total{topic="t",p="0"} 5
        kafka_proxy_produced_records_total{p="0",topic="t"} 5
        """)
        #expect(page.series.count == 1)
        #expect(page.countersByTopic == ["t": TopicCounters(records: 5, bytes: 0)])
    }

    @Test func duplicateWithAnotherValueIsRefused() {
        #expect(throws: ProxiedPageError.conflictingDuplicate(
            line: 3, firstLine: 1, series: CounterSeries(counter: .records, topic: "t", labels: ["topic": "t"]))) {
            try ProxiedCounters.read("""
            kafka_proxy_produced_records_total{topic="t"} 5
            other 1
            kafka_proxy_produced_records_total{topic="t"} 6
            """)
        }
    }

    /// A carriage return in a label value must not reach a log line raw.
    @Test func errorsEscapeControlCharacters() {
        let error = ProxiedPageError.invalidValue(
            line: 2, series: CounterSeries(counter: .records, topic: "t", labels: ["topic": "t", "c": "a\r\nFAKE LOG LINE"]),
            value: -1, problem: .negative)
        #expect(!"\(error)".contains("\r"))
        #expect(!"\(error)".contains("\n"))
        #expect("\(error)".contains(#"c="a\u{d}\u{a}FAKE LOG LINE""#))
    }

    @Test func processStartTimeIsRead() throws {
        let page = try ProxiedCounters.read("process_start_time_seconds 1.79601550144e+09\nkafka_proxy_produced_records_total{topic=\"t\"} 1\n")
        #expect(page.processStartTime == 1_796_015_501.44)
        let broken = try ProxiedCounters.read("process_start_time_seconds soon\nkafka_proxy_produced_records_total{topic=\"t\"} 1\n")
        #expect(broken.processStartTime == nil)
        #expect(broken.skippedLines == 1)
    }
}
