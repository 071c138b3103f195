/// `MigrationWatch.proxiedRead` with pages as agents write them: a missing or NaN series makes
/// the read incomplete without a restart; restarts are reported per source topic, also when
/// seen while another agent was down; the status reason of each target names the series.
import Diagnostics
import Foundation
import Logging
import Testing
@testable import exporterd

@Suite struct ProxiedReadTests {
    let at = Date(timeIntervalSince1970: 1_764_000_000)
    let mapping = ["orders": "orders", "payments.eu": "payments"]

    func page(_ text: String) throws -> ProxiedCounterPage { try ProxiedCounters.read(text) }

    func partitions(_ values: [Int?], topic: String = "orders") throws -> ProxiedCounterPage {
        try page(values.enumerated().compactMap { partition, value in
            value.map { "kafka_proxy_produced_records_total{topic=\"\(topic)\",partition=\"\(partition)\"} \($0)" }
        }.joined(separator: "\n"))
    }

    func read(_ pages: [String: ProxiedCounterPage?]) -> ProxyAgents.Read {
        ProxyAgents.Read(readAt: at, pages: pages.mapValues { page in
            page.map { .success($0) } ?? .failure(.unreachable(target: "t", reason: "refused"))
        })
    }

    func fold(_ read: ProxyAgents.Read, _ totals: inout ProxiedCounterTotals) -> ProxiedRead? {
        MigrationWatch.proxiedRead(read, sourceTopics: mapping, totals: &totals, logger: Logger(label: "test"))
    }

    /// Issue 8 item 7: partition 1's series drops out for one scrape. The old per-topic fold
    /// saw the topic's sum go down and reported a restart (fresh baselines, so direct writes
    /// just before were never counted). Now: no read that poll, and no restart after.
    @Test func vanishedSeriesGivesNoReadAndNoRestart() throws {
        var totals = ProxiedCounterTotals()
        #expect(fold(read(["a": try partitions([100, 50]), "b": try partitions([7])]), &totals)?.recordsByTopic["orders"] == 157)
        #expect(fold(read(["a": try partitions([101, nil]), "b": try partitions([7])]), &totals) == nil)
        let problem = read(["a": try partitions([101, nil])]).problem(of: "a", totals: totals)
        #expect(problem?.contains(#"records{partition="1",topic="orders"} is missing from the page"#) == true)
        let back = try #require(fold(read(["a": try partitions([102, 51]), "b": try partitions([7])]), &totals))
        #expect(back.restartedTopics.isEmpty)
        #expect(back.recordsByTopic["orders"] == 160)
    }

    @Test func nanSeriesGivesNoRead() throws {
        var totals = ProxiedCounterTotals()
        _ = fold(read(["a": try partitions([100, 50])]), &totals)
        let nan = try page("""
        kafka_proxy_produced_records_total{topic="orders",partition="0"} 100
        kafka_proxy_produced_records_total{topic="orders",partition="1"} NaN
        """)
        #expect(fold(read(["a": nan]), &totals) == nil)
    }

    /// A series gone for good holds the accounting up for a bounded number of polls only.
    @Test func seriesGoneForGoodIsRetiredAndItsTopicRestarts() throws {
        var totals = ProxiedCounterTotals()
        _ = fold(read(["a": try partitions([100, 50])]), &totals)
        var reads: [ProxiedRead?] = []
        for _ in 0..<ProxiedCounterTotals.retireAfterMissingScrapes {
            reads.append(fold(read(["a": try partitions([100])]), &totals))
        }
        #expect(reads.dropLast().allSatisfy { $0 == nil })
        let retired = try #require(reads.last ?? nil)
        #expect(retired.restartedTopics == ["orders"])
        #expect(retired.recordsByTopic["orders"] == 150)
    }

    /// Per topic: a restart of an orders series leaves payments' baselines alone.
    @Test func restartIsReportedForItsTopicOnly() throws {
        var totals = ProxiedCounterTotals()
        let both = { (orders: Int, payments: Int) throws -> ProxiedCounterPage in
            try self.page("""
            kafka_proxy_produced_records_total{topic="orders"} \(orders)
            kafka_proxy_produced_records_total{topic="payments.eu"} \(payments)
            """)
        }
        _ = fold(read(["a": try both(10, 5)]), &totals)
        let restarted = try #require(fold(read(["a": try both(2, 6)]), &totals))
        #expect(restarted.restartedTopics == ["orders"])
        #expect(restarted.recordsByTopic == ["orders": 12, "payments": 6])
    }

    /// A restart seen while another agent is down, and a value beyond Int64 from an agent: the
    /// read waits, nothing traps, and the restart reaches the accounting with the next
    /// complete read.
    @Test func restartWhileAnotherAgentIsDownOrBrokenIsReportedLater() throws {
        var totals = ProxiedCounterTotals()
        _ = fold(read(["a": try partitions([10]), "b": try partitions([5])]), &totals)
        #expect(fold(read(["a": try partitions([1]), "b": nil]), &totals) == nil)
        let refused = try #require(#expect(throws: ProxiedPageError.self) {
            try page(#"kafka_proxy_produced_records_total{topic="orders",partition="0"} 18446744073709551615"#)
        })
        let huge = ProxyAgents.Read(readAt: at, pages: ["a": .success(try partitions([2])), "b": .failure(.unparsable(target: "b", refused))])
        #expect(fold(huge, &totals) == nil)
        #expect(huge.problem(of: "b", totals: totals)?.contains("line 1") == true)
        let back = try #require(fold(read(["a": try partitions([3]), "b": try partitions([5])]), &totals))
        #expect(back.restartedTopics == ["orders"])
        #expect(back.recordsByTopic == ["orders": 10 + 3 + 5])  // a: 10, then 3 after its restart; b: 5
        let after = try #require(fold(read(["a": try partitions([4]), "b": try partitions([5])]), &totals))
        #expect(after.restartedTopics.isEmpty)
    }
}
