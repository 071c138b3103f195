/// The world the fake brokers describe: which brokers exist (id → port), which topics and
/// partitions, who leads each, the offsets and producers behind them, and the consumer
/// groups. Shared by every fake broker of one fake cluster, and changeable mid-test (a leader moves, a topic appears).
import NIOConcurrencyHelpers
import SourceWatcher

public struct FakePartition: Sendable, Equatable {
    public var leader: Int32
    public var earliest: Int64 = 0
    public var latest: Int64 = 0
    /// Answered for this partition in ListOffsets instead of its offsets.
    public var listOffsetsError: KafkaErrorCode = .none
    public var producers: [DescribeProducersResponse.ProducerState] = []

    public init(leader: Int32, earliest: Int64 = 0, latest: Int64 = 0, listOffsetsError: KafkaErrorCode = .none,
                producers: [DescribeProducersResponse.ProducerState] = []) {
        self.leader = leader
        self.earliest = earliest
        self.latest = latest
        self.listOffsetsError = listOffsetsError
        self.producers = producers
    }
}

public final class FakeClusterLayout: Sendable {
    public struct State: Sendable {
        public var clusterID = "fake-cluster"
        public var brokers: [Int32: Int] = [:]
        public var topics: [String: [Int32: FakePartition]] = [:]
        /// Consumer groups by id (`FakeGroupsScript.swift` answers the group APIs from these).
        public var groups: [String: FakeGroup] = [:]
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    public var snapshot: State { state.withLockedValue { $0 } }

    public func update(_ change: (inout State) -> Void) {
        state.withLockedValue { change(&$0) }
    }

    /// Adds `topic` with one partition per entry of `leaders`; partition i has high watermark
    /// `latest[i]` (default 100·(i+1)) and log start `earliest[i]` (default 10·i).
    public func addTopic(_ topic: String, leaders: [Int32], latest: [Int64]? = nil, earliest: [Int64]? = nil) {
        update { state in
            var partitions: [Int32: FakePartition] = [:]
            for (index, leader) in leaders.enumerated() {
                partitions[Int32(index)] = FakePartition(
                    leader: leader,
                    earliest: earliest?[index] ?? Int64(10 * index),
                    latest: latest?[index] ?? Int64(100 * (index + 1)))
            }
            state.topics[topic] = partitions
        }
    }

    public func partition(_ partition: TopicPartition) -> FakePartition? {
        snapshot.topics[partition.topic]?[partition.partition]
    }

    public func change(_ partition: TopicPartition, _ change: (inout FakePartition) -> Void) {
        update { state in
            guard var entry = state.topics[partition.topic]?[partition.partition] else { return }
            change(&entry)
            state.topics[partition.topic]?[partition.partition] = entry
        }
    }

    /// Partitions led by `broker`, sorted.
    public func partitions(ledBy broker: Int32) -> [TopicPartition] {
        snapshot.topics.flatMap { topic, partitions in
            partitions.filter { $0.value.leader == broker }.map { TopicPartition(topic: topic, partition: $0.key) }
        }.sorted()
    }
}

/// Several fake brokers forming one cluster (ids 1…n), sharing one layout.
public struct FakeKafkaCluster: Sendable {
    public let layout: FakeClusterLayout
    public let brokers: [FakeKafkaBroker]

    public static func start(brokerCount: Int) async throws -> FakeKafkaCluster {
        let layout = FakeClusterLayout()
        var brokers: [FakeKafkaBroker] = []
        for id in 1...brokerCount {
            brokers.append(try await FakeKafkaBroker.start(nodeID: Int32(id), layout: layout))
        }
        return FakeKafkaCluster(layout: layout, brokers: brokers)
    }

    public func broker(_ id: Int32) -> FakeKafkaBroker {
        brokers.first { $0.nodeID == id }!
    }

    public var bootstrap: [BrokerAddress] { brokers.map(\.address) }

    public func stop() async {
        for broker in brokers { await broker.stop() }
    }
}
