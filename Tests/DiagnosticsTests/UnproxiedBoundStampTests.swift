/// The stamps the unproxied bound compares (CONTRACT §5 guarantee 1): a source read lasts from
/// its request to its answer, the agents' lower bound must come before the request and the
/// upper bound `publish_delay` after the answer; and a wall-clock step between polls drops the
/// polls still waiting instead of resolving them against the other clock.
import Foundation
import Testing
@testable import Diagnostics

/// Polls of one PROXY topic with every stamp chosen by the test.
struct StampedTopic {
    var accounting: TopicAccounting
    let report = TopicStateReport(topic: "orders", state: .proxy, since: epoch)

    init(confirmPolls: Int = 1, publishDelay: TimeInterval = 2) {
        accounting = TopicAccounting(
            topic: "orders", configuration: AccountingConfiguration(publishDelay: publishDelay, confirmPolls: confirmPolls))
    }

    /// Agents read `proxied` at `agentsAt`; the source was asked at `requested`, answered at
    /// `answered` with `source`. Times are seconds after `epoch`.
    mutating func poll(
        agentsAt: TimeInterval, proxied: Int64, requested: TimeInterval, answered: TimeInterval, source: Int64,
        stepped: Bool = false
    ) -> Int64 {
        let read = TopicRead(
            topic: "orders", sourceRequestedAt: epoch.addingTimeInterval(requested),
            sourceAnsweredAt: epoch.addingTimeInterval(answered),
            sourceHighWatermarks: [0: source], destinationHighWatermarks: [0: source], timeLagSeconds: 0)
        let poll = TopicPoll(
            at: epoch.addingTimeInterval(agentsAt), read: read, proxiedRecords: proxied,
            proxiedReadAt: epoch.addingTimeInterval(agentsAt), stateSourceUp: true, report: report,
            wallClockStepped: stepped)
        return accounting.observe(poll).status.unproxiedSourceRecords
    }
}

@Suite struct UnproxiedBoundStampTests {
    /// The broker takes 1.5 s to answer poll 1 and reads its high watermark at the end, after
    /// 10 proxied records were appended at 3.5 s; agents publish them at the edge, 5.5 s. Poll
    /// 2's agents (5.0 s) are 2 s after the request but not after the answer: taking them as
    /// poll 1's upper bound counts the 10 as unproxied. With the send time as the read time
    /// (the stamp before this change) this test counts 10.
    @Test func aSlowAnswerWaitsForAgentsReadPublishDelayAfterIt() {
        var topic = StampedTopic()
        #expect(topic.poll(agentsAt: 0, proxied: 0, requested: 0.1, answered: 0.2, source: 0) == 0)
        #expect(topic.poll(agentsAt: 2.5, proxied: 0, requested: 2.5, answered: 4.0, source: 10) == 0)
        #expect(topic.poll(agentsAt: 5.0, proxied: 0, requested: 5.0, answered: 5.1, source: 10) == 0)
        #expect(topic.poll(agentsAt: 7.5, proxied: 10, requested: 7.5, answered: 7.6, source: 10) == 0)
        #expect(topic.poll(agentsAt: 10, proxied: 10, requested: 10, answered: 10.1, source: 10) == 0)
    }

    /// The same slow answer with 3 direct records in it: counted once the agents' read late
    /// enough comes in, not lost.
    @Test func aSlowAnswerStillCountsDirectWrites() {
        var topic = StampedTopic()
        _ = topic.poll(agentsAt: 0, proxied: 0, requested: 0.1, answered: 0.2, source: 0)
        _ = topic.poll(agentsAt: 2.5, proxied: 0, requested: 2.5, answered: 4.0, source: 13)
        #expect(topic.poll(agentsAt: 5.0, proxied: 0, requested: 5.0, answered: 5.1, source: 13) == 0)
        #expect(topic.poll(agentsAt: 7.5, proxied: 10, requested: 7.5, answered: 7.6, source: 13) == 3)
    }

    /// Agents read after the source request (a clock or ordering fault) may have counted
    /// records the source read did not include: such a poll is no baseline. Here 10 records
    /// appended at 0.3 s were in the agents' 0.5 s read but not in the 0.1 s source read; as a
    /// baseline it would count them as unproxied once the source shows them.
    @Test func agentsReadAfterTheRequestGiveNoLowerBound() {
        var topic = StampedTopic()
        #expect(topic.poll(agentsAt: 0.5, proxied: 10, requested: 0.1, answered: 0.2, source: 100) == 0)
        var counts: [Int64] = []
        for k in 1...6 {
            let t = Double(k) * 5
            counts.append(topic.poll(agentsAt: t, proxied: 10, requested: t + 0.1, answered: t + 0.2, source: 110))
        }
        #expect(counts.allSatisfy { $0 == 0 }, "\(counts)")
    }

    /// publish_delay 2 s, polls 1 s apart: a wall clock stepping forward an hour makes the next
    /// agents' read look late enough for every waiting poll although only a second passed, so
    /// records appended just before the source read and not yet published would count.
    @Test func aForwardWallClockStepDropsTheWaitingPolls() {
        var topic = StampedTopic()
        _ = topic.poll(agentsAt: 0, proxied: 0, requested: 0.1, answered: 0.2, source: 0)
        // 5 proxied records appended at 1.05 s, published at 3.05 s.
        #expect(topic.poll(agentsAt: 1, proxied: 0, requested: 1.1, answered: 1.2, source: 5) == 0)
        let hour: TimeInterval = 3600
        #expect(topic.poll(agentsAt: 2 + hour, proxied: 0, requested: 2.1 + hour, answered: 2.2 + hour, source: 5, stepped: true) == 0)
        var counts: [Int64] = []
        for k in 3...8 {
            let t = Double(k) + hour
            counts.append(topic.poll(agentsAt: t, proxied: k >= 4 ? 5 : 0, requested: t + 0.1, answered: t + 0.2, source: 5))
        }
        #expect(counts.allSatisfy { $0 == 0 }, "\(counts)")
    }

    /// A wall clock stepping back an hour would keep every waiting poll waiting for an hour;
    /// dropped instead, the direct writes they covered are counted by the polls after the step.
    @Test func aBackwardWallClockStepDoesNotDelayTheCount() {
        var topic = StampedTopic()
        _ = topic.poll(agentsAt: 0, proxied: 0, requested: 0.1, answered: 0.2, source: 100)
        _ = topic.poll(agentsAt: 5, proxied: 0, requested: 5.1, answered: 5.2, source: 104)  // 4 direct
        let back: TimeInterval = -3600
        var counts: [Int64] = []
        for k in 2...5 {
            let t = Double(k) * 5 + back
            counts.append(topic.poll(agentsAt: t, proxied: 0, requested: t + 0.1, answered: t + 0.2, source: 104, stepped: k == 2))
        }
        #expect(counts == [0, 0, 4, 4])
    }
}
