/// The replication time lag's timestamp cache (CONTRACT §4), with the Fetch replaced by a
/// recording stand-in: what is fetched, what is served from the cache, and when it is dropped.
import Foundation
import SourceWatcher
import Testing
@testable import exporterd

@Suite struct ReplicationTimeLagTests {
    /// Answers timestamps from a table and records every Fetch, with how many ran at once.
    final class FakeFetch: @unchecked Sendable {
        private let lock = NSLock()
        private var table: [TopicPartition: [Int64: Int64]] = [:]
        private var calls: [(TopicPartition, Int64)] = []
        private var inFlight = 0
        private(set) var maxInFlight = 0
        var delay: Duration = .zero

        func set(_ partition: TopicPartition, offset: Int64, milliseconds: Int64?) {
            lock.withLock { table[partition, default: [:]][offset] = milliseconds }
        }
        func takeCalls() -> [(TopicPartition, Int64)] {
            lock.withLock { defer { calls = [] }; return calls }
        }
        var timestamp: @Sendable (TopicPartition, Int64) async -> Int64? {
            { partition, offset in
                let answer = self.lock.withLock {
                    self.calls.append((partition, offset))
                    self.inFlight += 1
                    self.maxInFlight = max(self.maxInFlight, self.inFlight)
                    return self.table[partition]?[offset]
                }
                if self.delay > .zero { try? await Task.sleep(for: self.delay) }
                self.lock.withLock { self.inFlight -= 1 }
                return answer
            }
        }
    }

    let now = Date(timeIntervalSince1970: 1_764_000_000)
    var nowMilliseconds: Int64 { Int64(now.timeIntervalSince1970 * 1000) }
    let orders0 = TopicPartition(topic: "orders", partition: 0)
    let orders1 = TopicPartition(topic: "orders", partition: 1)
    let payments0 = TopicPartition(topic: "payments", partition: 0)

    func lagging(_ partition: TopicPartition, destination: Int64, source: Int64) -> ReplicationTimeLag.Lagging {
        .init(partition: partition, destinationHighWatermark: destination, sourceHighWatermark: source)
    }

    @Test func maxOverPartitionsPerTopic() async {
        let fetch = FakeFetch()
        fetch.set(orders0, offset: 10, milliseconds: nowMilliseconds - 5_000)
        fetch.set(orders1, offset: 20, milliseconds: nowMilliseconds - 30_500)
        fetch.set(payments0, offset: 0, milliseconds: nowMilliseconds + 2_000)  // clock skew: never negative
        var timeLag = ReplicationTimeLag()
        let lags = await timeLag.measure(
            lagging: [lagging(orders0, destination: 10, source: 12), lagging(orders1, destination: 20, source: 21),
                      lagging(payments0, destination: 0, source: 1)],
            now: now, timestamp: fetch.timestamp)
        #expect(lags == ["orders": 30.5, "payments": 0])
        #expect(fetch.takeCalls().count == 3)
    }

    @Test func unchangedDestinationOffsetIsServedFromTheCache() async {
        let fetch = FakeFetch()
        fetch.set(orders0, offset: 10, milliseconds: nowMilliseconds - 5_000)
        var timeLag = ReplicationTimeLag()
        _ = await timeLag.measure(lagging: [lagging(orders0, destination: 10, source: 12)], now: now, timestamp: fetch.timestamp)
        #expect(fetch.takeCalls().count == 1)
        let later = now.addingTimeInterval(5)
        let lags = await timeLag.measure(lagging: [lagging(orders0, destination: 10, source: 15)], now: later, timestamp: fetch.timestamp)
        #expect(fetch.takeCalls().isEmpty)
        #expect(lags == ["orders": 10])
    }

