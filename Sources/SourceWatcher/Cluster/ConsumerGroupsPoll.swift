/// The consumer groups read (issue 11): which groups still consume the watched topics from a
/// cluster. ListGroups on every broker of the metadata, FindCoordinator for the groups each
/// broker listed, then per coordinator DescribeGroups and OffsetFetch (`CoordinatorRead.swift`),
/// all brokers and coordinators at once, all within one `ReadDeadline`. Groups whose
/// coordinator disowned them or went away are found and read once more. The read is complete
/// only when every broker listed its groups and every group's coordinator answered for it;
/// each gap is a named `ConsumerGroupFailure`.
import struct Foundation.Date

extension KafkaCluster {
    /// Every consumer group that has members assigned to, or committed offsets on, any of `topics`.
    public func readConsumerGroups(of topics: [String], deadline: ReadDeadline? = nil) async -> ConsumerGroupsRead {
        let deadline = deadline ?? newReadDeadline()
        let started = clock.monotonicNow()
        var read = ConsumerGroupsRead(cluster: name, readAt: clock.wallNow())
        let metadata: ClusterMetadata
        do {
            metadata = try await metadataForRead(covering: topics, deadline: deadline).metadata
        } catch {
            read.failures = [.metadata(error)]
            read.duration = clock.monotonicNow() - started
            return read
        }
        // No broker asked is no group seen, not "no groups".
        guard !metadata.brokers.isEmpty else {
            read.failures = [.metadata(.noBrokerAvailable(cluster: name, lastError: "the metadata answer lists no brokers"))]
            read.duration = clock.monotonicNow() - started
            return read
        }
        let watchedTopics = Array(Set(topics)).sorted()
        // Topics missing on the cluster have no partitions to commit to; the offsets read
        // reports them.
        let partitions = watchedTopics.flatMap { metadata.partitions(of: $0) ?? [] }

        let (listed, listFailures) = await listGroupsEverywhere(metadata.brokers.values, deadline: deadline)
        var failures = listFailures
        var groups: [ConsumerGroup] = []

        // Round 1 finds each group through the broker that listed it; round 2 re-finds the ones
        // whose coordinator disowned them, through a broker that is not that coordinator.
        let answeringBrokers = Array(Set(listed.map(\.listedBy))).sorted(by: Self.brokerOrder)
        var pending = Dictionary(listed.map { ($0.groupId, $0.listedBy) }, uniquingKeysWith: { first, _ in first })
        for round in 1...2 where !pending.isEmpty {
            let outcome = await locateAndRead(pending, partitions: partitions, deadline: deadline)
            var retry: [String: BrokerAddress] = [:]
            for (group, result) in outcome {
                switch result {
                case .failure(let failure):
                    failures.append(failure)
                case .success((let coordinator, let answer)):
                    // Only while time is left: with the deadline spent the re-find could only
                    // time out, and its failure would hide the coordinator's.
                    if round == 1, answer.callsForRefind, deadline.remaining(at: clock.monotonicNow()) > .zero {
                        let asked = pending[group] ?? coordinator
                        retry[group] = answeringBrokers.first { $0 != coordinator } ?? asked
                        continue
                    }
                    failures += answer.failures
                    guard let described = answer.described else { continue }
                    let (group, assignmentFailures) = Self.consumerGroup(described, coordinator: coordinator,
                                                                         committedOffsets: answer.committedOffsets)
                    failures += assignmentFailures
                    if watchedTopics.contains(where: group.touches) { groups.append(group) }
                }
            }
            pending = retry
        }

        read.groups = groups.sorted { $0.groupId < $1.groupId }
        read.failures = Self.ordered(failures)
        read.duration = clock.monotonicNow() - started
        return read
    }

    /// ListGroups on every broker at once: the groups (first lister wins, by broker order) and
    /// the brokers that did not list theirs.
    private func listGroupsEverywhere(_ brokers: some Collection<BrokerAddress>, deadline: ReadDeadline) async -> ([ListedGroup], [ConsumerGroupFailure]) {
        let answers = await withTaskGroup(of: (BrokerAddress, Result<[ListedGroup], ConsumerGroupFailure>).self) { tasks in
            for broker in Set(brokers) {
                tasks.addTask { (broker, await self.listGroups(at: broker, deadline: deadline)) }
            }
            var answers: [(BrokerAddress, Result<[ListedGroup], ConsumerGroupFailure>)] = []
            for await answer in tasks { answers.append(answer) }
            return answers.sorted { Self.brokerOrder($0.0, $1.0) }
        }
        var listed: [ListedGroup] = []
        var seen = Set<String>()
        var failures: [ConsumerGroupFailure] = []
        for (_, result) in answers {
            switch result {
            case .success(let groups):
                for group in groups where seen.insert(group.groupId).inserted { listed.append(group) }
            case .failure(let failure):
                failures.append(failure)
            }
        }
        return (listed, failures)
    }

