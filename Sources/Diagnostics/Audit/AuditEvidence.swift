/// What the pre-decommission audit (CONTRACT §8, `exporterd audit`) reads before it judges:
/// per watched topic its state, its stored history, both clusters' partitions, the consumer
/// groups and producers on the source, and the source topics no mapping covers. Plain values
/// filled in by the daemon's reader (I/O) or by tests; `AuditVerdicts` judges them. Every read
/// that can fail has a case for "did not answer", so a gap can never pass for a clean answer.
import Foundation

/// Everything one audit run read.
public struct AuditEvidence: Sendable, Hashable {
    public var topics: [AuditTopicEvidence]
    /// Source topics that no mapping covers, with records read by timestamp.
    public var unmappedTopics: [AuditUnmappedTopic]
    /// Whether the source's topic list could be read: without it nobody knows which source
    /// topics are unmigrated, so the report cannot be SAFE.
    public var sourceTopicList: AuditRead<Int>
    /// `--since`: records newer than `now − since` make an unmapped topic unmigrated.
    public var since: TimeInterval

    public init(topics: [AuditTopicEvidence], unmappedTopics: [AuditUnmappedTopic] = [],
                sourceTopicList: AuditRead<Int>, since: TimeInterval) {
        self.topics = topics
        self.unmappedTopics = unmappedTopics
        self.sourceTopicList = sourceTopicList
        self.since = since
    }
}

/// A read that either answered or did not (with why, for the report).
public enum AuditRead<Value: Sendable & Hashable>: Sendable, Hashable {
    case answered(Value)
    case notAnswered(String)

    public var value: Value? {
        if case .answered(let value) = self { value } else { nil }
    }
}

/// One watched topic.
public struct AuditTopicEvidence: Sendable, Hashable {
    public var topic: String
    public var destinationTopic: String
    /// From the state source: nil state means the document does not list the topic (REJECT).
    public var state: AuditRead<AuditStateEvidence>
    /// exporterd's persisted history from data_dir.
    public var history: AuditRead<AuditHistory>
    /// Per partition, both clusters; `.notAnswered` when not even the partition list is known.
    public var partitions: AuditRead<[AuditPartitionEvidence]>
    public var consumerGroups: AuditGroupsEvidence
    public var producers: AuditProducersEvidence

    public init(topic: String, destinationTopic: String, state: AuditRead<AuditStateEvidence>,
                history: AuditRead<AuditHistory>, partitions: AuditRead<[AuditPartitionEvidence]>,
                consumerGroups: AuditGroupsEvidence, producers: AuditProducersEvidence) {
        self.topic = topic
        self.destinationTopic = destinationTopic
        self.state = state
        self.history = history
        self.partitions = partitions
        self.consumerGroups = consumerGroups
        self.producers = producers
    }
}

/// The topic's state as the state source reports it.
public struct AuditStateEvidence: Sendable, Hashable {
    public var state: MigrationState
    public var since: Date?

    public init(state: MigrationState, since: Date?) {
        self.state = state
        self.since = since
    }
}

/// What the store in data_dir remembers of the topic.
public struct AuditHistory: Sendable, Hashable {
    /// The latest INITIATED and COMPLETED events' times.
    public var initiatedAt: Date?
    public var completedAt: Date?
    /// `kafka_migration_post_migration_source_records_total` as last committed; nil when the
    /// daemon never counted for this topic.
    public var postMigrationRecords: Int64?

    public init(initiatedAt: Date? = nil, completedAt: Date? = nil, postMigrationRecords: Int64? = nil) {
        self.initiatedAt = initiatedAt
        self.completedAt = completedAt
        self.postMigrationRecords = postMigrationRecords
    }
}

/// One partition on both clusters. Offsets are preserved by the replicator, so the source's
/// last record (at source HWM − 1) must be at the same offset on the destination.
public struct AuditPartitionEvidence: Sendable, Hashable {
    public var partition: Int32
    public var sourceHighWatermark: AuditRead<Int64>
    public var destinationHighWatermark: AuditRead<Int64>
    /// The source's last record, read with Fetch at source HWM − 1 on the source…
    public var sourceLastRecord: AuditRecordRead
    /// …and at the same offset on the destination.
    public var destinationLastRecord: AuditRecordRead
    /// The first source offset at or after the cutover (ListOffsets by timestamp); only for
    /// COMPLETE topics.
    public var cutoverOffset: AuditCutoverOffset

