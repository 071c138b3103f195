/// The part of one poll that needs no broker: folding the agents' scrape into the corrected
/// totals and the accounting's `ProxiedRead` (CONTRACT §4 restart correction, §5
/// proxy_counters_incomplete). The rest of `MigrationWatch.poll` needs two clusters and is
/// covered by the integration tests against real brokers.
import Diagnostics
import Foundation
import Logging
import Testing
@testable import exporterd

@Suite struct MigrationWatchTests {
    let mapping = ["orders": "orders", "payments.eu": "payments"]
    let at = Date(timeIntervalSince1970: 1_764_000_000)

    func scrape(_ pages: [String: [String: Double]?]) -> ProxyAgents.Read {
        ProxyAgents.Read(readAt: at, pages: pages.mapValues { counters in
            guard let counters else { return .failure(.unreachable(target: "t", reason: "refused")) }
            return .success(ProxiedCounterPage(countersByTopic: counters.mapValues { TopicCounters(records: $0, bytes: $0 * 10) }))
        })
    }

    struct Fold {
        var totals = ProxiedCounterTotals()
        mutating func callAsFunction(_ read: ProxyAgents.Read, _ mapping: [String: String]) -> ProxiedRead? {
            MigrationWatch.proxiedRead(read, sourceTopics: mapping, totals: &totals, logger: Logger(label: "test"))
        }
    }

    @Test func completeReadSumsAgentsBySourceTopicIgnoringUnmapped() throws {
        var fold = Fold()
        let read = try #require(fold(scrape([
            "a": ["orders": 10, "payments.eu": 4, "unwatched": 99],
            "b": ["orders": 5],
        ]), mapping))
        #expect(read.recordsByTopic == ["orders": 15, "payments": 4])
        #expect(read.readAt == at)
        #expect(read.restartedTopics.isEmpty)
    }

    @Test func anAgentDownGivesNoRead() {
        var fold = Fold()
        #expect(fold(scrape(["a": ["orders": 10], "b": nil]), mapping) == nil)
    }

    @Test func restartIsReportedOnceThenCleared() throws {
        var fold = Fold()
        _ = fold(scrape(["a": ["orders": 10], "b": ["orders": 5]]), mapping)
        let restarted = try #require(fold(scrape(["a": ["orders": 2], "b": ["orders": 6]]), mapping))
        #expect(restarted.restartedTopics == ["orders"])
        #expect(restarted.recordsByTopic["orders"] == 18)  // a: 10, then 2 after its restart; b: 6
        let next = try #require(fold(scrape(["a": ["orders": 3], "b": ["orders": 6]]), mapping))
        #expect(next.restartedTopics.isEmpty)
        #expect(next.recordsByTopic["orders"] == 19)
    }

    /// Agent a restarts while agent b is down: that poll hands the accounting nothing, and the
    /// totals absorb the restart. The next complete read must still say so, or the accounting
    /// compares with a pre-restart baseline and counts a's lost increments as unproxied writes.
    @Test func restartSeenWhileAnotherAgentIsDownIsReportedWithTheNextCompleteRead() throws {
        var fold = Fold()
        _ = fold(scrape(["a": ["orders": 10], "b": ["orders": 5]]), mapping)
        #expect(fold(scrape(["a": ["orders": 1], "b": nil]), mapping) == nil)
        #expect(fold(scrape(["a": ["orders": 2], "b": nil]), mapping) == nil)
        let back = try #require(fold(scrape(["a": ["orders": 3], "b": ["orders": 5]]), mapping))
        #expect(back.restartedTopics == ["orders"])
        #expect(back.recordsByTopic["orders"] == 18)  // a: 10, then 3 after its restart; b: 5
        let after = try #require(fold(scrape(["a": ["orders": 4], "b": ["orders": 5]]), mapping))
        #expect(after.restartedTopics.isEmpty)
    }
}