    /// Finds the coordinator of each group (asking the broker given for it), then reads the
    /// groups at their coordinators, every broker and coordinator at once.
    private func locateAndRead(_ groups: [String: BrokerAddress], partitions: [TopicPartition],
                               deadline: ReadDeadline) async -> [String: Result<(BrokerAddress, CoordinatorGroupAnswer), ConsumerGroupFailure>] {
        var byAskedBroker: [BrokerAddress: [String]] = [:]
        for (group, broker) in groups { byAskedBroker[broker, default: []].append(group) }
        let located = await withTaskGroup(of: [String: Result<BrokerAddress, ConsumerGroupFailure>].self) { tasks in
            for (broker, groups) in byAskedBroker {
                tasks.addTask { await self.findCoordinators(of: groups.sorted(), asking: broker, deadline: deadline) }
            }
            var located: [String: Result<BrokerAddress, ConsumerGroupFailure>] = [:]
            for await found in tasks { located.merge(found) { first, _ in first } }
            return located
        }

        var results: [String: Result<(BrokerAddress, CoordinatorGroupAnswer), ConsumerGroupFailure>] = [:]
        var byCoordinator: [BrokerAddress: [String]] = [:]
        for (group, found) in located {
            switch found {
            case .success(let coordinator): byCoordinator[coordinator, default: []].append(group)
            case .failure(let failure): results[group] = .failure(failure)
            }
        }
        let answers = await withTaskGroup(of: (BrokerAddress, [String: CoordinatorGroupAnswer]).self) { tasks in
            for (coordinator, groups) in byCoordinator {
                tasks.addTask {
                    (coordinator, await self.readGroups(groups.sorted(), at: coordinator, partitions: partitions, deadline: deadline))
                }
            }
            var answers: [(BrokerAddress, [String: CoordinatorGroupAnswer])] = []
            for await answer in tasks { answers.append(answer) }
            return answers
        }
        for (coordinator, perGroup) in answers {
            for (group, answer) in perGroup { results[group] = .success((coordinator, answer)) }
        }
        return results
    }

    /// The group as the audit sees it, with the members of a "consumer" group whose assignment
    /// bytes do not decode named as failures.
    static func consumerGroup(_ described: DescribeGroupsResponse.DescribedGroup, coordinator: BrokerAddress,
                              committedOffsets: [TopicPartition: Int64]) -> (ConsumerGroup, [ConsumerGroupFailure]) {
        var failures: [ConsumerGroupFailure] = []
        let members = described.members.map { member -> ConsumerGroupMember in
            var assignment: [TopicPartition]?
            if described.protocolType == "consumer" {
                if member.memberAssignment.isEmpty {
                    // No assignment bytes at all: a leader's assignment always has at least its
                    // version, so the member has not been handed one (rebalancing), or the
                    // broker does not say (Tansu: Stable, members with no bytes). Unknown.
                    assignment = nil
                } else {
                    do throws(ConsumerProtocolError) {
                        assignment = try ConsumerProtocolAssignment(decoding: member.memberAssignment).partitions
                    } catch {
                        failures.append(.undecodableAssignment(group: described.groupId, member: member.memberId, error))
                    }
                }
            }
            return ConsumerGroupMember(memberId: member.memberId, groupInstanceId: member.groupInstanceId,
                                       clientId: member.clientId, clientHost: member.clientHost, assignment: assignment)
        }
        let group = ConsumerGroup(groupId: described.groupId, state: described.groupState, protocolType: described.protocolType,
                                  coordinator: coordinator, members: members.sorted { $0.memberId < $1.memberId },
                                  committedOffsets: committedOffsets)
        return (group, failures)
    }

    /// Broker-wide failures first (by broker), then per group (by group id), each in a stable order.
    private static func ordered(_ failures: [ConsumerGroupFailure]) -> [ConsumerGroupFailure] {
        failures.enumerated().sorted { lhs, rhs in
            switch (lhs.element.group, rhs.element.group) {
            case (nil, nil): lhs.element.description < rhs.element.description
            case (nil, _): true
            case (_, nil): false
            case (let left?, let right?):
                left != right ? left < right : lhs.element.description < rhs.element.description
            }
        }.map(\.element)
    }

    static func brokerOrder(_ lhs: BrokerAddress, _ rhs: BrokerAddress) -> Bool {
        (lhs.host, lhs.port) < (rhs.host, rhs.port)
    }
}
