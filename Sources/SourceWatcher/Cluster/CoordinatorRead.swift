/// One coordinator's part of a consumer groups read: DescribeGroups for all the groups it
/// coordinates in one request, and OffsetFetch for their committed offsets on the watched
/// partitions (all groups in one request from v8, one request per group before), both at once
/// and within the read's deadline. Answers that say the group lives elsewhere (NOT_COORDINATOR,
/// COORDINATOR_NOT_AVAILABLE, the coordinator gone) are marked for one re-find.

/// What one coordinator said about one group.
struct CoordinatorGroupAnswer: Sendable {
    var described: DescribeGroupsResponse.DescribedGroup?
    /// Committed offsets ≥ 0 of the watched partitions (−1 means no commit and is left out).
    var committedOffsets: [TopicPartition: Int64] = [:]
    var failures: [ConsumerGroupFailure] = []
    /// The coordinator disowned the group or went away: finding it again may cure this.
    var callsForRefind = false
}

/// OffsetFetch v10 names topics by id only; exporterd knows them by name.
private let offsetFetchVersionCap: Int16 = 9

extension KafkaCluster {
    /// DescribeGroups and OffsetFetch for `groups` at `coordinator`; `partitions` are the
    /// watched partitions (none: no OffsetFetch).
    func readGroups(_ groups: [String], at coordinator: BrokerAddress, partitions: [TopicPartition],
                    deadline: ReadDeadline) async -> [String: CoordinatorGroupAnswer] {
        async let described = describeGroups(groups, at: coordinator, deadline: deadline)
        async let committed = fetchCommittedOffsets(of: groups, at: coordinator, partitions: partitions, deadline: deadline)
        let (descriptions, offsets) = await (described, committed)
        var answers: [String: CoordinatorGroupAnswer] = [:]
        for group in groups {
            var answer = CoordinatorGroupAnswer()
            switch descriptions[group] {
            case .success(let description)?: answer.described = description
            case .failure(let failure)?: answer.note(failure)
            case nil: answer.note(.missingFromAnswer(group: group, coordinator: coordinator, api: .describeGroups))
            }
            if let offsets = offsets[group] {
                answer.committedOffsets = offsets.committed
                for failure in offsets.failures { answer.note(failure) }
            }
            answers[group] = answer
        }
        return answers
    }

    private func describeGroups(_ groups: [String], at coordinator: BrokerAddress,
                                deadline: ReadDeadline) async -> [String: Result<DescribeGroupsResponse.DescribedGroup, ConsumerGroupFailure>] {
        var results: [String: Result<DescribeGroupsResponse.DescribedGroup, ConsumerGroupFailure>] = [:]
        let response: DescribeGroupsResponse
        do {
            response = try await send(DescribeGroupsRequest(groups: groups, includeAuthorizedOperations: false),
                                      to: coordinator, deadline: deadline)
        } catch {
            for group in groups {
                results[group] = .failure(.coordinatorUnreachable(group: group, coordinator: coordinator, api: .describeGroups, error))
            }
            return results
        }
        let asked = Set(groups)
        for described in response.groups where asked.contains(described.groupId) {
            let code = KafkaErrorCode(described.errorCode)
            results[described.groupId] = code == .none
                ? .success(described)
                : .failure(.groupRefused(group: described.groupId, coordinator: coordinator, api: .describeGroups, code: code))
        }
        return results
    }

