/// The producers poll: DescribeProducers, one request per leader broker covering all the
/// partitions it leads, all leaders at once, for CONTRACT §5's direct_source_producers. A broker
/// that does not offer the API (Tansu; Kafka before 2.8) makes the whole read `.unsupported`:
/// the check cannot be made there, which is not a failure. Partitions whose leader moved are
/// retried once after a metadata refresh, as in the offsets poll.
import struct Foundation.Date

/// One producer the partition leader keeps state for (idempotent or transactional).
public struct ActiveProducer: Sendable, Hashable {
    public var producerId: Int64
    public var producerEpoch: Int32
    public var lastSequence: Int32
    /// Unix milliseconds of the producer's last write (its last batch's max timestamp); −1 unknown.
    public var lastTimestamp: Int64
    public var coordinatorEpoch: Int32
    /// −1 unless a transaction is open.
    public var currentTxnStartOffset: Int64

    public init(
        producerId: Int64, producerEpoch: Int32, lastSequence: Int32, lastTimestamp: Int64,
        coordinatorEpoch: Int32 = -1, currentTxnStartOffset: Int64 = -1
    ) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.lastSequence = lastSequence
        self.lastTimestamp = lastTimestamp
        self.coordinatorEpoch = coordinatorEpoch
        self.currentTxnStartOffset = currentTxnStartOffset
    }

    init(_ state: DescribeProducersResponse.ProducerState) {
        self.init(
            producerId: state.producerId, producerEpoch: state.producerEpoch, lastSequence: state.lastSequence,
            lastTimestamp: state.lastTimestamp, coordinatorEpoch: state.coordinatorEpoch,
            currentTxnStartOffset: state.currentTxnStartOffset)
    }

    /// The last write as a date; nil when the broker does not know it.
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
    public struct TopicProducers: Sendable {
        /// Partitions the metadata lists for the topic; nil when the topic itself is unavailable.
        public var partitionCount: Int?
        public var partitions: [Int32: [ActiveProducer]] = [:]
        public var failures: [Int32: PartitionFailure] = [:]
        /// Why the whole topic has no answer (missing on the cluster, metadata unreadable).
        public var topicFailure: KafkaClientError?

        public var isComplete: Bool {
            guard let partitionCount, topicFailure == nil else { return false }
            return failures.isEmpty && partitions.count == partitionCount
        }

        /// Every (partition, producer), by partition then producer id; only from a complete
        /// answer (no diagnostic fires on incomplete data).
        public var allProducers: [(partition: Int32, producer: ActiveProducer)]? {
            guard isComplete else { return nil }
            return partitions.sorted { $0.key < $1.key }.flatMap { partition, producers in
                producers.sorted { $0.producerId < $1.producerId }.map { (partition, $0) }
            }
        }
    }

    public let cluster: String
    /// Wall-clock time the producers were requested.
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

extension KafkaCluster {
    /// Reads the active producers of every partition of `topics` from their leaders.
    public func describeProducers(of topics: [String]) async -> ProducersRead {
        let clock = ContinuousClock()
        let started = clock.now
        var result = ClusterProducers(cluster: name, readAt: Date())
        let metadata: ClusterMetadata
        do {
            metadata = try await currentMetadata(covering: topics)
        } catch {
            result.errors.append(error)
            for topic in topics { result.topics[topic] = .init(partitionCount: nil, topicFailure: error) }
            result.duration = clock.now - started
            return .read(result)
        }
        var watched: [TopicPartition] = []
        for topic in topics {
            if let partitions = metadata.partitions(of: topic) {
                result.topics[topic] = .init(partitionCount: partitions.count)
                watched += partitions
            } else {
                result.topics[topic] = .init(partitionCount: nil, topicFailure: .topicNotFound(cluster: name, topic: topic))
            }
        }

        var outcome = await describeProducers(watched, metadata: metadata)
        let moved = outcome.failures.filter(\.value.callsForRetry).map(\.key).sorted()
        if outcome.unsupported.isEmpty, !moved.isEmpty {
            invalidateMetadata()
            if let fresh = try? await refreshMetadata(topics: topics) {
                outcome.merge(await describeProducers(moved, metadata: fresh))
            }
        }
        if !outcome.unsupported.isEmpty {
            return .unsupported(brokers: outcome.unsupported.sorted { ($0.host, $0.port) < ($1.host, $1.port) })
        }

        var byTopic: [String: [TopicPartition]] = [:]
        for partition in watched { byTopic[partition.topic, default: []].append(partition) }
        for (topic, partitions) in byTopic {
            var entry = result.topics[topic] ?? .init(partitionCount: nil)
            for partition in partitions {
                if let producers = outcome.producers[partition] {
                    entry.partitions[partition.partition] = producers
                } else {
                    entry.failures[partition.partition] = outcome.failures[partition] ?? .missingFromAnswer
                }
            }
            result.topics[topic] = entry
        }
        result.errors += outcome.errors
        result.duration = clock.now - started
        return .read(result)
    }

