/// Hand-made poll sequences for unproxied_source_writes: late counters, real excesses,
/// tolerance, outages, agent restarts and topic resets. Polls are 5 s apart, agents are read
/// at the poll time and the source 0.1 s later; publish_delay is 2 s.
import Foundation
import Testing
@testable import Diagnostics

/// One poll of a PROXY topic: source offsets (nil: a partition did not answer) and the agents'
/// total (nil: an agent was down).
struct ProxyPoll {
    var source: Int64?
    var proxied: Int64?
    init(_ source: Int64?, _ proxied: Int64?) {
        self.source = source
        self.proxied = proxied
    }
}

func runProxy(
    _ polls: [ProxyPoll], configuration: AccountingConfiguration = AccountingConfiguration(publishDelay: 2, confirmPolls: 3)
) -> [TopicOutcome] {
    var driver = TopicDriver(configuration)
    return polls.map { driver.poll(.listed(.proxy), source: $0.source.map { [0: $0] }, proxied: $0.proxied) }
}

@Suite struct UnproxiedBoundTests {
    /// One record proxied between polls 1 and 2 whose counter shows up `latePolls` polls later
    /// than publish_delay allows. Late for fewer than confirm_polls polls: never counted.
    @Test(arguments: [
        (latePolls: 0, confirmPolls: 3, expected: Int64(0)),
        (1, 3, 0),
        (2, 3, 0),
        (3, 3, 1),  // beyond the promise for confirm_polls polls: it is an excess like any other
        (1, 1, 1),
        (1, 2, 0),
    ])
    func lateCounterBeyondPublishDelay(latePolls: Int, confirmPolls: Int, expected: Int64) {
        let polls = (0..<12).map { k in ProxyPoll(k < 2 ? 100 : 101, k < 3 + latePolls ? 50 : 51) }
        let outcomes = runProxy(polls, configuration: AccountingConfiguration(publishDelay: 2, confirmPolls: confirmPolls))
        #expect(outcomes.last?.status.unproxiedSourceRecords == expected)
    }

    @Test func realExcessIsCountedAfterConfirmPolls() {
        // Five direct records land before poll 3; the proxied total never moves (quiet polls).
        let polls = (0..<8).map { k in ProxyPoll(k < 3 ? 100 : 105, 50) }
        let outcomes = runProxy(polls)
        let counts = outcomes.map(\.status.unproxiedSourceRecords)
        // L_3, L_4, L_5 are resolved by the reads of polls 4, 5, 6: the window closes at poll 6.
        #expect(counts == [0, 0, 0, 0, 0, 0, 5, 5])
        #expect(outcomes.flatMap(\.eventTypes) == [.unproxiedWritesDetected])
        #expect(outcomes[6].status.diagnostics.contains(.unproxiedSourceWrites))
        #expect(!outcomes[5].status.diagnostics.contains(.unproxiedSourceWrites))
    }

    @Test func excessUnderSteadyProxiedTrafficNeverOvercountsAndSettles() {
        // 10 proxied records per interval, published within the delay; 4 direct ones before
        // poll 4; traffic stops after poll 8.
        var polls: [ProxyPoll] = []
        for k in 0..<16 {
            let proxiedSoFar = Int64(min(k, 8) * 10)
            polls.append(ProxyPoll(1000 + proxiedSoFar + (k >= 4 ? 4 : 0), 500 + min(80, max(0, Int64(k * 10) - 10))))
        }
        let counts = runProxy(polls).map(\.status.unproxiedSourceRecords)
        #expect(counts.allSatisfy { $0 <= 4 })
        #expect(counts.last == 4)
    }

    @Test(arguments: [(tolerance: Int64(0), expected: Int64(5)), (3, 2), (5, 0), (10, 0)])
    func tolerance(tolerance: Int64, expected: Int64) {
        let polls = (0..<8).map { k in ProxyPoll(k < 3 ? 100 : 105, 50) }
        let configuration = AccountingConfiguration(publishDelay: 2, confirmPolls: 3, unproxiedToleranceRecords: tolerance)
        #expect(runProxy(polls, configuration: configuration).last?.status.unproxiedSourceRecords == expected)
    }

    @Test func agentDownSuspendsAccountingAndResumesWithoutLosingWrites() {
        // Agents down for polls 3–5 while 2 direct records land; the baseline is kept.
        let polls = (0..<11).map { k in ProxyPoll(k < 4 ? 100 : 102, (3...5).contains(k) ? nil : 50) }
        let outcomes = runProxy(polls)
        for k in 3...5 {
            #expect(outcomes[k].status.diagnostics.contains(.proxyCountersIncomplete))
            #expect(!outcomes[k].status.advanced)
            #expect(outcomes[k].status.unproxiedSourceRecords == 0)
        }
        #expect(!outcomes[6].status.diagnostics.contains(.proxyCountersIncomplete))
        // Polls 6, 7, 8 are the first complete streak after the gap; confirmed at poll 9.
        #expect(outcomes[8].status.unproxiedSourceRecords == 0)
        #expect(outcomes[9].status.unproxiedSourceRecords == 2)
    }

    @Test func incompleteSourceBreaksTheStreak() {
        // The excess shows at polls 3 and 4, poll 5 misses a partition, then 6, 7, 8 confirm it.
        let polls = (0..<10).map { k in ProxyPoll(k == 5 ? nil : (k < 3 ? 100 : 103), 50) }
        let outcomes = runProxy(polls)
        #expect(!outcomes[5].status.advanced)
        #expect(outcomes[5].status.sourceOffsets == 103)  // the last complete value is kept
        #expect(outcomes.map(\.status.unproxiedSourceRecords) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 3])
    }

