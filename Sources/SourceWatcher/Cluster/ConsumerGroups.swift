/// What a consumer groups read of one cluster found: the groups that touch the watched topics
/// (members with their decoded assignments, committed offsets) and every way the read fell
/// short. The read itself is in `ConsumerGroupsPoll.swift`.
import struct Foundation.Date

/// One consumer groups read of one cluster.
public struct ConsumerGroupsRead: Sendable {
    public let cluster: String
    /// Wall-clock time the read began.
    public var readAt: Date
    public var duration: Duration
    /// Groups with members assigned to, or committed offsets on, a watched topic; by groupId.
    public var groups: [ConsumerGroup]
    /// What failed, with where; a read with failures may miss groups, members or offsets.
    public var failures: [ConsumerGroupFailure]
    /// Every broker answered ListGroups and every group's coordinator answered for it: only
    /// then does the absence of a group prove that no group reads a topic.
    public var isComplete: Bool { failures.isEmpty }

    public init(cluster: String, readAt: Date, duration: Duration = .zero,
                groups: [ConsumerGroup] = [], failures: [ConsumerGroupFailure] = []) {
        self.cluster = cluster
        self.readAt = readAt
        self.duration = duration
        self.groups = groups
        self.failures = failures
    }

    public func group(_ groupId: String) -> ConsumerGroup? {
        groups.first { $0.groupId == groupId }
    }

    /// Groups with members reading `topic` (see `ConsumerGroup.hasMembersReading`).
    public func groupsReading(_ topic: String) -> [ConsumerGroup] {
        groups.filter { $0.hasMembersReading(topic) }
    }
}

/// One consumer group as its coordinator describes it.
public struct ConsumerGroup: Sendable, Equatable {
    public var groupId: String
    /// "Stable", "Empty", "PreparingRebalance", "CompletingRebalance", "Dead".
    public var state: String
    /// "consumer" for Kafka consumers (and Streams); "connect" for Connect workers; "" for
    /// clients that only commit offsets without joining.
    public var protocolType: String
    public var coordinator: BrokerAddress
    public var members: [ConsumerGroupMember]
    /// Committed offsets on the watched topics; partitions without a commit are left out.
    public var committedOffsets: [TopicPartition: Int64]

    public init(groupId: String, state: String, protocolType: String, coordinator: BrokerAddress,
                members: [ConsumerGroupMember] = [], committedOffsets: [TopicPartition: Int64] = [:]) {
        self.groupId = groupId
        self.state = state
        self.protocolType = protocolType
        self.coordinator = coordinator
        self.members = members
        self.committedOffsets = committedOffsets
    }

    /// The rebalancing states: members are about to be handed (new) assignments, so the ones
    /// they hold now (often none) do not say what they will read.
    public static let rebalancingStates: Set<String> = ["PreparingRebalance", "CompletingRebalance"]

    /// Partitions of `topic` assigned to members (decoded assignments), sorted.
    public func assignedPartitions(of topic: String) -> [TopicPartition] {
        Array(Set(members.flatMap { ($0.assignment ?? []).filter { $0.topic == topic } })).sorted()
    }

    /// Partitions of `topic` with a committed offset, sorted.
    public func committedPartitions(of topic: String) -> [TopicPartition] {
        committedOffsets.keys.filter { $0.topic == topic }.sorted()
    }

    /// States in which Kafka's group has members: a broker that describes such a group with
    /// no members hides them rather than having none (librdkafka's admin client was shown no
    /// members of a live group on Tansu).
    public static let statesWithMembers: Set<String> = rebalancingStates.union(["Stable"])

    /// True when the group has members and either a member is assigned a partition of `topic`,
    /// or the group has committed offsets on `topic` while its assignments do not tell: a
    /// member's assignment could not be decoded (non-"consumer" protocol type), the group is
    /// rebalancing (members hold no assignment yet), or its state says it has members that the
    /// broker did not list (`membersHidden`). The conservative answer: the audit must never
    /// call a topic safe without proof.
    public func hasMembersReading(_ topic: String) -> Bool {
        guard !members.isEmpty || membersHidden else { return false }
        if members.contains(where: { $0.assignment?.contains { $0.topic == topic } ?? false }) { return true }
        let assignmentsUnknown = membersHidden || Self.rebalancingStates.contains(state)
            || members.contains { $0.assignment == nil }
        return assignmentsUnknown && committedOffsets.keys.contains { $0.topic == topic }
    }

    /// The state says the group has members ("Stable", rebalancing) but the broker listed none.
    public var membersHidden: Bool {
        members.isEmpty && Self.statesWithMembers.contains(state)
    }

    /// Whether the group touches `topic` at all: an assigned partition or a committed offset.
    public func touches(_ topic: String) -> Bool {
        committedOffsets.keys.contains { $0.topic == topic }
            || members.contains { $0.assignment?.contains { $0.topic == topic } ?? false }
    }

