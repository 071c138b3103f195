/// Which state document a poll acts on: new content only once it holds still, and a topic
/// dropping out of the document only once the next poll confirms it.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct StableStateDocumentTests {
    let t0 = Date(timeIntervalSince1970: 1_795_514_400)
    let full = Data("orders PROXY\npayments COMPLETE\naudit MIGRATING\n".utf8)
    let truncated = Data("orders PROXY\n".utf8)

    func report(_ topic: String, _ state: MigrationState) -> TopicStateReport {
        TopicStateReport(topic: topic, state: state, since: t0)
    }

    var fullDocument: MigrationStateDocument {
        MigrationStateDocument(topics: [report("orders", .proxy), report("payments", .complete), report("audit", .migrating)])
    }

    // MARK: reads

    @Test func newContentIsReadAgainAfterTheSettleInterval() {
        var stable = StableStateDocument()
        #expect(stable.read(full, at: t0) == .readAgain(notBefore: t0.addingTimeInterval(0.1)))
        // Too early: still waiting, the first read kept.
        #expect(stable.read(full, at: t0.addingTimeInterval(0.05)) == .readAgain(notBefore: t0.addingTimeInterval(0.1)))
        #expect(stable.read(full, at: t0.addingTimeInterval(0.1)) == .stable(full))
    }

    @Test func contentUnchangedSinceThePreviousPollIsStableAtOnce() {
        var stable = StableStateDocument()
        _ = stable.read(full, at: t0)
        _ = stable.read(full, at: t0.addingTimeInterval(0.1))
        #expect(stable.read(full, at: t0.addingTimeInterval(5)) == .stable(full))
    }

    @Test func contentThatChangesBetweenTheTwoReadsIsNotActedOn() {
        var stable = StableStateDocument()
        _ = stable.read(full, at: t0)
        _ = stable.read(full, at: t0.addingTimeInterval(0.1))
        // The writer truncated the file, and had written more by the second read.
        #expect(stable.read(truncated, at: t0.addingTimeInterval(5)) == .readAgain(notBefore: t0.addingTimeInterval(5.1)))
        #expect(stable.read(full, at: t0.addingTimeInterval(5.1)) == .changing)
        // What the second read saw is the previous poll's content: unchanged, it is stable.
        #expect(stable.read(full, at: t0.addingTimeInterval(10)) == .stable(full))
    }

    @Test func afterAFailedReadNewContentIsConfirmedAgain() {
        var stable = StableStateDocument()
        _ = stable.read(full, at: t0)
        _ = stable.read(full, at: t0.addingTimeInterval(0.1))
        stable.readFailed()
        #expect(stable.read(full, at: t0.addingTimeInterval(5)) == .readAgain(notBefore: t0.addingTimeInterval(5.1)))
    }

    // MARK: vanishing topics

    @Test func aTopicMissingFromAStableDocumentIsCarriedOnePollThenDropped() {
        var stable = StableStateDocument()
        #expect(stable.act(on: fullDocument) == fullDocument)

        let shorter = MigrationStateDocument(topics: [report("orders", .proxy)])
        let carried = stable.act(on: shorter)
        #expect(carried.report(for: "payments")?.state == .complete)
        #expect(carried.report(for: "audit")?.state == .migrating)
        #expect(stable.vanishing == ["payments", "audit"])

        // Still missing on the next poll: confirmed gone, REJECT from now on.
        let confirmed = stable.act(on: shorter)
        #expect(confirmed == shorter)
        #expect(confirmed.report(for: "payments") == nil)
        #expect(stable.vanishing.isEmpty)
    }

    @Test func aTopicBackOnTheNextPollWasNeverGone() {
        var stable = StableStateDocument()
        _ = stable.act(on: fullDocument)
        _ = stable.act(on: MigrationStateDocument(topics: [report("orders", .proxy)]))
        #expect(stable.act(on: fullDocument) == fullDocument)
        #expect(stable.vanishing.isEmpty)
        // Leaving later starts its own confirmation.
        let withoutAudit = MigrationStateDocument(topics: [report("orders", .proxy), report("payments", .complete)])
        #expect(stable.act(on: withoutAudit).report(for: "audit")?.state == .migrating)
    }

    /// The carried entry is the one acted on last, not older: each topic is carried once.
    @Test func topicsLeavingOneAfterAnotherAreEachConfirmedSeparately() {
        var stable = StableStateDocument()
        _ = stable.act(on: fullDocument)
        let second = stable.act(on: MigrationStateDocument(topics: [report("orders", .proxy), report("payments", .complete)]))
        #expect(second.report(for: "audit") != nil)
        let third = stable.act(on: MigrationStateDocument(topics: [report("orders", .proxy)]))
        #expect(third.report(for: "audit") == nil)  // confirmed
        #expect(third.report(for: "payments")?.state == .complete)  // carried
        let fourth = stable.act(on: MigrationStateDocument(topics: [report("orders", .proxy)]))
        #expect(fourth.topics.map(\.topic) == ["orders"])
    }

    @Test func theFirstDocumentIsTakenAsItIs() {
        var stable = StableStateDocument()
        let shorter = MigrationStateDocument(topics: [report("orders", .proxy)])
        #expect(stable.act(on: shorter) == shorter)
    }
}

@Suite struct StableStateDocumentRestartTests {
    let t0 = Date(timeIntervalSince1970: 1_795_514_400)

    /// The daemon restarts while the controller is mid-write: the first document lists only
    /// `orders`. The topics the stored accounting saw listed are carried for that poll.
    @Test func topicsListedBeforeARestartAreConfirmedGoneLikeAnyOther() {
        var accounting = MigrationAccounting(configuration: AccountingConfiguration())
        let full = MigrationStateDocument(topics: [
            TopicStateReport(topic: "orders", state: .proxy, since: t0),
            TopicStateReport(topic: "payments", state: .complete, since: t0, migrationTimeoutSeconds: 60),
        ])
        let reads = ["orders", "payments", "audit"].map {
            TopicRead(topic: $0, sourceReadAt: t0, sourceHighWatermarks: nil, destinationHighWatermarks: nil)
        }
        _ = accounting.observe(PollObservation(at: t0, proxied: nil, stateDocument: full, topics: reads))

        var stable = StableStateDocument(restoring: accounting.snapshot)
        // `audit` was never listed (REJECT): nothing to carry for it.
        #expect(stable.actedOn?.topics.map(\.topic) == ["orders", "payments"])
        let first = stable.act(on: MigrationStateDocument(topics: [TopicStateReport(topic: "orders", state: .proxy, since: t0)]))
        #expect(first.report(for: "payments") == TopicStateReport(topic: "payments", state: .complete, since: t0, migrationTimeoutSeconds: 60))
        #expect(first.report(for: "audit") == nil)

        let events = accounting.observe(PollObservation(
            at: t0.addingTimeInterval(5), proxied: nil, stateDocument: first, topics: reads)).events
        #expect(events.isEmpty)
    }

    @Test func nothingRestoredNothingCarried() {
        #expect(StableStateDocument(restoring: nil).actedOn == nil)
        #expect(StableStateDocument(restoring: AccountingSnapshot()).actedOn == nil)
    }
}
