/// The result of one offsets read of one cluster. Complete only when every watched partition
/// of every watched topic answered (`TopicAnswers.isComplete`): a sum over a partial answer
/// would lie. Each topic carries the two ends of its read (`requestedAt`, `answeredAt`).
import struct Foundation.Date

public struct ClusterOffsets: Sendable {
    public typealias TopicOffsets = TopicAnswers<PartitionOffsets>

    public let cluster: String
    /// Wall-clock time the read began, before any request. The accounting does not use it:
    /// a topic's own `requestedAt`/`answeredAt` bound when the broker read its offsets.
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

extension TopicAnswers where Value == PartitionOffsets {
    /// Sum of high watermarks, only from a complete answer.
    public var highWatermarkSum: Int64? {
        isComplete ? partitions.values.reduce(0) { $0 + $1.highWatermark } : nil
    }
}