    /// Records of `topic` the group has not committed past: the sum over its committed
    /// partitions of HWM − committed offset (floored at 0), `highWatermarks` from one complete
    /// offsets read. Partitions without a commit have no lag to tell (Kafka's tools show "-")
    /// and are left out; nil when no committed partition of `topic` has a high watermark.
    public func lag(of topic: String, highWatermarks: [TopicPartition: Int64]) -> Int64? {
        var total: Int64?
        for (partition, committed) in committedOffsets where partition.topic == topic {
            guard let hwm = highWatermarks[partition] else { continue }
            total = (total ?? 0) + max(0, hwm - committed)
        }
        return total
    }
}

/// One member of a group.
public struct ConsumerGroupMember: Sendable, Equatable {
    public var memberId: String
    /// The static membership id (KIP-345), when the member has one.
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    /// The partitions assigned to it; nil when the assignment bytes are not the consumer
    /// protocol (the group's protocol type is not "consumer", the bytes do not decode, or
    /// there are none: not yet assigned, or a broker that does not tell, as Tansu).
    public var assignment: [TopicPartition]?

    public init(memberId: String, groupInstanceId: String? = nil, clientId: String, clientHost: String,
                assignment: [TopicPartition]?) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.assignment = assignment
    }
}

/// Why part of a consumer groups read is missing. Each case names the broker, coordinator
/// and group it concerns.
public enum ConsumerGroupFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broker list could not be read: no broker was asked for its groups.
    case metadata(KafkaClientError)
    /// A broker did not answer ListGroups: the groups it coordinates are unknown.
    case listGroups(broker: BrokerAddress, KafkaClientError)
    /// A broker answered ListGroups with an error code (COORDINATOR_LOAD_IN_PROGRESS, …).
    case listGroupsRefused(broker: BrokerAddress, code: KafkaErrorCode)
    /// FindCoordinator for the group did not get an answer from `broker`.
    case findCoordinator(group: String, broker: BrokerAddress, KafkaClientError)
    /// `broker` answered FindCoordinator for the group with an error code.
    case coordinatorNotFound(group: String, broker: BrokerAddress, code: KafkaErrorCode)
    /// The group's coordinator did not answer `api` (DescribeGroups or OffsetFetch).
    case coordinatorUnreachable(group: String, coordinator: BrokerAddress, api: APIKey, KafkaClientError)
    /// The coordinator answered `api` for the group with an error code (NOT_COORDINATOR after
    /// the one re-find, COORDINATOR_LOAD_IN_PROGRESS, GROUP_AUTHORIZATION_FAILED, …).
    case groupRefused(group: String, coordinator: BrokerAddress, api: APIKey, code: KafkaErrorCode)
    /// The coordinator answered OffsetFetch with an error code for one partition.
    case committedOffsetRefused(group: String, coordinator: BrokerAddress, partition: TopicPartition, code: KafkaErrorCode)
    /// The coordinator's answer to `api` left the group (or one of its partitions) out.
    case missingFromAnswer(group: String, coordinator: BrokerAddress, api: APIKey)
    /// A member of a "consumer" protocol group whose assignment bytes do not decode: what it
    /// reads is unknown.
    case undecodableAssignment(group: String, member: String, ConsumerProtocolError)

    /// The group the failure concerns; nil when it concerns a broker's whole list.
    public var group: String? {
        switch self {
        case .metadata, .listGroups, .listGroupsRefused: nil
        case .findCoordinator(let group, _, _), .coordinatorNotFound(let group, _, _),
             .coordinatorUnreachable(let group, _, _, _), .groupRefused(let group, _, _, _),
             .committedOffsetRefused(let group, _, _, _), .missingFromAnswer(let group, _, _),
             .undecodableAssignment(let group, _, _):
            group
        }
    }

    public var description: String {
        switch self {
        case .metadata(let error): "cannot read the broker list: \(error)"
        case .listGroups(let broker, let error): "ListGroups on \(broker) failed: \(error)"
        case .listGroupsRefused(let broker, let code): "\(broker) answered ListGroups with \(code)"
        case .findCoordinator(let group, let broker, let error): "group \(group): FindCoordinator on \(broker) failed: \(error)"
        case .coordinatorNotFound(let group, let broker, let code): "group \(group): \(broker) answered FindCoordinator with \(code)"
        case .coordinatorUnreachable(let group, let coordinator, let api, let error):
            "group \(group): coordinator \(coordinator) did not answer \(api): \(error)"
        case .groupRefused(let group, let coordinator, let api, let code):
            "group \(group): coordinator \(coordinator) answered \(api) with \(code)"
        case .committedOffsetRefused(let group, let coordinator, let partition, let code):
            "group \(group): coordinator \(coordinator) answered OffsetFetch for \(partition) with \(code)"
        case .missingFromAnswer(let group, let coordinator, let api): "group \(group): coordinator \(coordinator) left it out of its \(api) answer"
        case .undecodableAssignment(let group, let member, let error): "group \(group), member \(member): \(error)"
        }
    }
}
