/// The producers read: DescribeProducers through the shared per-leader round
/// (`LeaderRound.swift`), for CONTRACT §5's direct_source_producers. A broker that does not
/// offer the API (Tansu; Kafka before 2.8) makes the whole read `.unsupported`: the check
/// cannot be made there, which is not a failure.
import struct Foundation.Date

/// One producer the partition leader keeps state for (idempotent or transactional): the wire
/// type itself, so no copy of its fields drifts from the schema.
public typealias ActiveProducer = DescribeProducersResponse.ProducerState

extension DescribeProducersResponse.ProducerState {
    /// The last write (its last batch's max timestamp) as a date; nil when the broker does not know it.
    public var lastWrite: Date? {
        lastTimestamp < 0 ? nil : Date(timeIntervalSince1970: Double(lastTimestamp) / 1000)
    }
}

/// The result of one producers poll of one cluster.
public enum ProducersRead: Sendable {
    /// Some leader of the watched partitions does not offer DescribeProducers: nothing can be
    /// said about direct producers on this cluster ("not checked"), and nothing failed.
    case unsupported(brokers: [BrokerAddress])
    case read(ClusterProducers)

    /// The read, when the cluster supports DescribeProducers.
    public var producers: ClusterProducers? {
        if case .read(let producers) = self { producers } else { nil }
    }

    public var isUnsupported: Bool {
        if case .unsupported = self { true } else { false }
    }
}

/// Active producers per partition of every watched topic, with what failed.
public struct ClusterProducers: Sendable {
    public typealias TopicProducers = TopicAnswers<[ActiveProducer]>

    public let cluster: String
    /// Wall-clock time the read began.
    public var readAt: Date
    public var duration: Duration = .zero
    public var topics: [String: TopicProducers] = [:]
    /// Failures that are not about one partition: metadata unreadable, a leader unreachable.
    public var errors: [KafkaClientError] = []

    public init(cluster: String, readAt: Date) {
        self.cluster = cluster
        self.readAt = readAt
    }

    public var isComplete: Bool { !topics.isEmpty && topics.values.allSatisfy(\.isComplete) }

    public func producers(of partition: TopicPartition) -> [ActiveProducer]? {
        topics[partition.topic]?.partitions[partition.partition]
    }
}

extension TopicAnswers where Value == [ActiveProducer] {
    /// Every (partition, producer), by partition then producer id; only from a complete
    /// answer (no diagnostic fires on incomplete data).
    public var allProducers: [(partition: Int32, producer: ActiveProducer)]? {
        guard isComplete else { return nil }
        return partitions.sorted { $0.key < $1.key }.flatMap { partition, producers in
            producers.sorted { $0.producerId < $1.producerId }.map { (partition, $0) }
        }
    }
}

extension KafkaCluster {
    /// Reads the active producers of every partition of `topics` from their leaders, within
    /// `deadline` (default: `request_timeout` from now).
    public func describeProducers(of topics: [String], deadline: ReadDeadline? = nil) async -> ProducersRead {
        let deadline = deadline ?? newReadDeadline()
        let started = clock.monotonicNow()
        var result = ClusterProducers(cluster: name, readAt: clock.wallNow())
        let round = await leaderRound(topics: topics, deadline: deadline) { cluster, _, address, partitions, deadline in
            await cluster.describeProducersReply(partitions, address: address, deadline: deadline)
        }
        if !round.unsupported.isEmpty {
            return .unsupported(brokers: Array(Set(round.unsupported)).sorted { ($0.host, $0.port) < ($1.host, $1.port) })
        }
        result.topics = round.topics
        result.errors = round.errors
        result.duration = clock.monotonicNow() - started
        return .read(result)
    }

    /// One DescribeProducers request to one leader.
    func describeProducersReply(_ partitions: PartitionsByTopic, address: BrokerAddress, deadline: ReadDeadline) async -> LeaderReply<[ActiveProducer]> {
        let request = DescribeProducersRequest(
            topics: partitions.sorted.map { .init(name: $0.topic, partitionIndexes: $0.partitions) })
        // The connection negotiates from the broker's ApiVersions before sending anything.
        let (result, exchange) = await self.exchange(request, to: address, deadline: deadline)
        switch result {
        case .failure(.unsupportedAPI):
            var reply = LeaderReply<[ActiveProducer]>(exchange: exchange)
            reply.unsupported = address
            return reply
        case .failure(let error):
            return LeaderReply(failing: partitions, with: error, exchange: exchange)
        case .success(let response):
            var reply = LeaderReply<[ActiveProducer]>(exchange: exchange)
            for topic in response.topics {
                reply.take(topic: topic.name, topic.partitions.lazy.map { answer -> (Int32, PartitionAnswer<[ActiveProducer]>) in
                    let code = KafkaErrorCode(answer.errorCode)
                    return (answer.partitionIndex, code == .none ? .answered(answer.activeProducers) : .refused(code))
                }, asked: partitions)
            }
            reply.noteMissing(asked: partitions)
            return reply
        }
    }
}
