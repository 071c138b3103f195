/// One read of a cluster against the injected clock: each topic stamped with the send time of
/// the first request it needed and the receive time of the last answer (CONTRACT §5), the
/// metadata refresh, the requests and the retry sharing one `request_timeout`, and a broker
/// that comes back reached by the next read whatever the reconnect backoff says.
import Foundation
import Testing
@testable import SourceWatcher
import SourceWatcherTestSupport

@Suite struct ReadDeadlineTests {
    static let budget = Duration.seconds(2)
    static let settings = ConnectionSettings(connectTimeout: .milliseconds(500), requestTimeout: budget)

    private func tp(_ topic: String, _ partition: Int32) -> TopicPartition {
        TopicPartition(topic: topic, partition: partition)
    }

    private func withCluster(
        brokers: Int, _ body: (FakeKafkaCluster, KafkaCluster, ManualTimeSource) async throws -> Void
    ) async throws {
        let fake = try await FakeKafkaCluster.start(brokerCount: brokers)
        let clock = ManualTimeSource()
        let cluster = KafkaCluster(name: "source", bootstrapBrokers: [fake.broker(1).address], settings: Self.settings, clock: clock)
        do {
            try await body(fake, cluster, clock)
        } catch {
            await cluster.shutdown()
            await fake.stop()
            throw error
        }
        await cluster.shutdown()
        await fake.stop()
        for broker in fake.brokers { #expect(broker.problems.isEmpty, "broker \(broker.nodeID)") }
    }

    /// The broker takes 1.5 s (by the test's clock) to answer ListOffsets: the topic's read
    /// spans from the first request (the metadata refresh on the first read) to that answer.
    @Test func aSlowAnswerIsStampedAtBothEnds() async throws {
        try await withCluster(brokers: 1) { fake, cluster, clock in
            fake.layout.addTopic("orders", leaders: [1, 1])
            let broker = fake.broker(1)
            broker.script(.listOffsets) { header, body in
                clock.advance(by: .milliseconds(1500))
                return broker.defaultReply(header: header, body: body)
            }
            let start = clock.wallNow()
            let first = await cluster.readOffsets(of: ["orders"])
            let orders = try #require(first.topics["orders"])
            #expect(orders.isComplete)
            #expect(orders.requestedAt == start)
            #expect(orders.answeredAt == start.addingTimeInterval(1.5))
            #expect(first.readAt == start)

            clock.advance(by: .seconds(1))
            let second = try #require(await cluster.readOffsets(of: ["orders"]).topics["orders"])
            #expect(second.requestedAt == start.addingTimeInterval(2.5), "metadata cached: the ListOffsets send")
            #expect(second.answeredAt == start.addingTimeInterval(4))
        }
    }

    /// Partition 0 moved from broker 1 to broker 2; broker 2 takes 100 ms per ListOffsets
    /// (both fit the 2 s budget). The topic's answer is the retry's: the stamp runs to it,
    /// not to the first round.
    @Test func theRetryOfAMovedPartitionIsInTheAnswerStamp() async throws {
        try await withCluster(brokers: 2) { fake, cluster, clock in
            fake.layout.addTopic("orders", leaders: [1, 2])
            #expect(await cluster.readOffsets(of: ["orders"]).isComplete)
            fake.layout.change(tp("orders", 0)) { $0.leader = 2 }
            let slow = fake.broker(2)
            slow.script(.listOffsets) { header, body in
                clock.advance(by: .milliseconds(100))
                return slow.defaultReply(header: header, body: body)
            }
            slow.forgetReceived()
            let start = clock.wallNow()
            let offsets = await cluster.readOffsets(of: ["orders"])
            let orders = try #require(offsets.topics["orders"])
            #expect(orders.isComplete)
            #expect(slow.received(.listOffsets).count == 2, "the first round and the retry")
            #expect(orders.requestedAt == start)
            #expect(orders.answeredAt == start.addingTimeInterval(0.2))
        }
    }

    /// A metadata refresh that uses up the whole budget leaves no time for ListOffsets: the
    /// read ends as timed out instead of starting a second full timeout.
    @Test func aSlowMetadataRefreshSpendsTheReadsBudget() async throws {
        try await withCluster(brokers: 1) { fake, cluster, clock in
            fake.layout.addTopic("orders", leaders: [1, 1])
            let broker = fake.broker(1)
            broker.script(.metadata) { header, body in
                clock.advance(by: .milliseconds(2100))
                return broker.defaultReply(header: header, body: body)
            }
            let offsets = await cluster.readOffsets(of: ["orders"])
            let orders = try #require(offsets.topics["orders"])
            #expect(!orders.isComplete)
            #expect(broker.received(.listOffsets).isEmpty)
            let timedOut = PartitionFailure.request(.requestTimedOut(broker: broker.address, api: .listOffsets, timeout: Self.budget))
            #expect(orders.failures == [0: timedOut, 1: timedOut])
        }
    }

    /// A leader that answers NOT_LEADER after the budget is spent is not retried: the retry
    /// would start a refresh and a request past `request_timeout`.
    @Test func noRetryOnceTheBudgetIsSpent() async throws {
        try await withCluster(brokers: 1) { fake, cluster, clock in
            fake.layout.addTopic("orders", leaders: [1])
            #expect(await cluster.readOffsets(of: ["orders"]).isComplete)
            fake.layout.change(tp("orders", 0)) { $0.listOffsetsError = .notLeaderOrFollower }
            let broker = fake.broker(1)
            broker.forgetReceived()
            broker.script(.listOffsets) { header, body in
                clock.advance(by: .milliseconds(2050))
                return broker.defaultReply(header: header, body: body)
            }
            let offsets = await cluster.readOffsets(of: ["orders"])
            #expect(offsets.topics["orders"]?.failures == [0: .broker(.notLeaderOrFollower)])
            #expect(broker.received(.metadata).isEmpty)
            #expect(broker.received(.listOffsets).count == 1)
        }
    }

    /// The broker was down when a read tried it, so its reconnect backoff is running; it comes
    /// back, and the next read (a poll later) reaches it although the window is still open.
    @Test func theNextReadReachesABrokerThatCameBackWhateverTheBackoff() async throws {
        let broker = try await FakeKafkaBroker.start()
        broker.layout.addTopic("orders", leaders: [1])
        // "Down" by hanging up on every connection rather than by closing the port: a port given
        // back could be taken by another test's broker running in parallel.
        broker.script(.apiVersions) { _, _ in .close }
        let clock = ManualTimeSource()
        let cluster = KafkaCluster(name: "source", bootstrapBrokers: [broker.address], settings: Self.settings, clock: clock)

        let down = await cluster.readOffsets(of: ["orders"])
        #expect(!down.isComplete)
        broker.clearScript(.apiVersions)
        clock.advance(by: .milliseconds(1))  // well inside the backoff window (≥ 160 ms)
        let back = await cluster.readOffsets(of: ["orders"])
        #expect(back.isComplete)
        #expect(back.topics["orders"]?.highWatermarkSum == 100)
        await cluster.shutdown()
        await broker.stop()
    }

    /// DescribeProducers uses the same round: a slow answer is stamped at both ends too.
    @Test func producersReadIsStampedLikeTheOffsetsRead() async throws {
        try await withCluster(brokers: 1) { fake, cluster, clock in
            fake.layout.addTopic("orders", leaders: [1, 1])
            let broker = fake.broker(1)
            broker.script(.describeProducers) { header, body in
                clock.advance(by: .milliseconds(700))
                return broker.defaultReply(header: header, body: body)
            }
            let start = clock.wallNow()
            let read = try #require(await cluster.describeProducers(of: ["orders"]).producers)
            let orders = try #require(read.topics["orders"])
            #expect(orders.isComplete)
            #expect(orders.requestedAt == start)
            #expect(orders.answeredAt == start.addingTimeInterval(0.7))
        }
    }
}