    /// Per group: its committed offsets and what failed.
    private func fetchCommittedOffsets(of groups: [String], at coordinator: BrokerAddress, partitions: [TopicPartition],
                                       deadline: ReadDeadline) async -> [String: (committed: [TopicPartition: Int64], failures: [ConsumerGroupFailure])] {
        guard !partitions.isEmpty, !groups.isEmpty else { return [:] }
        let version: Int16
        do {
            version = try await negotiatedVersion(OffsetFetchRequest.self, at: coordinator, cap: offsetFetchVersionCap, deadline: deadline)
        } catch {
            return Dictionary(groups.map {
                ($0, ([:], [.coordinatorUnreachable(group: $0, coordinator: coordinator, api: .offsetFetch, error)]))
            }, uniquingKeysWith: { first, _ in first })
        }
        var byTopic: [String: [Int32]] = [:]
        for partition in partitions { byTopic[partition.topic, default: []].append(partition.partition) }
        let topics = byTopic.sorted { $0.key < $1.key }

        if version >= 8 {
            let request = OffsetFetchRequest(groups: groups.map { group in
                .init(groupId: group, topics: topics.map { .init(name: $0.key, partitionIndexes: $0.value) })
            })
            do {
                let response = try await send(request, version: version, to: coordinator, deadline: deadline)
                var results: [String: (committed: [TopicPartition: Int64], failures: [ConsumerGroupFailure])] = [:]
                for answer in response.groups where results[answer.groupId] == nil && groups.contains(answer.groupId) {
                    let offsets = answer.topics.flatMap { topic in
                        topic.partitions.map { (TopicPartition(topic: topic.name, partition: $0.partitionIndex), $0.committedOffset, $0.errorCode) }
                    }
                    results[answer.groupId] = Self.committed(group: answer.groupId, coordinator: coordinator, groupCode: answer.errorCode,
                                                             offsets: offsets, asked: partitions)
                }
                for group in groups where results[group] == nil {
                    results[group] = ([:], [.missingFromAnswer(group: group, coordinator: coordinator, api: .offsetFetch)])
                }
                return results
            } catch {
                return Dictionary(groups.map {
                    ($0, ([:], [.coordinatorUnreachable(group: $0, coordinator: coordinator, api: .offsetFetch, error)]))
                }, uniquingKeysWith: { first, _ in first })
            }
        }
        return await withTaskGroup(of: (String, (committed: [TopicPartition: Int64], failures: [ConsumerGroupFailure])).self) { tasks in
            for group in groups {
                tasks.addTask {
                    let request = OffsetFetchRequest(groupId: group, topics: topics.map { .init(name: $0.key, partitionIndexes: $0.value) })
                    do throws(KafkaClientError) {
                        let response = try await self.send(request, version: version, to: coordinator, deadline: deadline)
                        let offsets = response.topics.flatMap { topic in
                            topic.partitions.map { (TopicPartition(topic: topic.name, partition: $0.partitionIndex), $0.committedOffset, $0.errorCode) }
                        }
                        return (group, Self.committed(group: group, coordinator: coordinator, groupCode: response.errorCode,
                                                      offsets: offsets, asked: partitions))
                    } catch {
                        return (group, ([:], [.coordinatorUnreachable(group: group, coordinator: coordinator, api: .offsetFetch, error)]))
                    }
                }
            }
            var results: [String: (committed: [TopicPartition: Int64], failures: [ConsumerGroupFailure])] = [:]
            for await (group, result) in tasks { results[group] = result }
            return results
        }
    }

    /// One group's OffsetFetch answer: the group-level code first; then per partition. Old
    /// versions put group-level codes on every partition, so those count for the group too.
    private static func committed(group: String, coordinator: BrokerAddress, groupCode: Int16,
                                  offsets: [(TopicPartition, Int64, Int16)], asked: [TopicPartition]) -> (committed: [TopicPartition: Int64], failures: [ConsumerGroupFailure]) {
        let code = KafkaErrorCode(groupCode)
        guard code == .none else {
            return ([:], [.groupRefused(group: group, coordinator: coordinator, api: .offsetFetch, code: code)])
        }
        var committed: [TopicPartition: Int64] = [:]
        var answered = Set<TopicPartition>()
        var failures: [ConsumerGroupFailure] = []
        let askedSet = Set(asked)
        for (partition, offset, rawCode) in offsets where askedSet.contains(partition) {
            answered.insert(partition)
            let code = KafkaErrorCode(rawCode)
            if code.isGroupLevel {
                let failure = ConsumerGroupFailure.groupRefused(group: group, coordinator: coordinator, api: .offsetFetch, code: code)
                if !failures.contains(failure) { failures.append(failure) }
            } else if code != .none {
                failures.append(.committedOffsetRefused(group: group, coordinator: coordinator, partition: partition, code: code))
            } else if offset >= 0 {
                committed[partition] = offset
            }
        }
        if answered.count < askedSet.count {
            failures.append(.missingFromAnswer(group: group, coordinator: coordinator, api: .offsetFetch))
        }
        return (committed, failures)
    }
}

extension CoordinatorGroupAnswer {
    mutating func note(_ failure: ConsumerGroupFailure) {
        failures.append(failure)
        if failure.callsForRefind { callsForRefind = true }
    }
}

extension ConsumerGroupFailure {
    /// The group may live on another broker now: NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, or
    /// the coordinator's connection gone (closed, refused, backing off). A timeout is not
    /// retried: the read's deadline is spent by then.
    var callsForRefind: Bool {
        switch self {
        case .groupRefused(_, _, _, let code): code == .notCoordinator || code == .coordinatorNotAvailable
        case .coordinatorUnreachable(_, _, _, .connectionClosed), .coordinatorUnreachable(_, _, _, .connectFailed),
             .coordinatorUnreachable(_, _, _, .backingOff):
            true
        default: false
        }
    }
}

extension KafkaErrorCode {
    /// Codes about the group, not the partition they are reported on.
    var isGroupLevel: Bool {
        [.coordinatorLoadInProgress, .coordinatorNotAvailable, .notCoordinator, .groupAuthorizationFailed].contains(self)
    }
}
