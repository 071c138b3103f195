/// The reset-corrected proxied totals: per series restart detection, missing and NaN series
/// (incomplete, then retired — never a restart by themselves), process restarts, and the
/// persisted document, including the format written before series were followed.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct ProxiedCounterTotalsTests {
    static let map = ["orders.v2": "orders", "payments.v2": "payments"]

    private func scrape(_ orders: Int, _ payments: Int) throws -> ProxiedCounterPage {
        try ProxiedCounters.read(ExpositionPages.textAgent(orders: orders, payments: payments))
    }

    /// A page of per-partition record series of `orders.v2`; nil values are left off the page.
    private func partitions(_ values: [Int?], start: Double? = nil, nan: Set<Int> = []) throws -> ProxiedCounterPage {
        var text = start.map { "process_start_time_seconds \($0)\n" } ?? ""
        for (partition, value) in values.enumerated() {
            if nan.contains(partition) {
                text += "kafka_proxy_produced_records_total{topic=\"orders.v2\",partition=\"\(partition)\"} NaN\n"
            } else if let value {
                text += "kafka_proxy_produced_records_total{topic=\"orders.v2\",partition=\"\(partition)\"} \(value)\n"
            }
        }
        return try ProxiedCounters.read(text)
    }

    private func records(_ totals: ProxiedCounterTotals) -> Int64 { totals.recordsBySourceTopic["orders"] ?? 0 }

    @Test func firstSightingTakesTheAgentsValue() throws {
        var totals = ProxiedCounterTotals()
        let observed = totals.observe(target: "agent-1", page: try scrape(500, 20), sourceTopics: Self.map)
        #expect(observed == AgentObservation())
        #expect(totals.totals(forSourceTopic: "orders") == TopicCounters(records: 500, bytes: 50000))
        #expect(totals.totals(forSourceTopic: "payments").records == 20)
        #expect(totals.totals(forSourceTopic: "nothing") == TopicCounters())
    }

    @Test func twoAgentsAreSummed() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "agent-1", page: try scrape(500, 20), sourceTopics: Self.map)
        totals.observe(target: "agent-2", page: try scrape(30, 1), sourceTopics: Self.map)
        totals.observe(target: "agent-1", page: try scrape(510, 20), sourceTopics: Self.map)
        totals.observe(target: "agent-2", page: try scrape(33, 2), sourceTopics: Self.map)
        #expect(totals.totalsBySourceTopic == [
            "orders": TopicCounters(records: 543, bytes: 54300),
            "payments": TopicCounters(records: 22, bytes: 2200),
        ])
        #expect(totals.recordsBySourceTopic == ["orders": 543, "payments": 22])
    }

    @Test func unmappedTopicsAreIgnored() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "agent-1", page: try ProxiedCounters.read(ExpositionPages.openMetricsAgent), sourceTopics: Self.map)
        #expect(Set(totals.totalsBySourceTopic.keys) == ["orders", "payments"])
        #expect(totals.totals(forSourceTopic: "orders") == TopicCounters(records: 200, bytes: 20000))
    }

    @Test func severalDestinationTopicsForOneSource() {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "agent-1", page: ProxiedCounterPage(countersByTopic: [
            "a": TopicCounters(records: 1, bytes: 10), "b": TopicCounters(records: 2, bytes: 20),
        ]), sourceTopics: ["a": "src", "b": "src"])
        #expect(totals.totals(forSourceTopic: "src") == TopicCounters(records: 3, bytes: 30))
    }

    /// One partition's series restarts (went down) while the topic's sum went up: per-topic
    /// sums would miss it; per series all of its new value is new and the topic restarted.
    @Test func restartOfOneSeriesIsSeenWhenTheTopicSumGrows() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "a", page: try partitions([100, 10]), sourceTopics: Self.map)
        let observed = totals.observe(target: "a", page: try partitions([5, 200]), sourceTopics: Self.map)
        #expect(observed.restartedTopics == ["orders"])
        #expect(records(totals) == 110 + 5 + 190)
        #expect(totals.takeUnreportedRestarts() == ["orders"])
        #expect(totals.takeUnreportedRestarts() == [])
    }

    @Test func agentRestartCountsTheNewValueFromZero() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "agent-1", page: try scrape(500, 20), sourceTopics: Self.map)
        totals.observe(target: "agent-1", page: try scrape(600, 20), sourceTopics: Self.map)
        let restarted = totals.observe(target: "agent-1", page: try scrape(7, 20), sourceTopics: Self.map)
        totals.observe(target: "agent-1", page: try scrape(10, 20), sourceTopics: Self.map)
        #expect(restarted.restartedTopics == ["orders"])
        #expect(totals.totals(forSourceTopic: "orders").records == 610)
        #expect(totals.totals(forSourceTopic: "payments").records == 20)
    }

    /// The bug of issue 8 item 7: a series dropping out used to be taken for a restart (fresh
    /// baselines, direct writes just before never counted). Now the agent is incomplete for
    /// that scrape, and when the series is back with its count, nothing restarted.
    @Test func seriesMissingForAScrapeIsIncompleteNotARestart() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "a", page: try partitions([100, 50]), sourceTopics: Self.map)
        let gap = totals.observe(target: "a", page: try partitions([110, nil]), sourceTopics: Self.map)
        #expect(!gap.isComplete)
        #expect(gap.restartedTopics.isEmpty)
        #expect(gap.missing.map(\.series.labels) == [["topic": "orders.v2", "partition": "1"]])
        #expect(totals.missingSeries(of: "a").count == 1)
        let back = totals.observe(target: "a", page: try partitions([120, 60]), sourceTopics: Self.map)
        #expect(back.isComplete)
        #expect(back.restartedTopics.isEmpty)
        #expect(totals.missingSeries(of: "a").isEmpty)
        #expect(records(totals) == 180)
        #expect(totals.takeUnreportedRestarts().isEmpty)
    }

    @Test func nanSeriesIsIncompleteNotARestartAndNamesItsLine() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "a", page: try partitions([100, 50]), sourceTopics: Self.map)
        let nan = totals.observe(target: "a", page: try partitions([110, 0], nan: [1]), sourceTopics: Self.map)
        #expect(!nan.isComplete)
        #expect(nan.restartedTopics.isEmpty)
        #expect(nan.missing.first?.notANumberLine == 2)
        #expect(nan.missing.first?.description.contains("is NaN on line 2") == true)
        totals.observe(target: "a", page: try partitions([110, 55]), sourceTopics: Self.map)
        #expect(records(totals) == 165)
    }

    /// A series gone for good (its client disconnected): incomplete for
    /// `retireAfterMissingScrapes` − 1 scrapes, then retired — its count stays in the total,
    /// its topic takes fresh baselines, and the agent is complete again.
    @Test func seriesMissingForSeveralScrapesIsRetired() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "a", page: try partitions([100, 50]), sourceTopics: Self.map)
        for scrape in 1..<ProxiedCounterTotals.retireAfterMissingScrapes {
            let observed = totals.observe(target: "a", page: try partitions([100 + scrape]), sourceTopics: Self.map)
            #expect(!observed.isComplete)
            #expect(observed.missing.first?.scrapes == scrape)
        }
        let retired = totals.observe(target: "a", page: try partitions([110]), sourceTopics: Self.map)
        #expect(retired.isComplete)
        #expect(retired.retired.count == 1)
        #expect(retired.restartedTopics == ["orders"])
        #expect(records(totals) == 160)
        #expect(totals.observe(target: "a", page: try partitions([111]), sourceTopics: Self.map) == AgentObservation())
        // Back after its retirement with its old count and more: continues, counts no twice.
        let back = totals.observe(target: "a", page: try partitions([111, 58]), sourceTopics: Self.map)
        #expect(back.restartedTopics.isEmpty)
        #expect(records(totals) == 111 + 58)
    }

    /// The process restarted and counted past its old values before the next scrape: only
    /// `process_start_time_seconds` shows it. Every series restarts from 0; the ones the new
    /// process has not shown yet are settled, not missing.
    @Test func processRestartSeenFromStartTime() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "a", page: try partitions([100, 50], start: 1_796_000_000), sourceTopics: Self.map)
        let restarted = totals.observe(target: "a", page: try partitions([130], start: 1_796_000_300), sourceTopics: Self.map)
        #expect(restarted.processRestarted)
        #expect(restarted.isComplete)
        #expect(restarted.restartedTopics == ["orders"])
        #expect(records(totals) == 150 + 130)
        let next = totals.observe(target: "a", page: try partitions([140, 4], start: 1_796_000_300), sourceTopics: Self.map)
        #expect(next == AgentObservation())
        #expect(records(totals) == 150 + 140 + 4)
    }

    /// The kernel's boot time (and so the start time libraries derive) may move by a second.
    @Test func startTimeJitterIsNoRestart() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "a", page: try partitions([100], start: 1_796_000_000), sourceTopics: Self.map)
        let observed = totals.observe(target: "a", page: try partitions([101], start: 1_796_000_000.99), sourceTopics: Self.map)
        #expect(!observed.processRestarted)
        #expect(records(totals) == 101)
    }

    /// Retired series are kept to recognise them when they come back, but not without bound
    /// (a client id per producer instance retires one series per instance): past the limit
    /// the longest-gone are folded into their topic's total, which does not change.
    @Test func retiredSeriesAreBoundedWithoutLosingCounts() throws {
        var totals = ProxiedCounterTotals()
        let many = ProxiedCounterTotals.retiredSeriesLimit + 50
        totals.observe(target: "a", page: try partitions(Array(repeating: 2, count: many) + [1]), sourceTopics: Self.map)
        for _ in 0..<ProxiedCounterTotals.retireAfterMissingScrapes {
            totals.observe(target: "a", page: try partitions(Array(repeating: nil, count: many) + [1]), sourceTopics: Self.map)
        }
        #expect(totals.agents["a"]?.series.count == ProxiedCounterTotals.retiredSeriesLimit + 1)
        #expect(records(totals) == Int64(2 * many + 1))
        #expect(totals.observe(target: "a", page: try partitions(Array(repeating: nil, count: many) + [3]), sourceTopics: Self.map).isComplete)
        #expect(records(totals) == Int64(2 * many + 3))
    }

    /// Huge running totals saturate instead of trapping.
    @Test func totalsSaturate() throws {
        var totals = ProxiedCounterTotals()
        let huge = Int(SeriesValue.largestExactCount)
        for agent in 0..<1100 {
            totals.observe(target: "agent-\(agent)", page: try partitions([huge]), sourceTopics: Self.map)
        }
        #expect(records(totals) == .max)
    }

    /// exporterd restarts: the persisted totals go on with what the agents counted meanwhile.
    @Test func restoredFromPersistenceAddsWhatAgentsCountedMeanwhile() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "agent-1", page: try scrape(500, 20), sourceTopics: Self.map)
        totals.observe(target: "agent-2", page: try scrape(300, 10), sourceTopics: Self.map)
        totals.observe(target: "agent-2", page: try scrape(40, 10), sourceTopics: Self.map)  // restart: +40
        totals.observe(target: "agent-3", page: try partitions([5, nil]), sourceTopics: Self.map)

        let data = try JSONEncoder().encode(totals)
        var restored = try JSONDecoder().decode(ProxiedCounterTotals.self, from: data)
        #expect(restored == totals)
        #expect(restored.totals(forSourceTopic: "orders").records == 845)
        #expect(restored.takeUnreportedRestarts() == ["orders"])

        restored.observe(target: "agent-1", page: try scrape(650, 20), sourceTopics: Self.map)  // +150
        restored.observe(target: "agent-2", page: try scrape(12, 3), sourceTopics: Self.map)   // restarted: +12
        restored.observe(target: "agent-4", page: try scrape(9, 0), sourceTopics: Self.map)    // new agent: as is
        #expect(restored.totals(forSourceTopic: "orders").records == 845 + 150 + 12 + 9)
        #expect(restored.totals(forSourceTopic: "payments").records == 30 + 0 + 3 + 0)
    }

    /// The document as the version before this one wrote it (topic-level float counters under
    /// `entries`): a daemon upgraded in place keeps its totals and goes on from them.
    static let formatOne = #"""
    {"entries":{
      "http://agent-1:8080/metrics":{
        "orders.v2":{"sourceTopic":"orders","records":{"lastRaw":500,"total":1500},"bytes":{"lastRaw":50000,"total":150000}},
        "payments.v2":{"sourceTopic":"payments","records":{"lastRaw":20,"total":20},"bytes":{"lastRaw":2000,"total":2000}}},
      "http://agent-2:8080/metrics":{
        "orders.v2":{"sourceTopic":"orders","records":{"lastRaw":300,"total":340},"bytes":{"lastRaw":30000,"total":34000}}}}}
    """#

    @Test func formatOneDocumentKeepsItsTotals() throws {
        var totals = try JSONDecoder().decode(ProxiedCounterTotals.self, from: Data(Self.formatOne.utf8))
        #expect(totals.totals(forSourceTopic: "orders") == TopicCounters(records: 1840, bytes: 184_000))
        #expect(totals.totals(forSourceTopic: "payments") == TopicCounters(records: 20, bytes: 2000))

        // agent-1 counted on (+10 orders, split over two series now); agent-2 restarted.
        let one = totals.observe(target: "http://agent-1:8080/metrics", page: try scrape(510, 20), sourceTopics: Self.map)
        let two = totals.observe(target: "http://agent-2:8080/metrics", page: try scrape(7, 0), sourceTopics: Self.map)
        #expect(one.restartedTopics.isEmpty)
        #expect(two.restartedTopics == ["orders"])
        #expect(totals.totals(forSourceTopic: "orders").records == 1500 + 10 + 340 + 7)
        #expect(totals.totals(forSourceTopic: "orders").bytes == 150_000 + 1000 + 34000 + 700)
        totals.observe(target: "http://agent-1:8080/metrics", page: try scrape(515, 21), sourceTopics: Self.map)
        #expect(totals.totals(forSourceTopic: "orders").records == 1500 + 15 + 340 + 7)
        #expect(totals.totals(forSourceTopic: "payments").records == 21)

        // And the migrated document persists in the new format without loss.
        let again = try JSONDecoder().decode(ProxiedCounterTotals.self, from: JSONEncoder().encode(totals))
        #expect(again == totals)
    }

    @Test func formatOneWithAnImpossibleValueIsRefusedNotTrapped() {
        let corrupt = #"{"entries":{"a":{"t":{"sourceTopic":"t","records":{"lastRaw":1e300,"total":1e300},"bytes":{"lastRaw":0,"total":0}}}}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ProxiedCounterTotals.self, from: Data(corrupt.utf8)) }
    }
}
