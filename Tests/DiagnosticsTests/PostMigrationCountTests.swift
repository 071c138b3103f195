/// post_migration_source_writes (CONTRACT §5): the baseline from the last complete poll before
/// COMPLETE, or from a ListOffsets-by-timestamp lookup when exporterd meets a topic already
/// COMPLETE, including the −1 timestamp answer.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct PostMigrationCountTests {
    @Test func baselineIsTheLastCompletePollBeforeComplete() {
        var driver = TopicDriver()
        driver.poll(.listed(.migrating), source: [0: 60, 1: 40])
        driver.poll(.listed(.migrating), source: nil)  // a partition missing: not a baseline
        let completed = driver.poll(.listed(.complete), source: [0: 60, 1: 40])
        #expect(completed.eventTypes == [.completed])
        #expect(completed.actions.isEmpty)
        #expect(completed.status.postMigrationSourceRecords == 0)
        #expect(completed.status.offsetLag == nil)
        let written = driver.poll(.listed(.complete), source: [0: 62, 1: 41])
        #expect(written.status.postMigrationSourceRecords == 3)
        #expect(written.eventTypes == [.postMigrationWritesDetected])
        #expect(written.events.first?.details["records"] == .integer(3))
        #expect(written.status.diagnostics.contains(.postMigrationSourceWrites))
        let more = driver.poll(.listed(.complete), source: [0: 63, 1: 41])
        #expect(more.status.postMigrationSourceRecords == 4)
        #expect(more.events.isEmpty)  // same episode
    }

    @Test func writesBetweenTheLastPollAndCompleteAreCounted() {
        // The contract's baseline is the last poll before COMPLETE was seen.
        var driver = TopicDriver()
        driver.poll(.listed(.migrating), source: [0: 100])
        let completed = driver.poll(.listed(.complete), source: [0: 104])
        #expect(completed.status.postMigrationSourceRecords == 4)
    }

    @Test func aJumpFromProxyToCompleteTakesItsBaselineAtSinceNotAtTheLastRead() throws {
        // The last read was taken while PROXY: the proxy forwarded records to the source after
        // it, up to the cutover, and those are not post-migration writes. A replica stopped
        // across a cutover sees exactly this (Tests/e2e/test_replicas.py), as does a cutover
        // faster than a poll. Only the source's offsets at COMPLETE's `since` tell them apart.
        var driver = TopicDriver()
        driver.poll(.listed(.proxy), source: [0: 100, 1: 50])
        let since = driver.clock.addingTimeInterval(30)
        let completed = driver.poll(.listed(.complete, since: since), source: [0: 180, 1: 90])
        #expect(completed.eventTypes == [.initiated, .completed])
        #expect(completed.status.postMigrationSourceRecords == 0)
        #expect(completed.actions == [.lookUpSourceOffsets(topic: "orders", timestamp: since)])
        // At `since` the source held 170 + 90: the proxy's records. 10 were written after.
        let events = try driver.accounting.acceptTimestampLookup([
            OffsetForTimestamp(partition: 0, timestamp: 1_795_000_000_123, offset: 170),
            OffsetForTimestamp(partition: 1, timestamp: -1, offset: -1),
        ], at: driver.clock)
        #expect(events.map(\.type) == [.postMigrationWritesDetected])
        #expect(driver.poll(.listed(.complete, since: since), source: [0: 180, 1: 91]).status.postMigrationSourceRecords == 11)
    }

    @Test func metAlreadyCompleteAsksForATimestampLookupUntilAnswered() throws {
        var driver = TopicDriver()
        let since = epoch.addingTimeInterval(-3600)
        let partial = driver.poll(.listed(.complete, since: since), source: nil)
        #expect(partial.actions.isEmpty)  // no lookup before a complete read
        let first = driver.poll(.listed(.complete, since: since), source: [0: 50, 1: 30])
        #expect(first.actions == [.lookUpSourceOffsets(topic: "orders", timestamp: since)])
        #expect(first.events.isEmpty)
        let again = driver.poll(.listed(.complete, since: since), source: [0: 50, 1: 30])
        #expect(again.actions == first.actions)  // a failed lookup is simply asked again

        let events = try driver.accounting.acceptTimestampLookup([
            OffsetForTimestamp(partition: 0, timestamp: 1_795_000_000_123, offset: 40),
            // No record since the cutover: the partition's current HWM, whatever offset says.
            OffsetForTimestamp(partition: 1, timestamp: -1, offset: 999),
        ], at: driver.clock)
        #expect(events.map(\.type) == [.postMigrationWritesDetected])
        #expect(driver.accounting.snapshot.postMigration.baseline == 70)
        let after = driver.poll(.listed(.complete, since: since), source: [0: 50, 1: 31])
        #expect(after.actions.isEmpty)
        #expect(after.status.postMigrationSourceRecords == 11)
    }

    @Test func noRecordSinceCompleteMeansNothingWasWritten() throws {
        var driver = TopicDriver()
        driver.poll(.listed(.complete), source: [0: 50])
        let events = try driver.accounting.acceptTimestampLookup(
            [OffsetForTimestamp(partition: 0, timestamp: -1, offset: -1)], at: driver.clock)
        #expect(events.isEmpty)
        #expect(driver.poll(.listed(.complete), source: [0: 50]).status.postMigrationSourceRecords == 0)
        #expect(driver.poll(.listed(.complete), source: [0: 52]).status.postMigrationSourceRecords == 2)
    }

    @Test func lookupErrorsNameTheProblem() {
        var driver = TopicDriver()
        driver.poll(.listed(.complete), source: [0: 50, 1: 10])
        #expect(throws: BaselineLookupError.missingPartition(topic: "orders", partition: 1)) {
            try driver.accounting.acceptTimestampLookup(
                [OffsetForTimestamp(partition: 0, timestamp: -1, offset: 0)], at: driver.clock)
        }
        #expect(throws: BaselineLookupError.unexpectedPartition(topic: "orders", partition: 7)) {
            try driver.accounting.acceptTimestampLookup(
                [OffsetForTimestamp(partition: 7, timestamp: -1, offset: 0)], at: driver.clock)
        }
        var withBaseline = TopicDriver()
        withBaseline.poll(.listed(.migrating), source: [0: 50])
        withBaseline.poll(.listed(.complete), source: [0: 50])
        #expect(throws: BaselineLookupError.notAwaitingLookup(topic: "orders")) {
            try withBaseline.accounting.acceptTimestampLookup([], at: withBaseline.clock)
        }
    }

    @Test func lookupThroughTheAggregate() throws {
        var accounting = MigrationAccounting(configuration: AccountingConfiguration())
        let since = epoch.addingTimeInterval(-60)
        let document = MigrationStateDocument(topics: [TopicStateReport(topic: "audit", state: .complete, since: since)])
        let read = TopicRead(topic: "audit", sourceReadAt: epoch, sourceHighWatermarks: [0: 9], destinationHighWatermarks: [0: 5])
        let outcome = accounting.observe(PollObservation(at: epoch, proxied: nil, stateDocument: document, topics: [read]))
        #expect(outcome.actions == [.lookUpSourceOffsets(topic: "audit", timestamp: since)])
        _ = try accounting.acceptTimestampLookup(
            topic: "audit", answer: [OffsetForTimestamp(partition: 0, timestamp: 5, offset: 7)], at: epoch)
        #expect(accounting.snapshot.topics["audit"]?.postMigration.records == 2)
        #expect(throws: BaselineLookupError.unknownTopic("nope")) {
            try accounting.acceptTimestampLookup(topic: "nope", answer: [], at: epoch)
        }
    }

    @Test func countsWithAgentsDownButNotWithTheStateSourceDown() {
        var driver = TopicDriver()
        driver.poll(.listed(.migrating), source: [0: 50])
        driver.poll(.listed(.complete), source: [0: 50])
        #expect(driver.poll(.listed(.complete), source: [0: 51], proxied: nil).status.postMigrationSourceRecords == 1)
        #expect(driver.poll(.down, source: [0: 53]).status.postMigrationSourceRecords == 1)
        #expect(driver.poll(.listed(.complete), source: [0: 53]).status.postMigrationSourceRecords == 3)
    }

    @Test func resetWhileCompleteKeepsTheCountAndTakesAFreshBaseline() {
        var driver = TopicDriver()
        driver.poll(.listed(.migrating), source: [0: 50])
        driver.poll(.listed(.complete), source: [0: 50])
        #expect(driver.poll(.listed(.complete), source: [0: 55]).status.postMigrationSourceRecords == 5)
        let reset = driver.poll(.listed(.complete), source: [0: 2])
        #expect(reset.eventTypes == [.sourceTopicReset])
        #expect(reset.status.postMigrationSourceRecords == 5)
        #expect(driver.poll(.listed(.complete), source: [0: 4]).status.postMigrationSourceRecords == 7)
    }

    @Test func topicReportedOutOfCompleteStillCounts() {
        var driver = TopicDriver()
        driver.poll(.listed(.migrating), source: [0: 50])
        driver.poll(.listed(.complete), source: [0: 50])
        let moved = driver.poll(.listed(.proxy), source: [0: 58], proxied: 1000)
        #expect(moved.status.state == .complete)
        #expect(moved.status.postMigrationSourceRecords == 8)
        #expect(moved.status.unproxiedSourceRecords == 0)
    }
}
