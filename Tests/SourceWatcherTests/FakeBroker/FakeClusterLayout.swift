/// The world the fake brokers describe: which brokers exist (id → port), which topics and
/// partitions, who leads each, and the offsets and producers behind them. Shared by every
/// fake broker of one fake cluster, and changeable mid-test (a leader moves, a topic appears).
import NIOConcurrencyHelpers
@testable import SourceWatcher

struct FakePartition: Sendable, Equatable {
    var leader: Int32
    var earliest: Int64 = 0
    var latest: Int64 = 0
    /// Answered for this partition in ListOffsets instead of its offsets.
    var listOffsetsError: KafkaErrorCode = .none
    var producers: [DescribeProducersResponse.ProducerState] = []
}

final class FakeClusterLayout: Sendable {
    struct State: Sendable {
        var clusterID = "fake-cluster"
        var brokers: [Int32: Int] = [:]
        var topics: [String: [Int32: FakePartition]] = [:]
    }

    private let state = NIOLockedValueBox(State())

    init() {}

    var snapshot: State { state.withLockedValue { $0 } }

    func update(_ change: (inout State) -> Void) {
        state.withLockedValue { change(&$0) }
    }

    /// Adds `topic` with one partition per entry of `leaders`; partition i has high watermark
    /// `latest[i]` (default 100·(i+1)) and log start `earliest[i]` (default 10·i).
    func addTopic(_ topic: String, leaders: [Int32], latest: [Int64]? = nil, earliest: [Int64]? = nil) {
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

    func partition(_ partition: TopicPartition) -> FakePartition? {
        snapshot.topics[partition.topic]?[partition.partition]
    }

    func change(_ partition: TopicPartition, _ change: (inout FakePartition) -> Void) {
        update { state in
            guard var entry = state.topics[partition.topic]?[partition.partition] else { return }
            change(&entry)
            state.topics[partition.topic]?[partition.partition] = entry
        }
    }

    /// Partitions led by `broker`, sorted.
    func partitions(ledBy broker: Int32) -> [TopicPartition] {
        snapshot.topics.flatMap { topic, partitions in
            partitions.filter { $0.value.leader == broker }.map { TopicPartition(topic: topic, partition: $0.key) }
        }.sorted()
    }
}

/// Several fake brokers forming one cluster (ids 1…n), sharing one layout.
struct FakeKafkaCluster: Sendable {
    let layout: FakeClusterLayout
    let brokers: [FakeKafkaBroker]

    static func start(brokerCount: Int) async throws -> FakeKafkaCluster {
        let layout = FakeClusterLayout()
        var brokers: [FakeKafkaBroker] = []
        for id in 1...brokerCount {
            brokers.append(try await FakeKafkaBroker.start(nodeID: Int32(id), layout: layout))
        }
        return FakeKafkaCluster(layout: layout, brokers: brokers)
    }

    func broker(_ id: Int32) -> FakeKafkaBroker {
        brokers.first { $0.nodeID == id }!
    }

    var bootstrap: [BrokerAddress] { brokers.map(\.address) }

    func stop() async {
        for broker in brokers { await broker.stop() }
    }
}
