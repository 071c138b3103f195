/// Replication lags and the cutover diagnostics: migration_stalled, migration_timeout_risk,
/// cutover_ready, and that none of them fires on incomplete data.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct CutoverDiagnosticsTests {
    @Test func offsetLagIsTheSumOfPositivePartitionLags() {
        var driver = TopicDriver()
        let outcome = driver.poll(.listed(.proxy), source: [0: 10, 1: 20, 2: 5], destination: [0: 4, 1: 20, 2: 9])
        #expect(outcome.status.offsetLag == 6)
        #expect(outcome.status.partitionOffsetLags == [0: 6, 1: 0, 2: 0])
        #expect(outcome.status.destinationOffsets == 33)
    }

    @Test func lagKeepsItsLastCompleteValueAcrossPartialAnswers() {
        var driver = TopicDriver()
        driver.poll(.listed(.proxy), source: [0: 10], destination: [0: 4])
        let partial = driver.poll(.listed(.proxy), source: [0: 12], destination: .some(nil))
        #expect(partial.status.offsetLag == 6)
        #expect(partial.status.sourceOffsets == 12)
        #expect(!partial.status.cutoverReady)
    }

    @Test func lagIsNotReportedForCompleteTopics() {
        var driver = TopicDriver()
        let outcome = driver.poll(.listed(.complete), source: [0: 10], destination: [0: 4])
        #expect(outcome.status.offsetLag == nil)
        #expect(outcome.status.partitionOffsetLags.isEmpty)
        #expect(outcome.status.timeLagSeconds == nil)
    }

    @Test func stalledWhenTheLagDoesNotDecreaseForConfirmPolls() {
        var driver = TopicDriver(AccountingConfiguration(confirmPolls: 3))
        let lags: [Int64] = [100, 80, 80, 90, 85, 85, 85, 85, 60, 0, 0, 0, 0]
        let stalled = lags.map { lag in
            driver.poll(.listed(.migrating), source: [0: 1000], destination: [0: 1000 - lag])
                .status.diagnostics.contains(.migrationStalled)
        }
        // 80→80→90→85: two polls without a decrease, then one: not stalled. 85 held for three
        // more polls: stalled. A drained lag (0) waiting for the controller never is.
        #expect(stalled.indices.filter { stalled[$0] } == [7])
    }

    @Test func stalledNeverFiresOnIncompleteData() {
        var driver = TopicDriver(AccountingConfiguration(confirmPolls: 2))
        driver.poll(.listed(.migrating), source: [0: 1000], destination: [0: 900])
        driver.poll(.listed(.migrating), source: [0: 1000], destination: [0: 900])
        let gap = driver.poll(.listed(.migrating), source: nil)
        #expect(!gap.status.diagnostics.contains(.migrationStalled))
        let back = driver.poll(.listed(.migrating), source: [0: 1000], destination: [0: 900])
        #expect(back.status.diagnostics.contains(.migrationStalled))
    }

    @Test(arguments: [
        // Lag drains 100 per 5 s poll: 500 left needs 25 s.
        (timeout: 300.0, lags: [Int64(1000), 900, 800, 700, 600, 500], risk: false),
        (timeout: 40, lags: [1000, 900, 800, 700, 600, 500], risk: true),
        (timeout: 300, lags: [1000, 999, 998, 997], risk: true),
        (timeout: 300, lags: [1000, 1000], risk: true),
        (timeout: 300, lags: [1000], risk: false),  // one poll says nothing about a rate
        (timeout: 300, lags: [100, 0], risk: false),
    ])
    func timeoutRiskAtTheCurrentDrainRate(timeout: Double, lags: [Int64], risk: Bool) {
        var driver = TopicDriver()
        let since = driver.clock
        var last: TopicOutcome?
        for lag in lags {
            last = driver.poll(.listed(.migrating, since: since, timeout: timeout), source: [0: 5000], destination: [0: 5000 - lag])
        }
        #expect(last?.status.diagnostics.contains(.migrationTimeoutRisk) == risk)
    }

    @Test(arguments: [
        (timeLag: 100.0, offsetLag: Int64(50), maxOffsetLag: Int64?.none, ready: true),
        (180, 50, nil, true),
        (181, 50, nil, false),
        (100, 50, 50, true),
        (100, 51, 50, false),
    ])
    func cutoverReadyThresholds(timeLag: Double, offsetLag: Int64, maxOffsetLag: Int64?, ready: Bool) {
        var driver = TopicDriver(AccountingConfiguration(cutoverMaxTimeLag: 180, cutoverMaxOffsetLag: maxOffsetLag))
        let outcome = driver.poll(.listed(.proxy), source: [0: 1000], destination: [0: 1000 - offsetLag], timeLag: timeLag)
        #expect(outcome.status.cutoverReady == ready)
    }

    @Test func cutoverReadyOnlyForProxyWithCompleteData() {
        var driver = TopicDriver()
        #expect(!driver.poll(.listed(.reject), source: [0: 10]).status.cutoverReady)
        #expect(driver.poll(.listed(.proxy), source: [0: 10]).status.cutoverReady)
        #expect(!driver.poll(.listed(.proxy), source: [0: 10], proxied: nil).status.cutoverReady)
        #expect(!driver.poll(.listed(.proxy), source: [0: 10], timeLag: nil).status.cutoverReady)
        #expect(!driver.poll(.down, source: [0: 10]).status.cutoverReady)
        #expect(!driver.poll(.listed(.migrating), source: [0: 10]).status.cutoverReady)
    }

    @Test func noCutoverWithinFiveMinutesOfAnUnproxiedWrite() {
        var driver = TopicDriver(AccountingConfiguration(publishDelay: 2, confirmPolls: 1))
        driver.poll(.listed(.proxy), source: [0: 100], proxied: 50)
        driver.poll(.listed(.proxy), source: [0: 101], proxied: 50)
        let counted = driver.poll(.listed(.proxy), source: [0: 101], proxied: 50)
        #expect(counted.status.unproxiedSourceRecords == 1)
        #expect(!counted.status.cutoverReady)
        var ready: [Bool] = []
        for _ in 0..<60 { ready.append(driver.poll(.listed(.proxy), source: [0: 101], proxied: 50).status.cutoverReady) }
        #expect(ready.firstIndex(of: true) == 59)  // 300 s after the rise
    }

    @Test func agentsDownMarksEveryTopic() {
        var accounting = MigrationAccounting(configuration: AccountingConfiguration())
        let document = MigrationStateDocument(topics: [
            TopicStateReport(topic: "a", state: .proxy, since: epoch),
            TopicStateReport(topic: "b", state: .complete, since: epoch),
        ])
        let reads = ["a", "b", "c"].map {
            TopicRead(topic: $0, sourceReadAt: epoch, sourceHighWatermarks: [0: 1], destinationHighWatermarks: [0: 1])
        }
        let outcome = accounting.observe(PollObservation(at: epoch, proxied: nil, stateDocument: document, topics: reads))
        #expect(outcome.topics.allSatisfy { $0.diagnostics.contains(.proxyCountersIncomplete) })
        #expect(outcome.topics.map(\.state) == [.proxy, .complete, .reject])
        #expect(outcome.topics.map(\.advanced) == [false, true, true])
    }
}
