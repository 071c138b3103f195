/// The result of one offsets poll of one cluster. Complete only when every watched partition
/// of every watched topic answered (kminion's rule): a sum over a partial answer would lie.
import struct Foundation.Date

public struct ClusterOffsets: Sendable {
    public struct TopicOffsets: Sendable {
        /// Partitions the metadata lists for the topic; nil when the topic itself is unavailable.
        public var partitionCount: Int?
        public var partitions: [Int32: PartitionOffsets] = [:]
        public var failures: [Int32: PartitionFailure] = [:]
        /// Why the whole topic has no answer (missing on the cluster, metadata unreadable).
        public var topicFailure: KafkaClientError?

        public var isComplete: Bool {
            guard let partitionCount, topicFailure == nil else { return false }
            return failures.isEmpty && partitions.count == partitionCount
        }

        /// Sum of high watermarks, only from a complete answer.
        public var highWatermarkSum: Int64? {
            isComplete ? partitions.values.reduce(0) { $0 + $1.highWatermark } : nil
        }
    }

    public let cluster: String
    /// Wall-clock time the offsets were requested (what "now" means for this answer).
    public var readAt: Date
    public var duration: Duration = .zero
    public var topics: [String: TopicOffsets] = [:]
    /// Failures that are not about one partition: metadata unreadable, a leader unreachable.
    public var errors: [KafkaClientError] = []

    public init(cluster: String, readAt: Date) {
        self.cluster = cluster
        self.readAt = readAt
    }

    public var isComplete: Bool { !topics.isEmpty && topics.values.allSatisfy(\.isComplete) }

    public var watchedPartitionCount: Int { topics.values.reduce(0) { $0 + ($1.partitionCount ?? 0) } }
    public var answeredPartitionCount: Int { topics.values.reduce(0) { $0 + $1.partitions.count } }

    public func offsets(of partition: TopicPartition) -> PartitionOffsets? {
        topics[partition.topic]?.partitions[partition.partition]
    }
}
