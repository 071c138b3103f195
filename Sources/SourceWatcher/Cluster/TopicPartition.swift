/// The keys and values of a cluster's offsets: which partition, and where its log starts and ends.
public struct TopicPartition: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    public var description: String { "\(topic)/\(partition)" }
}

/// One partition's offsets as read in one poll.
public struct PartitionOffsets: Sendable, Equatable, Codable {
    /// The offset the next appended record will get (ListOffsets latest, READ_UNCOMMITTED).
    public var highWatermark: Int64
    /// The earliest offset still in the log; nil when the poll did not ask for it.
    public var logStartOffset: Int64?
    /// The broker id that answered as leader.
    public var leader: Int32

    public init(highWatermark: Int64, logStartOffset: Int64? = nil, leader: Int32) {
        self.highWatermark = highWatermark
        self.logStartOffset = logStartOffset
        self.leader = leader
    }
}

/// Why a watched partition has no offsets in a poll.
public enum PartitionFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broker answered for the partition with an error code.
    case broker(KafkaErrorCode)
    /// The request that covered the partition failed (timeout, connection, decoding).
    case request(KafkaClientError)
    /// Metadata names no live leader for it.
    case noLeader
    /// The leader's answer did not mention the partition at all.
    case missingFromAnswer

    public var description: String {
        switch self {
        case .broker(let code): "broker answered \(code)"
        case .request(let error): error.description
        case .noLeader: "no leader"
        case .missingFromAnswer: "leader's answer left it out"
        }
    }
}
