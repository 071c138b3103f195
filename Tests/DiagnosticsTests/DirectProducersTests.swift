/// direct_source_producers and DIRECT_PRODUCER_DETECTED: a producer DescribeProducers lists on
/// the source fires while the proxy should be the only writer (PROXY, MIGRATING, COMPLETE), once
/// per producer id across restarts, never for a stale producer or a source without the API.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct DirectProducersTests {
    /// Drives one topic with a steady, complete read and the given producers.
    struct Driver {
        var accounting = TopicAccounting(topic: "orders", configuration: AccountingConfiguration(recentWindow: 300))
        var clock = epoch
        let since = epoch.addingTimeInterval(-60)

        /// `state` nil: the document does not list the topic (REJECT).
        mutating func poll(_ state: MigrationState?, _ producers: DirectProducers?) -> TopicOutcome {
            let read = TopicRead(
                topic: "orders", sourceReadAt: clock.addingTimeInterval(0.1), sourceHighWatermarks: [0: 10, 1: 10],
                destinationHighWatermarks: [0: 10, 1: 10], timeLagSeconds: 0, directProducers: producers)
            let report = state.map { TopicStateReport(topic: "orders", state: $0, since: since, migrationTimeoutSeconds: nil) }
            let poll = TopicPoll(
                at: clock, read: read, proxiedRecords: 0, proxiedReadAt: clock, stateSourceUp: true, report: report)
            let outcome = accounting.observe(poll)
            clock = clock.addingTimeInterval(5)
            return outcome
        }

        /// A producer whose last write was `ago` seconds before the next poll.
        func producer(_ id: Int64, epoch: Int32 = 0, partition: Int32 = 0, ago: TimeInterval = 1) -> ProducerInfo {
            ProducerInfo(producerId: id, producerEpoch: epoch, lastTimestamp: clock.addingTimeInterval(-ago), partition: partition)
        }
    }

    private func detected(_ outcome: TopicOutcome) -> [MigrationEvent] {
        outcome.events.filter { $0.type == .directProducerDetected }
    }

    @Test(arguments: [MigrationState.proxy, .migrating, .complete])
    func firesWhileTheProxyShouldBeTheOnlyWriter(_ state: MigrationState) throws {
        var driver = Driver()
        let producer = driver.producer(4001, epoch: 3, partition: 1, ago: 2)
        let at = driver.clock
        let outcome = driver.poll(state, .producers([producer]))
        #expect(outcome.status.diagnostics.contains(.directSourceProducers))
        #expect(outcome.status.directProducers == [producer])
        #expect(outcome.status.directProducersCheck == .checked)
        let event = try #require(detected(outcome).first)
        #expect(detected(outcome).count == 1)
        #expect(event.topic == "orders")
        #expect(event.at == at)
        #expect(event.from == nil && event.to == nil)
        #expect(event.details["producer_id"] == .integer(4001))
        #expect(event.details["producer_epoch"] == .integer(3))
        #expect(event.details["partition"] == .integer(1))
        #expect(event.details["partitions"] == .text("1"))
        #expect(event.details["last_write"] == .text("2026-11-18T11:06:38.000Z"))
    }

    @Test func doesNotFireInReject() {
        var driver = Driver()
        let outcome = driver.poll(nil, .producers([driver.producer(4001)]))
        #expect(outcome.status.state == .reject)
        #expect(!outcome.status.diagnostics.contains(.directSourceProducers))
        #expect(detected(outcome).isEmpty)
        #expect(outcome.status.directProducers.count == 1)

        // The same producer still writing once the topic is proxied is exactly what to report.
        let proxied = driver.poll(.proxy, .producers([driver.producer(4001)]))
        #expect(proxied.status.diagnostics.contains(.directSourceProducers))
        #expect(detected(proxied).count == 1)
    }

    @Test func anUnsupportedSourceFiresNothing() {
        var driver = Driver()
        let outcome = driver.poll(.proxy, .unsupported)
        #expect(!outcome.status.diagnostics.contains(.directSourceProducers))
        #expect(detected(outcome).isEmpty)
        #expect(outcome.status.directProducersCheck == .unsupported)
        #expect(outcome.status.directProducers.isEmpty)

        let unread = driver.poll(.proxy, nil)
        #expect(unread.status.directProducersCheck == .unsupported, "the last read stands")
    }

    @Test func notReadYetIsNeitherSupportedNorUnsupported() {
        var driver = Driver()
        let outcome = driver.poll(.proxy, nil)
        #expect(outcome.status.directProducersCheck == .notRead)
        #expect(!outcome.status.diagnostics.contains(.directSourceProducers))
    }

    @Test func oneEventPerProducerID() {
        var driver = Driver()
        // One producer writing to two partitions is one event naming both.
        let first = driver.poll(.proxy, .producers([
            driver.producer(4001, partition: 0, ago: 10), driver.producer(4001, partition: 2, ago: 1),
        ]))
        #expect(detected(first).count == 1)
        #expect(detected(first).first?.details["partitions"] == .text("0,2"))
        #expect(detected(first).first?.details["partition"] == .integer(2), "the latest write's partition")

        let again = driver.poll(.proxy, .producers([driver.producer(4001)]))
        #expect(detected(again).isEmpty)
        #expect(again.status.diagnostics.contains(.directSourceProducers))

        let another = driver.poll(.migrating, .producers([driver.producer(4001), driver.producer(4002, epoch: 1)]))
        #expect(detected(another).map { $0.details["producer_id"] } == [.integer(4002)])
        #expect(another.status.directProducers.map(\.producerId) == [4001, 4002])
    }

    @Test func noEventAgainAfterASnapshotRestore() throws {
        var driver = Driver()
        #expect(detected(driver.poll(.proxy, .producers([driver.producer(4001)]))).count == 1)

        let stored = try JSONEncoder().encode(driver.accounting.snapshot)
        let restored = try JSONDecoder().decode(TopicSnapshot.self, from: stored)
        driver.accounting = TopicAccounting(restoring: restored, configuration: driver.accounting.configuration)

        let outcome = driver.poll(.proxy, .producers([driver.producer(4001)]))
        #expect(detected(outcome).isEmpty)
        #expect(outcome.status.diagnostics.contains(.directSourceProducers))
        // The remembered list also survives: a restart that cannot read producers yet still shows them.
        driver.accounting = TopicAccounting(restoring: driver.accounting.snapshot, configuration: driver.accounting.configuration)
        #expect(driver.poll(.proxy, nil).status.directProducers.map(\.producerId) == [4001])
    }

    @Test func aSnapshotStoredBeforeProducerTrackingStillDecodes() throws {
        var driver = Driver()
        _ = driver.poll(.proxy, nil)
        let stored = try JSONEncoder().encode(driver.accounting.snapshot)
        var object = try #require(try JSONSerialization.jsonObject(with: stored) as? [String: Any])
        #expect(object["directProducers"] == nil)
        object.removeValue(forKey: "directProducers")
        let old = try JSONSerialization.data(withJSONObject: object)
        let restored = try JSONDecoder().decode(TopicSnapshot.self, from: old)
        driver.accounting = TopicAccounting(restoring: restored, configuration: driver.accounting.configuration)
        #expect(detected(driver.poll(.proxy, .producers([driver.producer(4001)]))).count == 1)
    }

    @Test func staleProducersDoNotFire() {
        var driver = Driver()
        let stale = driver.producer(4001, ago: 301)
        let unknown = ProducerInfo(producerId: 4002, producerEpoch: 0, lastTimestampMs: -1, partition: 1)
        let outcome = driver.poll(.proxy, .producers([stale, unknown]))
        #expect(!outcome.status.diagnostics.contains(.directSourceProducers))
        #expect(detected(outcome).isEmpty)
        #expect(outcome.status.directProducers == [stale, unknown], "listed for the status API all the same")

        // When it writes again it is reported.
        let writing = driver.poll(.proxy, .producers([driver.producer(4001, ago: 1)]))
        #expect(detected(writing).count == 1)
    }

    @Test func theDiagnosticEndsWhenTheLastWriteLeavesTheWindow() {
        var driver = Driver()
        let producer = driver.producer(4001, ago: 1)
        #expect(driver.poll(.proxy, .producers([producer])).status.diagnostics.contains(.directSourceProducers))
        // Unread polls keep the last read: still within the window.
        #expect(driver.poll(.proxy, nil).status.diagnostics.contains(.directSourceProducers))
        driver.clock = producer.lastTimestamp!.addingTimeInterval(300)
        #expect(!driver.poll(.proxy, .producers([producer])).status.diagnostics.contains(.directSourceProducers))
    }

    @Test func wireMillisecondsBecomeDates() {
        let info = ProducerInfo(producerId: 1, producerEpoch: 0, lastTimestampMs: 1_795_000_000_250, partition: 0)
        #expect(info.lastTimestamp == Date(timeIntervalSince1970: 1_795_000_000.25))
    }
}
