/// `MigrationWatch.poll` end to end against fake brokers, a local HTTP agent and the test's
/// clock: the agents are read strictly before either cluster, the stamps handed to the
/// accounting are the agents' read and both ends of the source read, a slow source answer
/// with agents publishing at the publish_delay edge counts nothing, and a wall-clock step of
/// an hour either way neither counts a write that did not happen nor holds back one that did.
import Diagnostics
import Foundation
import SourceWatcher
import SourceWatcherTestSupport
import Testing
@testable import exporterd

@Suite struct MigrationWatchPollTests {
    @Test func agentsAreReadBeforeEitherClusterAndTheStampsSpanTheSourceRead() async throws {
        try await WatchHarness.with(sourceAnswerTime: .milliseconds(1500)) { harness in
            let start = harness.clock.wallNow()
            let poll = await harness.poll()
            let events = harness.world.events
            let firstCluster = try #require(events.firstIndex { $0.hasSuffix("ListOffsets") })
            #expect(events.lastIndex(of: "agents").map { $0 < firstCluster } == true, "\(events)")
            #expect(events.contains("source ListOffsets") && events.contains("destination ListOffsets"))

            #expect(poll.at == start)
            #expect(poll.agents.readAt == start)
            let orders = try #require(poll.sourceOffsets.topics["orders"])
            #expect(orders.isComplete)
            let requested = try #require(orders.requestedAt)
            #expect(requested >= poll.agents.readAt)
            #expect(orders.answeredAt == start.addingTimeInterval(1.5))
            #expect(poll.wallClockStepped, "the first poll of a process knows nothing of the clock before it")

            harness.advance(to: 5)
            #expect(await harness.poll().wallClockStepped == false)
        }
    }

    /// Polls every 2.5 s, the source takes 1.5 s to answer and reads its high watermark at the
    /// end; 10 proxied records are appended at 6.0 s, inside poll 2's source read, and published
    /// at the edge, 8.0 s. Poll 3's agents (7.5 s) are publish_delay after poll 2's request but
    /// not after its answer. With the read stamped at its start (before this change) poll 3
    /// counts the 10 as unproxied writes.
    @Test func aSlowSourceWithAgentsAtThePublishDelayEdgeCountsNothing() async throws {
        let counts = try await WatchHarness.with(confirmPolls: 1, sourceAnswerTime: .milliseconds(1500)) { harness in
            harness.world.proxy(at: 6.0, publishDelay: 2, count: 10)
            var counts: [Int64] = []
            for k in 0..<7 {
                harness.advance(to: Double(k) * 2.5)
                counts.append(WatchHarness.unproxied(await harness.poll()) ?? -1)
            }
            return counts
        }
        #expect(counts == [0, 0, 0, 0, 0, 0, 0])
    }

    /// The same timing with 3 direct writes inside the slow read: counted, not lost.
    @Test func aSlowSourceStillCountsDirectWrites() async throws {
        let counts = try await WatchHarness.with(confirmPolls: 1, sourceAnswerTime: .milliseconds(1500)) { harness in
            harness.world.proxy(at: 6.0, publishDelay: 2, count: 10)
            harness.world.writeDirectly(at: 6.2, count: 3)
            var counts: [Int64] = []
            for k in 0..<7 {
                harness.advance(to: Double(k) * 2.5)
                counts.append(WatchHarness.unproxied(await harness.poll()) ?? -1)
            }
            return counts
        }
        #expect(counts.last == 3)
        #expect(counts.allSatisfy { $0 <= 3 })
    }

    /// Polls a second apart, publish_delay 2 s, the source answering in 0.1 s. Before poll 3
    /// the wall clock jumps an hour ahead: poll 3's agents look an hour after poll 2's source
    /// read although a second passed, and 5 proxied records appended inside poll 2's read are
    /// not published yet. Resolving poll 2 with them would count 5.
    @Test func aWallClockJumpForwardCountsNothing() async throws {
        let counts = try await WatchHarness.with(confirmPolls: 1, sourceAnswerTime: .milliseconds(100)) { harness in
            var counts: [Int64] = []
            for k in 0..<10 {
                harness.advance(to: Double(k))
                if k == 2 { harness.world.proxy(at: 2.05, publishDelay: 2, count: 5) }
                if k == 3 { harness.clock.stepWallClock(by: 3600) }
                let poll = await harness.poll()
                #expect(poll.wallClockStepped == (k == 0 || k == 3), "poll \(k)")
                counts.append(WatchHarness.unproxied(poll) ?? -1)
            }
            return counts
        }
        #expect(counts == Array(repeating: 0, count: 10))
    }

    /// 4 direct writes, then the wall clock jumps an hour back. Polls waiting on stamps from
    /// before the jump would wait an hour (and hold every later one behind them); dropped,
    /// the writes are counted within a few polls.
    @Test func aWallClockJumpBackDoesNotHoldTheCountBack() async throws {
        let counts = try await WatchHarness.with(confirmPolls: 1, sourceAnswerTime: .milliseconds(100)) { harness in
            var counts: [Int64] = []
            for k in 0..<10 {
                harness.advance(to: Double(k))
                if k == 2 { harness.world.writeDirectly(at: 2.05, count: 4) }
                if k == 3 { harness.clock.stepWallClock(by: -3600) }
                counts.append(WatchHarness.unproxied(await harness.poll()) ?? -1)
            }
            return counts
        }
        #expect(counts.allSatisfy { $0 <= 4 }, "\(counts)")
        #expect(counts.last == 4, "\(counts)")
    }
}
