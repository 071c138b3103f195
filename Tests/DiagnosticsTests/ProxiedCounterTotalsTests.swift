import Foundation
import Testing
@testable import Diagnostics

@Suite struct ProxiedCounterTotalsTests {
    static let map = ["orders.v2": "orders", "payments.v2": "payments"]

    private func scrape(_ orders: Int, _ payments: Int) throws -> [String: TopicCounters] {
        ProxiedCounters.extract(from: try ExpositionParser.parse(ExpositionPages.textAgent(orders: orders, payments: payments)))
    }

    @Test func firstSightingTakesTheAgentsValue() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "agent-1", counters: try scrape(500, 20), sourceTopics: Self.map)
        #expect(totals.totals(forSourceTopic: "orders") == TopicCounters(records: 500, bytes: 50000))
        #expect(totals.totals(forSourceTopic: "payments").records == 20)
        #expect(totals.totals(forSourceTopic: "nothing") == TopicCounters())
    }

    @Test func twoAgentsAreSummed() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "agent-1", counters: try scrape(500, 20), sourceTopics: Self.map)
        totals.observe(target: "agent-2", counters: try scrape(30, 1), sourceTopics: Self.map)
        totals.observe(target: "agent-1", counters: try scrape(510, 20), sourceTopics: Self.map)
        totals.observe(target: "agent-2", counters: try scrape(33, 2), sourceTopics: Self.map)
        #expect(totals.totalsBySourceTopic == [
            "orders": TopicCounters(records: 543, bytes: 54300),
            "payments": TopicCounters(records: 22, bytes: 2200),
        ])
    }

    @Test func agentRestartCountsTheNewValueFromZero() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "agent-1", counters: try scrape(500, 20), sourceTopics: Self.map)
        totals.observe(target: "agent-1", counters: try scrape(600, 20), sourceTopics: Self.map)
        totals.observe(target: "agent-1", counters: try scrape(7, 20), sourceTopics: Self.map)   // restarted
        totals.observe(target: "agent-1", counters: try scrape(10, 20), sourceTopics: Self.map)
        #expect(totals.totals(forSourceTopic: "orders").records == 610)
        #expect(totals.totals(forSourceTopic: "payments").records == 20)
    }

    @Test func topicMissingFromAScrapeKeepsItsLastValue() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "agent-1", counters: try scrape(500, 20), sourceTopics: Self.map)
        totals.observe(target: "agent-1", counters: ["orders.v2": TopicCounters(records: 505, bytes: 50500)], sourceTopics: Self.map)
        totals.observe(target: "agent-1", counters: try scrape(505, 25), sourceTopics: Self.map)
        #expect(totals.totals(forSourceTopic: "payments").records == 25)
    }

    @Test func unmappedTopicsAreIgnored() throws {
        var totals = ProxiedCounterTotals()
        let page = try ExpositionParser.parse(ExpositionPages.openMetricsAgent)
        totals.observe(target: "agent-1", counters: ProxiedCounters.extract(from: page), sourceTopics: Self.map)
        #expect(Set(totals.totalsBySourceTopic.keys) == ["orders", "payments"])
        #expect(totals.totals(forSourceTopic: "orders") == TopicCounters(records: 200, bytes: 20000))
    }

    @Test func severalDestinationTopicsForOneSource() {
        var totals = ProxiedCounterTotals()
        totals.observe(
            target: "agent-1",
            counters: ["a": TopicCounters(records: 1, bytes: 10), "b": TopicCounters(records: 2, bytes: 20)],
            sourceTopics: ["a": "src", "b": "src"])
        #expect(totals.totals(forSourceTopic: "src") == TopicCounters(records: 3, bytes: 30))
    }

    /// exporterd restarts: the persisted totals go on with what the agents counted meanwhile
    /// (the difference, or all of it for an agent that restarted too).
    @Test func restoredFromPersistenceAddsWhatAgentsCountedMeanwhile() throws {
        var totals = ProxiedCounterTotals()
        totals.observe(target: "agent-1", counters: try scrape(500, 20), sourceTopics: Self.map)
        totals.observe(target: "agent-2", counters: try scrape(300, 10), sourceTopics: Self.map)
        totals.observe(target: "agent-2", counters: try scrape(40, 10), sourceTopics: Self.map)  // restart: +40

        let data = try JSONEncoder().encode(totals)
        var restored = try JSONDecoder().decode(ProxiedCounterTotals.self, from: data)
        #expect(restored == totals)
        #expect(restored.totals(forSourceTopic: "orders").records == 840)

        restored.observe(target: "agent-1", counters: try scrape(650, 20), sourceTopics: Self.map)  // +150
        restored.observe(target: "agent-2", counters: try scrape(12, 3), sourceTopics: Self.map)   // restarted: +12
        restored.observe(target: "agent-3", counters: try scrape(9, 0), sourceTopics: Self.map)    // new agent: as is
        #expect(restored.totals(forSourceTopic: "orders").records == 840 + 150 + 12 + 9)
        #expect(restored.totals(forSourceTopic: "payments").records == 30 + 0 + 3 + 0)
    }
}