    @Test func movedDestinationOffsetIsFetchedAgain() async {
        let fetch = FakeFetch()
        fetch.set(orders0, offset: 10, milliseconds: nowMilliseconds - 5_000)
        fetch.set(orders0, offset: 11, milliseconds: nowMilliseconds - 1_000)
        fetch.set(orders1, offset: 20, milliseconds: nowMilliseconds - 2_000)
        var timeLag = ReplicationTimeLag()
        _ = await timeLag.measure(
            lagging: [lagging(orders0, destination: 10, source: 12), lagging(orders1, destination: 20, source: 21)],
            now: now, timestamp: fetch.timestamp)
        _ = fetch.takeCalls()
        let lags = await timeLag.measure(
            lagging: [lagging(orders0, destination: 11, source: 12), lagging(orders1, destination: 20, source: 21)],
            now: now, timestamp: fetch.timestamp)
        let calls = fetch.takeCalls()
        #expect(calls.map(\.0) == [orders0])
        #expect(calls.map(\.1) == [11])
        #expect(lags == ["orders": 2])
    }

    @Test func aFailedPartitionLeavesItsTopicOutAndIsRetried() async {
        let fetch = FakeFetch()
        fetch.set(orders0, offset: 10, milliseconds: nowMilliseconds - 5_000)
        fetch.set(payments0, offset: 3, milliseconds: nowMilliseconds - 1_000)
        var timeLag = ReplicationTimeLag()
        let input = [lagging(orders0, destination: 10, source: 12), lagging(orders1, destination: 20, source: 21),
                     lagging(payments0, destination: 3, source: 4)]
        let lags = await timeLag.measure(lagging: input, now: now, timestamp: fetch.timestamp)
        #expect(lags == ["payments": 1])
        _ = fetch.takeCalls()
        fetch.set(orders1, offset: 20, milliseconds: nowMilliseconds - 7_000)
        let retried = await timeLag.measure(lagging: input, now: now, timestamp: fetch.timestamp)
        #expect(fetch.takeCalls().map(\.0) == [orders1])
        #expect(retried == ["orders": 7, "payments": 1])
    }

    @Test func aPartitionThatCaughtUpIsForgotten() async {
        let fetch = FakeFetch()
        fetch.set(orders0, offset: 10, milliseconds: nowMilliseconds - 5_000)
        var timeLag = ReplicationTimeLag()
        _ = await timeLag.measure(lagging: [lagging(orders0, destination: 10, source: 12)], now: now, timestamp: fetch.timestamp)
        #expect(await timeLag.measure(lagging: [], now: now, timestamp: fetch.timestamp) == [:])
        _ = fetch.takeCalls()
        _ = await timeLag.measure(lagging: [lagging(orders0, destination: 10, source: 12)], now: now, timestamp: fetch.timestamp)
        #expect(fetch.takeCalls().count == 1)
    }

    /// The source topic was deleted and recreated between two polls and has already passed the
    /// destination's offset again: the record at that offset is a new one, so the cached
    /// timestamp (of the old topic's record) must not be used.
    @Test func sourceHighWatermarkGoingBackwardsDropsTheCachedTimestamp() async {
        let fetch = FakeFetch()
        fetch.set(orders0, offset: 100, milliseconds: nowMilliseconds - 3_600_000)
        var timeLag = ReplicationTimeLag()
        #expect(await timeLag.measure(lagging: [lagging(orders0, destination: 100, source: 150)], now: now, timestamp: fetch.timestamp)
            == ["orders": 3600])
        fetch.set(orders0, offset: 100, milliseconds: nowMilliseconds - 2_000)
        _ = fetch.takeCalls()
        let lags = await timeLag.measure(lagging: [lagging(orders0, destination: 100, source: 120)], now: now, timestamp: fetch.timestamp)
        #expect(fetch.takeCalls().count == 1)
        #expect(lags == ["orders": 2])
    }

    @Test func fetchesAreBoundedInFlight() async {
        let fetch = FakeFetch()
        fetch.delay = .milliseconds(5)
        let partitions = (0..<40).map { TopicPartition(topic: "wide", partition: Int32($0)) }
        for (index, partition) in partitions.enumerated() {
            fetch.set(partition, offset: 1, milliseconds: nowMilliseconds - Int64(index) * 1_000)
        }
        var timeLag = ReplicationTimeLag()
        let lags = await timeLag.measure(
            lagging: partitions.map { lagging($0, destination: 1, source: 2) }, now: now, timestamp: fetch.timestamp)
        #expect(lags == ["wide": 39])
        #expect(fetch.takeCalls().count == 40)
        #expect(fetch.maxInFlight <= ReplicationTimeLag.concurrency)
        #expect(fetch.maxInFlight > 1)
    }
}