    public init(partition: Int32, sourceHighWatermark: AuditRead<Int64>, destinationHighWatermark: AuditRead<Int64>,
                sourceLastRecord: AuditRecordRead, destinationLastRecord: AuditRecordRead,
                cutoverOffset: AuditCutoverOffset = .notAsked) {
        self.partition = partition
        self.sourceHighWatermark = sourceHighWatermark
        self.destinationHighWatermark = destinationHighWatermark
        self.sourceLastRecord = sourceLastRecord
        self.destinationLastRecord = destinationLastRecord
        self.cutoverOffset = cutoverOffset
    }
}

/// One Fetch for a record's timestamp.
public enum AuditRecordRead: Sendable, Hashable {
    /// The first data record at or after the asked offset.
    case record(offset: Int64, timestampMs: Int64)
    /// The broker answered and holds no data record at or after the offset (a transaction
    /// marker, or nothing there).
    case noRecord
    /// Not asked: the partition is empty on the source.
    case notNeeded
    case notAnswered(String)
}

/// ListOffsets by timestamp at the cutover, for one source partition.
public enum AuditCutoverOffset: Sendable, Hashable {
    /// The first offset whose record is at or after the cutover.
    case firstOffset(Int64)
    /// Timestamp −1: no record at or after the cutover.
    case noRecordSince
    /// The topic is not COMPLETE (no cutover), or no cutover time is known.
    case notAsked
    case notAnswered(String)
}

/// Consumer groups on the source that touch the topic.
public enum AuditGroupsEvidence: Sendable, Hashable {
    /// Every group of the cluster was described; these are the ones with members assigned to
    /// the topic or with committed offsets on it.
    case read([AuditConsumerGroup])
    /// Some coordinator or group did not answer: a group reading the topic may be missing.
    case notAnswered(String)
    /// This exporterd cannot read consumer groups.
    case notChecked(String)
}

public struct AuditConsumerGroup: Sendable, Hashable {
    public var groupId: String
    public var state: String
    public var members: [AuditGroupMember]
    /// Committed offsets on this topic's partitions.
    public var committedOffsets: [Int32: Int64]

    public init(groupId: String, state: String, members: [AuditGroupMember], committedOffsets: [Int32: Int64]) {
        self.groupId = groupId
        self.state = state
        self.members = members
        self.committedOffsets = committedOffsets
    }
}

public struct AuditGroupMember: Sendable, Hashable {
    public var memberId: String
    public var clientId: String
    public var clientHost: String
    /// This topic's partitions assigned to the member; nil when the assignment could not be
    /// decoded (not the consumer protocol), which counts as possibly reading.
    public var partitions: [Int32]?

    public init(memberId: String, clientId: String, clientHost: String, partitions: [Int32]?) {
        self.memberId = memberId
        self.clientId = clientId
        self.clientHost = clientHost
        self.partitions = partitions
    }
}

/// DescribeProducers on the source.
public enum AuditProducersEvidence: Sendable, Hashable {
    case read([ProducerInfo])
    /// The source's brokers lack DescribeProducers (Tansu, Kafka < 2.8): "not checked".
    case unsupported(brokers: [String])
    case notAnswered(String)
}

/// A source topic that no mapping covers.
public struct AuditUnmappedTopic: Sendable, Hashable {
    public var topic: String
    /// Per partition, ListOffsets by timestamp at `now − since` and the latest offset.
    public var partitions: AuditRead<[AuditUnmappedPartition]>

    public init(topic: String, partitions: AuditRead<[AuditUnmappedPartition]>) {
        self.topic = topic
        self.partitions = partitions
    }
}

public struct AuditUnmappedPartition: Sendable, Hashable {
    public var partition: Int32
    /// The first offset with a record newer than the window's start; nil for timestamp −1.
    public var firstRecentOffset: Int64?
    /// That record's timestamp (ms).
    public var firstRecentTimestampMs: Int64?
    public var highWatermark: Int64

    public init(partition: Int32, firstRecentOffset: Int64?, firstRecentTimestampMs: Int64?, highWatermark: Int64) {
        self.partition = partition
        self.firstRecentOffset = firstRecentOffset
        self.firstRecentTimestampMs = firstRecentTimestampMs
        self.highWatermark = highWatermark
    }

    /// Records at or after the window's start on this partition.
    public var recentRecords: Int64 {
        guard let firstRecentOffset else { return 0 }
        return max(0, highWatermark - firstRecentOffset)
    }
}

extension TopicSnapshot {
    /// The stored post-migration counter, for the audit's history (nil when never counted).
    public var storedPostMigrationRecords: Int64? {
        postMigration.baseline == nil && postMigration.records == 0 ? nil : postMigration.records
    }
}
