/// `KafkaCluster.readOffsets` against three fake brokers: one ListOffsets per leader per
/// query, complete sums, a hung leader leaving an honest partial answer, a moved leader found
/// within the same poll, a missing topic, and recovery on the next poll.
import Testing
@testable import SourceWatcher
import SourceWatcherTestSupport

@Suite struct ClusterOffsetsTests {
    /// Long enough that a loaded machine (the whole suite runs in parallel) never times out a
    /// broker that answers; only the scripted hangs run it out.
    static let timeout = Duration.seconds(2)
    static let settings = ConnectionSettings(connectTimeout: .milliseconds(500), requestTimeout: timeout)

    private func tp(_ topic: String, _ partition: Int32) -> TopicPartition {
        TopicPartition(topic: topic, partition: partition)
    }

    /// Three brokers; "orders" has six partitions led round-robin by 1, 2, 3 (high watermarks
    /// 100…600, log starts 0…50), "audit" has two led by 1 and 2 (100, 200).
    private func withCluster(_ body: (FakeKafkaCluster, KafkaCluster) async throws -> Void) async throws {
        let fake = try await FakeKafkaCluster.start(brokerCount: 3)
        fake.layout.addTopic("orders", leaders: [1, 2, 3, 1, 2, 3])
        fake.layout.addTopic("audit", leaders: [1, 2])
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

    @Test func oneRequestPerLeaderCoveringAllItsPartitions() async throws {
        try await withCluster { fake, cluster in
            let offsets = await cluster.readOffsets(of: ["orders", "audit"])
            #expect(offsets.isComplete)
            #expect(offsets.errors.isEmpty)
            #expect(offsets.watchedPartitionCount == 8)
            #expect(offsets.answeredPartitionCount == 8)
            #expect(offsets.topics["orders"]?.highWatermarkSum == 2100)
            #expect(offsets.topics["audit"]?.highWatermarkSum == 300)
            #expect(offsets.offsets(of: tp("orders", 4)) == PartitionOffsets(highWatermark: 500, logStartOffset: nil, leader: 2))

            for broker in fake.brokers {
                let requests = broker.received(.listOffsets)
                try #require(requests.count == 1, "broker \(broker.nodeID)")
                let asked = requests[0].listOffsetsPartitions
                #expect(Set(asked.keys) == Set(fake.layout.partitions(ledBy: broker.nodeID)))
                #expect(asked.values.allSatisfy { $0 == -1 }, "latest is timestamp −1")
                #expect(requests[0].listOffsets?.replicaId == -1)
                // The broker-side wait must be the configured request timeout, not a truncation of it.
                #expect(requests[0].listOffsets?.timeoutMs == 2_000)
            }
        }
    }

    @Test func logStartOffsetsCostOneMoreRequestPerLeader() async throws {
        try await withCluster { fake, cluster in
            let offsets = await cluster.readOffsets(of: ["orders", "audit"], includeLogStartOffsets: true)
            #expect(offsets.isComplete)
            #expect(offsets.offsets(of: tp("orders", 4)) == PartitionOffsets(highWatermark: 500, logStartOffset: 40, leader: 2))
            #expect(offsets.offsets(of: tp("audit", 1))?.logStartOffset == 10)

            for broker in fake.brokers {
                let requests = broker.received(.listOffsets)
                try #require(requests.count == 2, "broker \(broker.nodeID)")
                let led = Set(fake.layout.partitions(ledBy: broker.nodeID))
                let queries = requests.map { Set($0.listOffsetsPartitions.values) }
                #expect(Set(queries) == [[-1], [-2]], "one latest and one earliest request")
                for request in requests {
                    #expect(Set(request.listOffsetsPartitions.keys) == led)
                }
            }
        }
    }

    @Test func aHungLeaderLeavesAnHonestPartialAnswerAndTheNextPollRecovers() async throws {
        try await withCluster { fake, cluster in
            let hung = fake.broker(3)
            hung.script(.listOffsets) { _, _ in .hang }

            let clock = ContinuousClock()
            let started = clock.now
            let partial = await cluster.readOffsets(of: ["orders", "audit"])
            // Not a hang (the request's own timeout ended it); no tighter bound: tests do not
            // assert on timing, and a loaded machine stretches it.
            #expect(clock.now - started < .seconds(20))

            #expect(!partial.isComplete)
            let orders = try #require(partial.topics["orders"])
            #expect(!orders.isComplete)
            #expect(orders.highWatermarkSum == nil)
            #expect(Set(orders.partitions.keys) == [0, 1, 3, 4])
            let timedOut = PartitionFailure.request(.requestTimedOut(broker: hung.address, api: .listOffsets, timeout: Self.timeout))
            #expect(orders.failures == [2: timedOut, 5: timedOut])
            // A topic whose leaders all answered is still complete and summed.
            #expect(partial.topics["audit"]?.highWatermarkSum == 300)
            #expect(partial.errors == [.requestTimedOut(broker: hung.address, api: .listOffsets, timeout: Self.timeout)])

            hung.clearScript(.listOffsets)
            let recovered = await cluster.readOffsets(of: ["orders", "audit"])
            #expect(recovered.isComplete)
            #expect(recovered.topics["orders"]?.highWatermarkSum == 2100)
            // The timed-out connection was dropped; the recovery used a new one.
            #expect(hung.acceptedConnections == 2)
        }
    }

    @Test func aMovedLeaderIsFoundWithinTheSamePoll() async throws {
        try await withCluster { fake, cluster in
            #expect(await cluster.readOffsets(of: ["orders"]).isComplete)
            // Partition 0 moves from broker 1 to broker 2; the cluster's metadata still says 1.
            fake.layout.change(tp("orders", 0)) { $0.leader = 2 }
            for broker in fake.brokers { broker.forgetReceived() }

            let offsets = await cluster.readOffsets(of: ["orders"])
            #expect(offsets.isComplete)
            #expect(offsets.offsets(of: tp("orders", 0)) == PartitionOffsets(highWatermark: 100, leader: 2))
            #expect(offsets.topics["orders"]?.highWatermarkSum == 2100)

            let metadataReads = fake.brokers.reduce(0) { $0 + $1.received(.metadata).count }
            #expect(metadataReads == 1, "exactly one refresh")
            let toOld = fake.broker(1).received(.listOffsets).map { Set($0.listOffsetsPartitions.keys) }
            #expect(toOld == [[tp("orders", 0), tp("orders", 3)]])
            let toNew = fake.broker(2).received(.listOffsets).map { Set($0.listOffsetsPartitions.keys) }
            #expect(toNew == [[tp("orders", 1), tp("orders", 4)], [tp("orders", 0)]], "the retry asks only for the moved partition")
        }
    }

    @Test func aLeaderThatStaysWrongIsReportedNotRetriedForever() async throws {
        try await withCluster { fake, cluster in
            // Broker 1 claims NOT_LEADER for partition 0 although the metadata keeps naming it.
            fake.layout.change(tp("orders", 0)) { $0.listOffsetsError = .notLeaderOrFollower }
            let offsets = await cluster.readOffsets(of: ["orders"])
            #expect(!offsets.isComplete)
            #expect(offsets.topics["orders"]?.failures == [0: .broker(.notLeaderOrFollower)])
            #expect(fake.broker(1).received(.listOffsets).count == 2, "one original, one retry")
        }
    }

    @Test func aPartitionErrorThatRefreshCannotCureIsNotRetried() async throws {
        try await withCluster { fake, cluster in
            fake.layout.change(tp("orders", 1)) { $0.listOffsetsError = .topicAuthorizationFailed }
            let offsets = await cluster.readOffsets(of: ["orders"])
            #expect(offsets.topics["orders"]?.failures == [1: .broker(.topicAuthorizationFailed)])
            #expect(offsets.topics["orders"]?.highWatermarkSum == nil)
            #expect(fake.brokers.reduce(0) { $0 + $1.received(.metadata).count } == 1)
        }
    }

    @Test func aMissingTopicIsTopicNotFound() async throws {
        try await withCluster { fake, cluster in
            let offsets = await cluster.readOffsets(of: ["orders", "ghost"])
            #expect(!offsets.isComplete)
            let ghost = try #require(offsets.topics["ghost"])
            #expect(ghost.topicFailure == .topicNotFound(cluster: "source", topic: "ghost"))
            #expect(ghost.partitionCount == nil)
            #expect(ghost.highWatermarkSum == nil)
            #expect(offsets.topics["orders"]?.highWatermarkSum == 2100)
            let askedTopics = fake.brokers.flatMap { $0.received(.listOffsets) }.flatMap { $0.listOffsets?.topics.map(\.name) ?? [] }
            #expect(!askedTopics.contains("ghost"))
        }
    }

    @Test func aTopicCreatedLaterIsFoundOnTheNextPoll() async throws {
        try await withCluster { fake, cluster in
            #expect(await cluster.readOffsets(of: ["orders", "late"]).topics["late"]?.topicFailure
                == .topicNotFound(cluster: "source", topic: "late"))
            fake.layout.addTopic("late", leaders: [3, 1])
            let offsets = await cluster.readOffsets(of: ["orders", "late"])
            #expect(offsets.isComplete)
            #expect(offsets.topics["late"]?.highWatermarkSum == 300)
        }
    }