    /// DescribeProducers for `partitions`, one request per leader, all leaders concurrently.
    func describeProducers(_ partitions: [TopicPartition], metadata: ClusterMetadata) async -> DescribeProducersOutcome {
        var outcome = DescribeProducersOutcome()
        let (byLeader, leaderless) = metadata.groupedByLeader(partitions)
        for partition in leaderless { outcome.failures[partition] = .noLeader }
        await withTaskGroup(of: DescribeProducersOutcome.self) { group in
            for entry in byLeader.values {
                group.addTask { await self.describeProducers(entry.partitions, address: entry.address) }
            }
            for await part in group { outcome.merge(part) }
        }
        return outcome
    }

    private func describeProducers(_ partitions: [TopicPartition], address: BrokerAddress) async -> DescribeProducersOutcome {
        var outcome = DescribeProducersOutcome()
        var byTopic: [String: [Int32]] = [:]
        for partition in partitions { byTopic[partition.topic, default: []].append(partition.partition) }
        let request = DescribeProducersRequest(
            topics: byTopic.sorted { $0.key < $1.key }.map { .init(name: $0.key, partitionIndexes: $0.value) })
        let response: DescribeProducersResponse
        do {
            // The connection negotiates from the broker's ApiVersions before sending anything.
            response = try await send(request, to: address)
        } catch {
            if case .unsupportedAPI = error {
                outcome.unsupported.append(address)
            } else {
                outcome.errors.append(error)
                for partition in partitions { outcome.failures[partition] = .request(error) }
            }
            return outcome
        }
        let asked = Set(partitions)
        for topic in response.topics {
            for answer in topic.partitions {
                let partition = TopicPartition(topic: topic.name, partition: answer.partitionIndex)
                guard asked.contains(partition) else { continue }
                let code = KafkaErrorCode(answer.errorCode)
                if code == .none {
                    outcome.producers[partition] = answer.activeProducers.map(ActiveProducer.init)
                } else {
                    outcome.failures[partition] = .broker(code)
                }
            }
        }
        for partition in partitions where outcome.producers[partition] == nil && outcome.failures[partition] == nil {
            outcome.failures[partition] = .missingFromAnswer
        }
        return outcome
    }
}

/// Per-partition answers and failures of a DescribeProducers round.
struct DescribeProducersOutcome: Sendable {
    var producers: [TopicPartition: [ActiveProducer]] = [:]
    var failures: [TopicPartition: PartitionFailure] = [:]
    /// Leaders that do not offer DescribeProducers.
    var unsupported: [BrokerAddress] = []
    var errors: [KafkaClientError] = []

    mutating func merge(_ other: DescribeProducersOutcome) {
        for (partition, answer) in other.producers {
            producers[partition] = answer
            failures.removeValue(forKey: partition)
        }
        for (partition, failure) in other.failures where producers[partition] == nil {
            failures[partition] = failure
        }
        unsupported += other.unsupported
        errors += other.errors
    }
}
