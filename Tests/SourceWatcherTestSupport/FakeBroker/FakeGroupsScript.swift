/// The fake broker's consumer groups: the groups of a `FakeClusterLayout` (coordinator, state,
/// members with their assignment bytes, committed offsets) and the default answers to
/// ListGroups, FindCoordinator, DescribeGroups and OffsetFetch from them, the way a Kafka
/// broker coordinating those groups would answer: a broker lists and describes only the
/// groups it coordinates and answers NOT_COORDINATOR for the others.
import SourceWatcher

/// One consumer group as the fake cluster holds it.
public struct FakeGroup: Sendable, Equatable {
    /// The broker id coordinating the group.
    public var coordinator: Int32
    public var state: String
    public var protocolType: String
    /// The members as DescribeGroups returns them (the wire type itself).
    public var members: [DescribeGroupsResponse.DescribedGroupMember]
    public var committedOffsets: [TopicPartition: Int64]
    /// Answered for the group in DescribeGroups instead of its description.
    public var describeError: KafkaErrorCode
    /// Answered for the group in OffsetFetch instead of its offsets.
    public var offsetFetchError: KafkaErrorCode

    public init(coordinator: Int32, state: String = "Stable", protocolType: String = "consumer",
                members: [DescribeGroupsResponse.DescribedGroupMember] = [], committedOffsets: [TopicPartition: Int64] = [:],
                describeError: KafkaErrorCode = .none, offsetFetchError: KafkaErrorCode = .none) {
        self.coordinator = coordinator
        self.state = state
        self.protocolType = protocolType
        self.members = members
        self.committedOffsets = committedOffsets
        self.describeError = describeError
        self.offsetFetchError = offsetFetchError
    }
}

extension FakeClusterLayout {
    public func addGroup(_ id: String, _ group: FakeGroup) {
        update { $0.groups[id] = group }
    }

    public func changeGroup(_ id: String, _ change: (inout FakeGroup) -> Void) {
        update { state in
            guard var group = state.groups[id] else { return }
            change(&group)
            state.groups[id] = group
        }
    }
}

extension FakeKafkaBroker {
    /// The group APIs at the versions a recent Kafka (3.7) advertises.
    public static let groupAPIs: [APIKey: ClosedRange<Int16>] = [
        .listGroups: 0...4, .findCoordinator: 0...4, .describeGroups: 0...5, .offsetFetch: 0...9,
    ]

    /// `defaultAdvertised` plus the group APIs.
    public static let advertisedWithGroups = defaultAdvertised.merging(groupAPIs) { _, group in group }

    public func listGroupsResponse(version: Int16) -> ListGroupsResponse {
        let groups = layout.snapshot.groups.filter { $0.value.coordinator == nodeID }.sorted { $0.key < $1.key }
        return ListGroupsResponse(groups: groups.map {
            .init(groupId: $0.key, protocolType: $0.value.protocolType,
                  groupState: version >= 4 ? $0.value.state : "", groupType: version >= 5 ? "classic" : "")
        })
    }

    /// The coordinator of each asked group; a group the layout does not hold is coordinated by
    /// the lowest broker id (every group id hashes to some coordinator in Kafka).
    public func findCoordinatorResponse(_ request: FindCoordinatorRequest, version: Int16) -> FindCoordinatorResponse {
        let layout = self.layout.snapshot
        func coordinator(of group: String) -> (id: Int32, port: Int32) {
            let id = layout.groups[group]?.coordinator ?? layout.brokers.keys.min() ?? nodeID
            return (id, Int32(layout.brokers[id] ?? 0))
        }
        if version >= 4 {
            return FindCoordinatorResponse(errorMessage: nil, coordinators: request.coordinatorKeys.map { key in
                let found = coordinator(of: key)
                return .init(key: key, nodeId: found.id, host: "127.0.0.1", port: found.port, errorMessage: nil)
            })
        }
        let found = coordinator(of: request.key)
        return FindCoordinatorResponse(errorMessage: nil, nodeId: found.id, host: "127.0.0.1", port: found.port)
    }

    public func describeGroupsResponse(_ request: DescribeGroupsRequest, version: Int16) -> DescribeGroupsResponse {
        let groups = layout.snapshot.groups
        return DescribeGroupsResponse(groups: request.groups.map { id in
            guard let group = groups[id] else {
                // Kafka describes a group it coordinates but does not know as Dead.
                return .init(groupId: id, groupState: "Dead")
            }
            guard group.coordinator == nodeID else {
                return .init(errorCode: KafkaErrorCode.notCoordinator.rawValue, groupId: id)
            }
            guard group.describeError == .none else {
                return .init(errorCode: group.describeError.rawValue, groupId: id)
            }
            let members = group.members.map { member in
                var member = member
                if version < 4 { member.groupInstanceId = nil }
                return member
            }
            return .init(groupId: id, groupState: group.state, protocolType: group.protocolType,
                         protocolData: group.members.isEmpty ? "" : "range", members: members)
        })
    }

    public func offsetFetchResponse(_ request: OffsetFetchRequest, version: Int16) -> OffsetFetchResponse {
        let groups = layout.snapshot.groups
        func code(of id: String) -> KafkaErrorCode {
            guard let group = groups[id] else { return .none }
            return group.coordinator != nodeID ? .notCoordinator : group.offsetFetchError
        }
        func offset(_ id: String, _ topic: String, _ partition: Int32) -> Int64 {
            groups[id]?.committedOffsets[TopicPartition(topic: topic, partition: partition)] ?? -1
        }
        if version >= 8 {
            return OffsetFetchResponse(groups: request.groups.map { asked in
                let error = code(of: asked.groupId)
                guard error == .none else { return .init(groupId: asked.groupId, errorCode: error.rawValue) }
                return .init(groupId: asked.groupId, topics: (asked.topics ?? []).map { topic in
                    .init(name: topic.name, partitions: topic.partitionIndexes.map {
                        .init(partitionIndex: $0, committedOffset: offset(asked.groupId, topic.name, $0), metadata: "")
                    })
                })
            })
        }
        let error = code(of: request.groupId)
        guard error == .none else { return OffsetFetchResponse(errorCode: version >= 2 ? error.rawValue : 0) }
        return OffsetFetchResponse(topics: (request.topics ?? []).map { topic in
            .init(name: topic.name, partitions: topic.partitionIndexes.map {
                .init(partitionIndex: $0, committedOffset: offset(request.groupId, topic.name, $0), metadata: "")
            })
        })
    }
}
