/// `KafkaCluster.describeProducers` against three fake brokers: producers per partition, one
/// DescribeProducers per leader, a broker without the API making the read `.unsupported`, a hung
/// leader failing only its partitions, and per-partition error codes.
import NIOCore
import Testing
@testable import SourceWatcher
import SourceWatcherTestSupport

@Suite struct ProducersPollTests {
    /// Long enough that a loaded machine (the whole suite runs in parallel) never times out a
    /// broker that answers; only the scripted hangs run it out.
    static let timeout = Duration.seconds(2)
    static let settings = ConnectionSettings(connectTimeout: .milliseconds(500), requestTimeout: timeout)

    private func tp(_ topic: String, _ partition: Int32) -> TopicPartition {
        TopicPartition(topic: topic, partition: partition)
    }

    static let direct = DescribeProducersResponse.ProducerState(
        producerId: 4001, producerEpoch: 2, lastSequence: 41, lastTimestamp: 1_795_000_000_123,
        coordinatorEpoch: -1, currentTxnStartOffset: -1)
    static let transactional = DescribeProducersResponse.ProducerState(
        producerId: 4002, producerEpoch: 0, lastSequence: 7, lastTimestamp: 1_795_000_001_000,
        coordinatorEpoch: 3, currentTxnStartOffset: 250)

