/// COMPLETE's baseline S_c (CONTRACT §5) when the polls did not see the whole MIGRATING period:
/// only a source read of a poll whose state answer was MIGRATING is a baseline, and only when
/// the state was observed up to the cutover; otherwise the timestamp lookup at `since` decides,
/// with the last MIGRATING read as its floor. Each case here counted the records the proxy
/// forwarded before the cutover as post-migration writes (a false page) before.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct CutoverBaselineTests {
    @Test func aReadFromBeforeMigratingIsNoBaseline() throws {
        // The poll that saw MIGRATING could not read the source, so the last complete read was
        // taken while PROXY; the proxy forwarded 30 more records before it began to hold writes.
        var driver = TopicDriver()
        driver.poll(.listed(.proxy), source: [0: 100])
        driver.poll(.listed(.migrating), source: nil)
        let since = driver.clock
        let completed = driver.poll(.listed(.complete, since: since), source: [0: 130])
        #expect(completed.eventTypes == [.completed])
        #expect(completed.status.postMigrationSourceRecords == 0)
        #expect(completed.actions == [.lookUpSourceOffsets(topic: "orders", timestamp: since)])
        #expect(driver.accounting.snapshot.postMigration.lookupFloor == nil)
        let events = try driver.accounting.acceptTimestampLookup(
            [OffsetForTimestamp(partition: 0, timestamp: -1, offset: -1)], at: driver.clock)
        #expect(events.isEmpty)
        #expect(driver.poll(.listed(.complete, since: since), source: [0: 131]).status.postMigrationSourceRecords == 1)
    }

    @Test func aShortStateOutageKeepsTheContractsBaseline() {
        // The last poll before COMPLETE was seen had no state answer; 10 s without one is
        // within the limit, so its read is S_c as the contract says.
        var driver = TopicDriver()
        driver.poll(.listed(.migrating), source: [0: 100])
        driver.poll(.down, source: [0: 140])
        let completed = driver.poll(.listed(.complete), source: [0: 143])
        #expect(completed.actions.isEmpty)
        #expect(driver.accounting.snapshot.postMigration.baseline == 140)
        #expect(completed.status.postMigrationSourceRecords == 3)
    }

    @Test func aLongStateOutageTakesTheFloorFromAReadThatSawMigrating() throws {
        // Four polls (20 s) without a state answer: the topic may have gone to PROXY and back
        // unseen, so the reads meanwhile prove nothing; the one beside a MIGRATING answer does.
        var driver = TopicDriver()
        driver.poll(.listed(.migrating), source: [0: 100])
        for offsets: Int64 in [120, 140, 160, 180] { driver.poll(.down, source: [0: offsets]) }
        let completed = driver.poll(.listed(.complete), source: [0: 180])
        #expect(completed.actions.count == 1)
        #expect(driver.accounting.snapshot.postMigration.lookupFloor == 100)
        _ = try driver.accounting.acceptTimestampLookup(
            [OffsetForTimestamp(partition: 0, timestamp: 1_795_000_000_000, offset: 175)], at: driver.clock)
        #expect(driver.poll(.listed(.complete), source: [0: 181]).status.postMigrationSourceRecords == 6)
    }

    @Test func stateObservedUpToTheLimitKeepsTheExactBaseline() {
        // Two polls without a state answer (10 s) and the limit is 15 s.
        var driver = TopicDriver()
        driver.poll(.listed(.migrating), source: [0: 100])
        driver.poll(.down, source: nil)
        driver.poll(.down, source: nil)
        let completed = driver.poll(.listed(.complete), source: [0: 103])
        #expect(completed.actions.isEmpty)
        #expect(completed.status.postMigrationSourceRecords == 3)  // the contract's count
    }

    @Test func aGapBeforeCompleteLeavesTheBaselineToTheLookupWithTheReadAsFloor() throws {
        // exporterd stopped for an hour while MIGRATING; meanwhile the cutover was aborted
        // (PROXY: 500 records forwarded to the source), initiated again and completed. Its
        // restored snapshot says MIGRATING; the next poll sees COMPLETE.
        var before = TopicDriver()
        before.poll(.listed(.proxy), source: [0: 50])
        before.poll(.listed(.migrating), source: [0: 100])
        var driver = TopicDriver()
        driver.accounting = TopicAccounting(restoring: before.accounting.snapshot, configuration: before.accounting.configuration)
        driver.clock = before.clock.addingTimeInterval(3600)
        let since = driver.clock.addingTimeInterval(-60)
        let completed = driver.poll(.listed(.complete, since: since), source: [0: 600])
        #expect(completed.eventTypes == [.completed])
        #expect(completed.status.postMigrationSourceRecords == 0)
        #expect(completed.actions == [.lookUpSourceOffsets(topic: "orders", timestamp: since)])
        #expect(driver.accounting.snapshot.postMigration.lookupFloor == 100)
        // At `since` the source held 600: nothing was written after the cutover.
        let events = try driver.accounting.acceptTimestampLookup(
            [OffsetForTimestamp(partition: 0, timestamp: -1, offset: -1)], at: driver.clock)
        #expect(events.isEmpty)
        #expect(driver.accounting.snapshot.postMigration.baseline == 600)
        #expect(driver.poll(.listed(.complete, since: since), source: [0: 602]).status.postMigrationSourceRecords == 2)
    }

    @Test func theFloorBoundsALookupBelowTheLastMigratingRead() throws {
        // A record stamped ahead of the cutover (a producer's clock) put the lookup's answer
        // below a read known to be taken before the cutover: the read wins.
        var before = TopicDriver()
        before.poll(.listed(.migrating), source: [0: 100, 1: 20])
        var driver = TopicDriver()
        driver.accounting = TopicAccounting(restoring: before.accounting.snapshot, configuration: before.accounting.configuration)
        driver.clock = before.clock.addingTimeInterval(600)
        driver.poll(.listed(.complete), source: [0: 104, 1: 20])
        let events = try driver.accounting.acceptTimestampLookup([
            OffsetForTimestamp(partition: 0, timestamp: 1_795_000_000_000, offset: 90),
            OffsetForTimestamp(partition: 1, timestamp: -1, offset: -1),
        ], at: driver.clock)
        #expect(driver.accounting.snapshot.postMigration.baseline == 120)
        #expect(driver.accounting.snapshot.postMigration.lookupFloor == nil)
        #expect(events.first?.details["records"] == .integer(4))
    }

    @Test func aRoundTripThroughProxyStartsTheReadsOver() throws {
        // MIGRATING's `since` moved between two polls (aborted and initiated again, unseen),
        // and the poll that saw it could not read the source: the read before is no baseline.
        var driver = TopicDriver()
        driver.poll(.listed(.migrating), source: [0: 100])
        let again = driver.clock
        driver.poll(.listed(.migrating, since: again), source: nil)
        let completed = driver.poll(.listed(.complete), source: [0: 180])
        #expect(completed.actions.count == 1)
        #expect(driver.accounting.snapshot.postMigration.baseline == nil)
        #expect(driver.accounting.snapshot.postMigration.lookupFloor == nil)
        #expect(completed.status.postMigrationSourceRecords == 0)
    }

    @Test func slowPollsInOneProcessKeepTheExactBaseline() {
        // 40 s between polls (a million partitions), each seeing the state: nothing unseen.
        var driver = TopicDriver()
        driver.step = 40
        driver.poll(.listed(.migrating), source: [0: 100])
        let completed = driver.poll(.listed(.complete), source: [0: 102])
        #expect(completed.actions.isEmpty)
        #expect(completed.status.postMigrationSourceRecords == 2)
        // The same 40 s across a restart is a gap: the lookup decides.
        var before = TopicDriver()
        before.step = 40
        before.poll(.listed(.migrating), source: [0: 100])
        var restarted = TopicDriver()
        restarted.accounting = TopicAccounting(restoring: before.accounting.snapshot, configuration: before.accounting.configuration)
        restarted.clock = before.clock
        #expect(restarted.poll(.listed(.complete), source: [0: 102]).actions.count == 1)
    }

    @Test func aRestartWithinTheLimitKeepsTheExactBaseline() {
        // The same run as never stopping: restored and polled on schedule.
        var driver = TopicDriver()
        driver.poll(.listed(.migrating), source: [0: 100])
        driver.accounting = TopicAccounting(restoring: driver.accounting.snapshot, configuration: driver.accounting.configuration)
        driver.previousPollAt = nil
        let completed = driver.poll(.listed(.complete), source: [0: 101])
        #expect(completed.actions.isEmpty)
        #expect(completed.status.postMigrationSourceRecords == 1)
    }

    @Test func snapshotsWrittenBeforeMigratingPeriodsStillDecode() throws {
        var driver = TopicDriver()
        driver.poll(.listed(.migrating), source: [0: 100])
        var object = try #require(
            JSONSerialization.jsonObject(with: JSONEncoder().encode(driver.accounting.snapshot)) as? [String: Any])
        #expect(object["migrating"] != nil)
        object["migrating"] = nil
        let old = try JSONDecoder().decode(TopicSnapshot.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.migrating == nil)
        // Such a topic takes its MIGRATING read at its next poll.
        var restored = TopicDriver()
        restored.accounting = TopicAccounting(restoring: old, configuration: driver.accounting.configuration)
        restored.clock = driver.clock
        restored.poll(.listed(.migrating), source: [0: 100])
        #expect(restored.poll(.listed(.complete), source: [0: 100]).actions.isEmpty)
    }

    @Test func aTopicUnwatchedForAWhileIsAGapToo() {
        // Dropped from the watched topics while MIGRATING and watched again an hour later:
        // the process polled all along, but not this topic.
        var accounting = MigrationAccounting(configuration: AccountingConfiguration())
        func poll(_ k: Int, _ state: MigrationState?, offsets: Int64) -> PollOutcome {
            let at = epoch.addingTimeInterval(Double(k) * 5)
            let document = MigrationStateDocument(topics: state.map {
                [TopicStateReport(topic: "orders", state: $0, since: epoch.addingTimeInterval(k > 10 ? 3000 : 0))]
            } ?? [])
            let reads = state == nil ? [] : [TopicRead(
                topic: "orders", sourceReadAt: at, sourceHighWatermarks: [0: offsets], destinationHighWatermarks: [0: offsets])]
            return accounting.observe(PollObservation(
                at: at, proxied: ProxiedRead(readAt: at, recordsByTopic: [:]), stateDocument: document, topics: reads))
        }
        _ = poll(0, .migrating, offsets: 100)
        _ = poll(1, .migrating, offsets: 100)
        for k in 2..<720 { _ = poll(k, nil, offsets: 0) }
        let completed = poll(720, .complete, offsets: 400)
        #expect(completed.actions == [.lookUpSourceOffsets(topic: "orders", timestamp: epoch.addingTimeInterval(3000))])
        #expect(accounting.snapshot.topics["orders"]?.postMigration.lookupFloor == 100)
    }

    @Test func aResetDropsTheReadsOfTheOldTopic() throws {
        // Recreated while the lookup was awaited, and again while MIGRATING: no read of the
        // old topic may bound or be a baseline for the new one.
        var before = TopicDriver()
        before.poll(.listed(.migrating), source: [0: 500])
        var driver = TopicDriver()
        driver.accounting = TopicAccounting(restoring: before.accounting.snapshot, configuration: before.accounting.configuration)
        driver.clock = before.clock.addingTimeInterval(600)
        driver.poll(.listed(.complete), source: [0: 510])
        #expect(driver.accounting.snapshot.postMigration.lookupFloor == 500)
        #expect(driver.poll(.listed(.complete), source: [0: 7]).eventTypes == [.sourceTopicReset])
        #expect(driver.accounting.snapshot.postMigration.lookupFloor == nil)
        _ = try driver.accounting.acceptTimestampLookup(
            [OffsetForTimestamp(partition: 0, timestamp: 1_795_000_000_000, offset: 2)], at: driver.clock)
        #expect(driver.poll(.listed(.complete), source: [0: 7]).status.postMigrationSourceRecords == 5)

        var migrating = TopicDriver()
        migrating.poll(.listed(.migrating), source: [0: 500])
        migrating.poll(.down, source: [0: 3])  // recreated, unseen state
        #expect(migrating.accounting.snapshot.migrating == nil)
        migrating.step = 30
        migrating.poll(.down, source: [0: 3])
        #expect(migrating.poll(.listed(.complete), source: [0: 4]).actions.count == 1)
        #expect(migrating.accounting.snapshot.postMigration.lookupFloor == nil)
    }
}
