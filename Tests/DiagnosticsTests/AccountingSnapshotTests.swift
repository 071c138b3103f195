/// Restoring the persisted snapshot and going on gives the same results as never stopping:
/// statuses, counters and events, at every restart point of a randomized multi-topic run.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct AccountingSnapshotTests {
    /// Two topics over 260 polls: "orders" goes PROXY → MIGRATING → COMPLETE under simulated
    /// traffic with direct writes; "payments" goes REJECT → PROXY with direct writes; agents,
    /// source partitions and the state source fail now and then.
    static func scenario(seed: UInt64) -> [PollObservation] {
        let orders = SimulationRun(seed: seed, polls: 260).simulate()
        var random = SeededGenerator(seed: seed &+ 17)
        var paymentsOffsets: Int64 = 1000
        var polls: [PollObservation] = []
        for k in 0..<260 {
            let readAt = Double(k) * 5
            let sourceAt = readAt + 0.2
            let ordersState: MigrationState = k < 150 ? .proxy : (k < 170 ? .migrating : .complete)
            let ordersSince = epoch.addingTimeInterval(k < 150 ? 0 : (k < 170 ? 750 : 850))
            let paymentsState: MigrationState = k < 40 ? .reject : .proxy
            if Double.random(in: 0..<1, using: &random) < 0.1 { paymentsOffsets += Int64.random(in: 1...3, using: &random) }
            let document = MigrationStateDocument(topics: [
                TopicStateReport(topic: "orders", state: ordersState, since: ordersSince),
                TopicStateReport(topic: "payments", state: paymentsState, since: epoch.addingTimeInterval(k < 40 ? 0 : 200)),
            ])
            let agentsUp = Double.random(in: 0..<1, using: &random) > 0.05
            let stateUp = Double.random(in: 0..<1, using: &random) > 0.03
            let sourceUp = Double.random(in: 0..<1, using: &random) > 0.05
            let source = orders.highWatermarks(at: sourceAt)
            let destination = source.mapValues { max(0, $0 - Int64.random(in: 0...4, using: &random)) }
            polls.append(PollObservation(
                at: epoch.addingTimeInterval(readAt),
                proxied: agentsUp
                    ? ProxiedRead(readAt: epoch.addingTimeInterval(readAt), recordsByTopic: ["orders": orders.proxiedTotal(at: readAt)])
                    : nil,
                stateDocument: stateUp ? document : nil,
                topics: [
                    TopicRead(
                        topic: "orders", sourceReadAt: epoch.addingTimeInterval(sourceAt),
                        sourceHighWatermarks: sourceUp ? source : nil, destinationHighWatermarks: destination,
                        timeLagSeconds: Double.random(in: 0...10, using: &random)),
                    TopicRead(
                        topic: "payments", sourceReadAt: epoch.addingTimeInterval(sourceAt),
                        sourceHighWatermarks: [0: paymentsOffsets], destinationHighWatermarks: [0: paymentsOffsets],
                        timeLagSeconds: 0),
                ]))
        }
        return polls
    }

    @Test(arguments: [UInt64(3), 4])
    func restoringGivesTheSameResultsAsNeverStopping(seed: UInt64) throws {
        let configuration = AccountingConfiguration(publishDelay: 2, confirmPolls: 3)
        let polls = Self.scenario(seed: seed)
        var uninterrupted = MigrationAccounting(configuration: configuration)
        let expected = polls.map { uninterrupted.observe($0) }
        // The run is meaningful: it counts, changes state and records events.
        #expect(expected.last!.topics[0].postMigrationSourceRecords > 0)
        #expect(expected.contains { $0.topics[0].unproxiedSourceRecords > 0 })
        #expect(expected.last!.topics[1].unproxiedSourceRecords > 0)

        for restartAt in [1, 41, 77, 149, 151, 160, 171, 230] {
            var before = MigrationAccounting(configuration: configuration)
            for poll in polls.prefix(restartAt) { _ = before.observe(poll) }
            let stored = try JSONEncoder().encode(before.snapshot)
            let snapshot = try JSONDecoder().decode(AccountingSnapshot.self, from: stored)
            #expect(snapshot == before.snapshot)
            var restored = MigrationAccounting(configuration: configuration, restoring: snapshot)
            for (index, poll) in polls.enumerated().dropFirst(restartAt) {
                let outcome = restored.observe(poll)
                #expect(outcome == expected[index], "restart at \(restartAt), poll \(index)")
                if outcome != expected[index] { break }
            }
        }
    }

    @Test func snapshotCarriesPendingBoundsAndBaselines() throws {
        var driver = TopicDriver()
        driver.poll(.listed(.proxy), source: [0: 100], proxied: 10)
        driver.poll(.listed(.proxy), source: [0: 101], proxied: 10)
        let snapshot = driver.accounting.snapshot
        #expect(snapshot.unproxied.baseline == UnproxiedBound.Baseline(sourceOffsets: 100, proxiedBefore: 10))
        #expect(snapshot.unproxied.pending.count == 1)
        let decoded = try JSONDecoder().decode(TopicSnapshot.self, from: JSONEncoder().encode(snapshot))
        #expect(decoded == snapshot)
    }
}