    /// Three brokers; "orders" has six partitions led by 1, 2, 3, 1, 2, 3, with a direct producer
    /// on partitions 0 and 4 and a transactional one on 4; "audit" has two led by 1 and 2.
    private func withCluster(
        advertised: [Int32: [APIKey: ClosedRange<Int16>]] = [:],
        _ body: (FakeKafkaCluster, KafkaCluster) async throws -> Void
    ) async throws {
        let fake = try await FakeKafkaCluster.start(brokerCount: 3)
        for (id, apis) in advertised { fake.broker(id).advertised = apis }
        fake.layout.addTopic("orders", leaders: [1, 2, 3, 1, 2, 3])
        fake.layout.addTopic("audit", leaders: [1, 2])
        fake.layout.change(tp("orders", 0)) { $0.producers = [Self.direct] }
        fake.layout.change(tp("orders", 4)) { $0.producers = [Self.transactional, Self.direct] }
        // The test's clock: a read's deadline then never runs out while a loaded machine keeps
        // the test waiting; only each request's own timeout (real time) applies.
        let cluster = KafkaCluster(name: "source", bootstrapBrokers: [fake.broker(1).address], settings: Self.settings,
                                   clock: ManualTimeSource())
        do {
            try await body(fake, cluster)
        } catch {
            await cluster.shutdown()
            await fake.stop()
            throw error
        }
        await cluster.shutdown()
        await fake.stop()
        for broker in fake.brokers { #expect(broker.problems.isEmpty, "broker \(broker.nodeID)") }
    }

    private static func asked(_ request: ReceivedRequest) -> Set<TopicPartition> {
        Set((request.describeProducers?.topics ?? []).flatMap { topic in
            topic.partitionIndexes.map { TopicPartition(topic: topic.name, partition: $0) }
        })
    }

    @Test func producersAreReadPerPartitionWithOneRequestPerLeader() async throws {
        try await withCluster { fake, cluster in
            let read = await cluster.describeProducers(of: ["orders", "audit"])
            let producers = try #require(read.producers)
            #expect(producers.isComplete)
            #expect(producers.errors.isEmpty)
            #expect(producers.producers(of: tp("orders", 0)) == [Self.direct])
            #expect(producers.producers(of: tp("orders", 4)) == [Self.transactional, Self.direct])
            #expect(producers.producers(of: tp("orders", 1)) == [])
            #expect(producers.producers(of: tp("audit", 1)) == [])
            let first = try #require(producers.producers(of: tp("orders", 4))?.first)
            #expect(first == ActiveProducer(
                producerId: 4002, producerEpoch: 0, lastSequence: 7, lastTimestamp: 1_795_000_001_000,
                coordinatorEpoch: 3, currentTxnStartOffset: 250))
            #expect(first.lastWrite?.timeIntervalSince1970 == 1_795_000_001)

            let all = try #require(producers.topics["orders"]?.allProducers)
            #expect(all.map(\.partition) == [0, 4, 4])
            #expect(all.map(\.producer.producerId) == [4001, 4001, 4002])

            for broker in fake.brokers {
                let requests = broker.received(.describeProducers)
                try #require(requests.count == 1, "broker \(broker.nodeID)")
                #expect(Self.asked(requests[0]) == Set(fake.layout.partitions(ledBy: broker.nodeID)))
            }
        }
    }

    @Test func aLeaderWithoutDescribeProducersMakesTheReadUnsupported() async throws {
        var older = FakeKafkaBroker.defaultAdvertised
        older[.describeProducers] = nil
        try await withCluster(advertised: [2: older]) { fake, cluster in
            let read = await cluster.describeProducers(of: ["orders"])
            #expect(read.isUnsupported)
            #expect(read.producers == nil)
            guard case .unsupported(let brokers) = read else { Issue.record("expected unsupported"); return }
            #expect(brokers == [fake.broker(2).address])
            // Nothing was sent to the broker that lacks it.
            #expect(fake.broker(2).received(.describeProducers).isEmpty)
        }
    }

    @Test func aClusterWithoutDescribeProducersIsUnsupportedNotFailed() async throws {
        var older = FakeKafkaBroker.defaultAdvertised
        older[.describeProducers] = nil
        try await withCluster(advertised: [1: older, 2: older, 3: older]) { fake, cluster in
            let read = await cluster.describeProducers(of: ["orders", "audit"])
            guard case .unsupported(let brokers) = read else { Issue.record("expected unsupported"); return }
            #expect(Set(brokers) == Set(fake.brokers.map(\.address)))
            for broker in fake.brokers { #expect(broker.received(.describeProducers).isEmpty) }
        }
    }

    @Test func aHungLeaderFailsOnlyItsPartitions() async throws {
        try await withCluster { fake, cluster in
            let hung = fake.broker(3)
            hung.script(.describeProducers) { _, _ in .hang }

            let clock = ContinuousClock()
            let started = clock.now
            let read = await cluster.describeProducers(of: ["orders", "audit"])
            // Not a hang (the request's own timeout ended it); no tighter bound: tests do not
            // assert on timing, and a loaded machine stretches it.
            #expect(clock.now - started < .seconds(20))
            let producers = try #require(read.producers)
            #expect(!producers.isComplete)
            let orders = try #require(producers.topics["orders"])
            #expect(!orders.isComplete)
            #expect(orders.allProducers == nil)
            #expect(Set(orders.partitions.keys) == [0, 1, 3, 4])
            let timedOut = PartitionFailure.request(.requestTimedOut(broker: hung.address, api: .describeProducers, timeout: Self.timeout))
            #expect(orders.failures == [2: timedOut, 5: timedOut])
            #expect(producers.topics["audit"]?.isComplete == true)
            #expect(producers.errors == [.requestTimedOut(broker: hung.address, api: .describeProducers, timeout: Self.timeout)])

            hung.clearScript(.describeProducers)
            let recovered = await cluster.describeProducers(of: ["orders", "audit"])
            #expect(recovered.producers?.isComplete == true)
        }
    }

    @Test func partitionErrorCodesAreReportedPerPartition() async throws {
        try await withCluster { fake, cluster in
            let broker = fake.broker(1)
            // Broker 1 leads orders/0, orders/3 and audit/0; it refuses orders/3.
            broker.script(.describeProducers) { [broker] header, body in
                var body = body
                guard let request = try? DescribeProducersRequest(from: &body, version: header.apiVersion) else { return .close }
                var response = broker.describeProducersResponse(request)
                for topic in response.topics.indices where response.topics[topic].name == "orders" {
                    for partition in response.topics[topic].partitions.indices
                    where response.topics[topic].partitions[partition].partitionIndex == 3 {
                        response.topics[topic].partitions[partition] = .init(
                            partitionIndex: 3, errorCode: KafkaErrorCode.topicAuthorizationFailed.rawValue)
                    }
                }
                return .response(response)
            }
            let read = await cluster.describeProducers(of: ["orders", "audit"])
            let producers = try #require(read.producers)
            let orders = try #require(producers.topics["orders"])
            #expect(orders.failures == [3: .broker(.topicAuthorizationFailed)])
            #expect(orders.partitions.count == 5)
            #expect(orders.partitions[0] == [Self.direct])
            #expect(producers.topics["audit"]?.isComplete == true)
            // Not a routing error: no retry.
            #expect(broker.received(.describeProducers).count == 1)
        }
    }

    @Test func aMovedLeaderIsFoundWithinTheSamePoll() async throws {
        try await withCluster { fake, cluster in
            #expect(await cluster.describeProducers(of: ["orders"]).producers?.isComplete == true)
            // Partition 0 moves from broker 1 to broker 2; the cluster's metadata still says 1.
            fake.layout.change(tp("orders", 0)) { $0.leader = 2 }
            for broker in fake.brokers { broker.forgetReceived() }

            let read = await cluster.describeProducers(of: ["orders"])
            let producers = try #require(read.producers)
            #expect(producers.isComplete)
            #expect(producers.producers(of: tp("orders", 0)) == [Self.direct])
            let retried = try #require(fake.broker(2).received(.describeProducers).last)
            #expect(Self.asked(retried) == [tp("orders", 0)])
        }
    }

    @Test func aMissingTopicFailsOnlyThatTopic() async throws {
        try await withCluster { _, cluster in
            let read = await cluster.describeProducers(of: ["orders", "nope"])
            let producers = try #require(read.producers)
            #expect(producers.topics["orders"]?.isComplete == true)
            #expect(producers.topics["nope"]?.topicFailure == .topicNotFound(cluster: "source", topic: "nope"))
        }
    }
}