    @Test func partialPartitionAnswersNeverCount() {
        var driver = TopicDriver(AccountingConfiguration(publishDelay: 2, confirmPolls: 1))
        driver.poll(.listed(.proxy), source: [0: 100, 1: 100], proxied: 50)
        // The I/O layer passes nil when a partition is missing; the sum of a partial answer
        // would look like a drop and then a jump.
        for _ in 0..<3 { driver.poll(.listed(.proxy), source: nil, destination: .some(nil), proxied: 50) }
        let outcome = driver.poll(.listed(.proxy), source: [0: 100, 1: 100], proxied: 50)
        #expect(outcome.status.unproxiedSourceRecords == 0)
        #expect(outcome.events.isEmpty)
    }

    @Test func agentRestartTakesFreshBaselines() {
        // An agent restarted: the corrected total lost 10 increments (true proxied is 70 but the
        // total reads 60). Without a fresh baseline those 10 would look unproxied.
        var polls = (0..<3).map { _ in ProxyPoll(100, 50) }
        polls.append(ProxyPoll(120, 60))
        var driver = TopicDriver(AccountingConfiguration(publishDelay: 2, confirmPolls: 1))
        for poll in polls.prefix(3) { driver.poll(.listed(.proxy), source: [0: poll.source!], proxied: poll.proxied) }
        driver.poll(.listed(.proxy), source: [0: 120], proxied: 60, restarted: true)
        var last: TopicOutcome?
        for _ in 0..<5 { last = driver.poll(.listed(.proxy), source: [0: 120], proxied: 60) }
        #expect(last?.status.unproxiedSourceRecords == 0)
    }

    @Test func proxiedTotalGoingBackwardsTakesFreshBaselines() {
        var driver = TopicDriver(AccountingConfiguration(publishDelay: 2, confirmPolls: 1))
        driver.poll(.listed(.proxy), source: [0: 100], proxied: 50)
        driver.poll(.listed(.proxy), source: [0: 110], proxied: 60)
        // 10 more proxied records, but the total dropped: an uncorrected agent restart.
        driver.poll(.listed(.proxy), source: [0: 120], proxied: 5)
        var last: TopicOutcome?
        for _ in 0..<4 { last = driver.poll(.listed(.proxy), source: [0: 120], proxied: 5) }
        #expect(last?.status.unproxiedSourceRecords == 0)
    }

    @Test func topicResetKeepsTheCountAndCountsOnTop() {
        var driver = TopicDriver(AccountingConfiguration(publishDelay: 2, confirmPolls: 1))
        driver.poll(.listed(.proxy), source: [0: 100, 1: 50], proxied: 50)
        driver.poll(.listed(.proxy), source: [0: 105, 1: 50], proxied: 50)  // 5 direct
        let counted = driver.poll(.listed(.proxy), source: [0: 105, 1: 50], proxied: 50)
        #expect(counted.status.unproxiedSourceRecords == 5)
        // Deleted and recreated: one partition went backwards.
        let reset = driver.poll(.listed(.proxy), source: [0: 0, 1: 2], proxied: 50)
        #expect(reset.eventTypes == [.sourceTopicReset])
        #expect(reset.status.unproxiedSourceRecords == 5)
        #expect(reset.status.diagnostics.contains(.sourceTopicReset))
        driver.poll(.listed(.proxy), source: [0: 3, 1: 2], proxied: 50)  // 3 more direct
        let after = driver.poll(.listed(.proxy), source: [0: 3, 1: 2], proxied: 50)
        #expect(after.status.unproxiedSourceRecords == 8)
    }

    @Test func transactionMarkersCountAsOffsets() {
        // A direct transactional producer: 3 records and a commit marker advance the HWM by 4.
        let polls = (0..<6).map { k in ProxyPoll(k < 2 ? 100 : 104, 50) }
        let outcomes = runProxy(polls, configuration: AccountingConfiguration(publishDelay: 2, confirmPolls: 1))
        #expect(outcomes.last?.status.unproxiedSourceRecords == 4)
    }

    @Test func eventOncePerEpisodeOfRises() {
        var driver = TopicDriver(AccountingConfiguration(publishDelay: 2, confirmPolls: 1))
        var types: [MigrationEventType] = []
        var source: Int64 = 100
        for k in 0..<200 {
            // Direct writes at polls 2 and 4 (one episode), then again at poll 150 (12 min later).
            if k == 2 || k == 4 || k == 150 { source += 1 }
            types += driver.poll(.listed(.proxy), source: [0: source], proxied: 50).eventTypes
        }
        #expect(types == [.unproxiedWritesDetected, .unproxiedWritesDetected])
    }

    @Test func diagnosticActiveForFiveMinutesAfterTheLastRise() {
        var driver = TopicDriver(AccountingConfiguration(publishDelay: 2, confirmPolls: 1))
        driver.poll(.listed(.proxy), source: [0: 100], proxied: 50)
        driver.poll(.listed(.proxy), source: [0: 101], proxied: 50)
        let rose = driver.poll(.listed(.proxy), source: [0: 101], proxied: 50)
        #expect(rose.status.diagnostics.contains(.unproxiedSourceWrites))
        var outcomes: [TopicOutcome] = []
        for _ in 0..<61 { outcomes.append(driver.poll(.listed(.proxy), source: [0: 101], proxied: 50)) }
        #expect(outcomes[58].status.diagnostics.contains(.unproxiedSourceWrites))  // 295 s after
        #expect(!outcomes[59].status.diagnostics.contains(.unproxiedSourceWrites))  // 300 s after
    }
}