    @Test func partitionsAddedToATopicAppearOnceMetadataAgesOut() async throws {
        let fake = try await FakeKafkaCluster.start(brokerCount: 1)
        fake.layout.addTopic("orders", leaders: [1, 1])
        let clock = ManualTimeSource()
        let cluster = KafkaCluster(name: "source", bootstrapBrokers: fake.bootstrap, settings: Self.settings,
                                   metadataMaxAge: .seconds(60), clock: clock)
        #expect(await cluster.readOffsets(of: ["orders"]).topics["orders"]?.highWatermarkSum == 300)
        fake.layout.addTopic("orders", leaders: [1, 1, 1])
        // Within the maximum age the cached layout is used: no Metadata request per poll.
        #expect(await cluster.readOffsets(of: ["orders"]).topics["orders"]?.partitionCount == 2)
        #expect(fake.broker(1).received(.metadata).count == 1)
        clock.advance(by: .seconds(59))
        #expect(await cluster.readOffsets(of: ["orders"]).topics["orders"]?.partitionCount == 2)
        clock.advance(by: .seconds(1))
        let grown = await cluster.readOffsets(of: ["orders"])
        #expect(grown.topics["orders"]?.partitionCount == 3)
        #expect(grown.topics["orders"]?.highWatermarkSum == 600)
        await cluster.shutdown()
        await fake.stop()
    }

