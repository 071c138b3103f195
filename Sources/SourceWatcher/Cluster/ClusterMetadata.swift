/// A cluster's layout as the last Metadata answer gave it: brokers, topics, partitions and
/// their leaders. A value: the cluster actor swaps it whole on each refresh.
public struct ClusterMetadata: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var leader: Int32
        public var errorCode: KafkaErrorCode
    }

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var isInternal: Bool
        public var errorCode: KafkaErrorCode
        public var partitions: [Int32: Partition]
    }

    public var brokers: [Int32: BrokerAddress]
    public var topics: [String: Topic]
    public var clusterID: String?

    public init(brokers: [Int32: BrokerAddress] = [:], topics: [String: Topic] = [:], clusterID: String? = nil) {
        self.brokers = brokers
        self.topics = topics
        self.clusterID = clusterID
    }

    init(_ response: MetadataResponse) {
        var brokers: [Int32: BrokerAddress] = [:]
        for broker in response.brokers {
            brokers[broker.nodeId] = BrokerAddress(host: broker.host, port: Int(broker.port))
        }
        var topics: [String: Topic] = [:]
        for topic in response.topics {
            guard let name = topic.name else { continue }
            var partitions: [Int32: Partition] = [:]
            for partition in topic.partitions {
                partitions[partition.partitionIndex] = Partition(leader: partition.leaderId, errorCode: KafkaErrorCode(partition.errorCode))
            }
            topics[name] = Topic(name: name, isInternal: topic.isInternal, errorCode: KafkaErrorCode(topic.errorCode), partitions: partitions)
        }
        self.init(brokers: brokers, topics: topics, clusterID: response.clusterId)
    }

    /// Topics that exist (answered without a topic-level error), internal ones left out.
    public var topicNames: [String] {
        topics.values.filter { $0.errorCode == .none && !$0.isInternal }.map(\.name).sorted()
    }

    public func partitions(of topic: String) -> [TopicPartition]? {
        guard let entry = topics[topic], entry.errorCode == .none else { return nil }
        return entry.partitions.keys.sorted().map { TopicPartition(topic: topic, partition: $0) }
    }

    /// The leader's address, or nil when there is none (leader −1) or it is not a known broker.
    public func leader(of partition: TopicPartition) -> (id: Int32, address: BrokerAddress)? {
        guard let entry = topics[partition.topic]?.partitions[partition.partition],
              entry.leader >= 0, let address = brokers[entry.leader] else { return nil }
        return (entry.leader, address)
    }
}