    @Test func aDownLeaderFailsOnlyItsPartitions() async throws {
        try await withCluster { fake, cluster in
            #expect(await cluster.readOffsets(of: ["orders"]).isComplete)
            await fake.broker(3).stop()
            let offsets = await cluster.readOffsets(of: ["orders"])
            let orders = try #require(offsets.topics["orders"])
            #expect(Set(orders.partitions.keys) == [0, 1, 3, 4])
            #expect(Set(orders.failures.keys) == [2, 5])
            for failure in orders.failures.values {
                guard case .request = failure else { Issue.record("expected a request failure, got \(failure)"); continue }
            }
        }
    }

    @Test func afterAFailoverTheSamePollReachesTheNewLeaders() async throws {
        try await withCluster { fake, cluster in
            #expect(await cluster.readOffsets(of: ["orders"]).isComplete)
            // Broker 3 dies; its partitions fail over to 1 and 2 and it leaves the broker list.
            await fake.broker(3).stop()
            fake.layout.change(tp("orders", 2)) { $0.leader = 1 }
            fake.layout.change(tp("orders", 5)) { $0.leader = 2 }
            fake.layout.update { _ = $0.brokers.removeValue(forKey: 3) }

            let offsets = await cluster.readOffsets(of: ["orders"])
            #expect(offsets.isComplete)
            #expect(offsets.topics["orders"]?.highWatermarkSum == 2100)
            #expect(offsets.offsets(of: tp("orders", 2))?.leader == 1)
        }
    }

    @Test func noReachableBrokerFailsEveryTopic() async throws {
        let cluster = KafkaCluster(name: "source", bootstrapBrokers: [BrokerAddress(host: "127.0.0.1", port: 1)], settings: Self.settings)
        let offsets = await cluster.readOffsets(of: ["orders"])
        #expect(!offsets.isComplete)
        guard case .noBrokerAvailable(cluster: "source", _)? = offsets.topics["orders"]?.topicFailure else {
            Issue.record("expected noBrokerAvailable, got \(String(describing: offsets.topics["orders"]?.topicFailure))")
            return
        }
        await cluster.shutdown()
    }
}
