/// `KafkaCluster.readConsumerGroups` against three fake brokers, each coordinating some of the
/// groups, with members carrying kafka-python's consumer protocol assignments: the groups that
/// touch the watched topics, their members and committed offsets; batched and one-per-group
/// requests by version; and each way the read falls short (a broker without its group list, a
/// coordinator that never answers, NOT_COORDINATOR re-found once, COORDINATOR_LOAD_IN_PROGRESS,
/// undecodable assignments), each named and making the read incomplete.
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import SourceWatcher
import SourceWatcherTestSupport

@Suite struct ConsumerGroupsPollTests {
    /// Long enough that a loaded machine (the whole suite runs in parallel) never times out a
    /// broker that answers; only the scripted hangs run it out.
    static let timeout = Duration.seconds(2)
    static let settings = ConnectionSettings(connectTimeout: .milliseconds(500), requestTimeout: timeout)
    static let watched = ["orders", "audit"]

    private static func tp(_ topic: String, _ partition: Int32) -> TopicPartition {
        TopicPartition(topic: topic, partition: partition)
    }

    private static func member(_ id: String, assignment: String, instance: String? = nil, host: String = "/10.0.0.7") throws -> DescribeGroupsResponse.DescribedGroupMember {
        .init(memberId: id, groupInstanceId: instance, clientId: "\(id)-client", clientHost: host,
              memberAssignment: try ConsumerProtocolFixtures.bytes(assignment))
    }

    /// Three brokers. orders (4 partitions) and audit (2) are watched, other (2) is not.
    /// Broker 1 coordinates billing (two members splitting orders and audit, commits on both)
    /// and streams (one member with Streams user data, no commits); broker 2 coordinates
    /// reports (a member reading only other, stale commits on orders) and archiver (Empty,
    /// commits on orders); broker 3 coordinates connect-sink (protocol "connect", commits on
    /// orders) and unrelated (reads other only).
    private func withCluster(
        advertised: [APIKey: ClosedRange<Int16>] = FakeKafkaBroker.advertisedWithGroups,
        _ body: (FakeKafkaCluster, KafkaCluster) async throws -> Void
    ) async throws {
        let fake = try await FakeKafkaCluster.start(brokerCount: 3)
        for broker in fake.brokers { broker.advertised = advertised }
        fake.layout.addTopic("orders", leaders: [1, 2, 3, 1], latest: [100, 200, 300, 400])
        fake.layout.addTopic("audit", leaders: [2, 3], latest: [10, 20])
        fake.layout.addTopic("other", leaders: [3, 1])
        fake.layout.addGroup("billing", FakeGroup(
            coordinator: 1,
            members: [try Self.member("billing-a", assignment: "billing-1", instance: "billing-host-a", host: "/10.0.0.1"),
                      try Self.member("billing-b", assignment: "billing-2", host: "/10.0.0.2")],
            committedOffsets: [Self.tp("orders", 0): 40, Self.tp("orders", 1): 150, Self.tp("orders", 2): 300,
                               Self.tp("orders", 3): 390, Self.tp("audit", 0): 10, Self.tp("other", 0): 5]))
        fake.layout.addGroup("streams", FakeGroup(coordinator: 1, members: [try Self.member("streams-a", assignment: "streams-1")]))
        fake.layout.addGroup("reports", FakeGroup(
            coordinator: 2, members: [try Self.member("reports-a", assignment: "reports-1")],
            committedOffsets: [Self.tp("orders", 0): 12, Self.tp("other", 1): 3]))
        fake.layout.addGroup("archiver", FakeGroup(coordinator: 2, state: "Empty", committedOffsets: [Self.tp("orders", 2): 99]))
        fake.layout.addGroup("connect-sink", FakeGroup(
            coordinator: 3, protocolType: "connect",
            // Connect's own assignment format: not the consumer protocol, and not decoded.
            members: [.init(memberId: "worker-1", clientId: "connect-1", clientHost: "/10.0.0.9", memberAssignment: [0, 1, 0xFF, 7])],
            committedOffsets: [Self.tp("orders", 1): 7]))
        fake.layout.addGroup("unrelated", FakeGroup(coordinator: 3, members: [try Self.member("unrelated-a", assignment: "reports-1")]))
        // The test's clock: the read's deadline never runs out on a loaded machine; each
        // request's own timeout (real time) still applies.
        let cluster = KafkaCluster(name: "source", bootstrapBrokers: [fake.broker(1).address], settings: Self.settings,
                                   clock: ManualTimeSource())
        do {
            try await body(fake, cluster)
        } catch {
            await cluster.shutdown()
            await fake.stop()
            throw error
        }
        await cluster.shutdown()
        await fake.stop()
        for broker in fake.brokers { #expect(broker.problems.isEmpty, "broker \(broker.nodeID)") }
    }

    @Test func groupsTouchingTheWatchedTopicsAreReadFromTheirCoordinators() async throws {
        try await withCluster { fake, cluster in
            let read = await cluster.readConsumerGroups(of: Self.watched)
            #expect(read.isComplete, "\(read.failures)")
            #expect(read.cluster == "source")
            #expect(read.groups.map(\.groupId) == ["archiver", "billing", "connect-sink", "reports", "streams"])

            let billing = try #require(read.group("billing"))
            #expect(billing.state == "Stable")
            #expect(billing.protocolType == "consumer")
            #expect(billing.coordinator == fake.broker(1).address)
            #expect(billing.members == [
                ConsumerGroupMember(memberId: "billing-a", groupInstanceId: "billing-host-a", clientId: "billing-a-client",
                                    clientHost: "/10.0.0.1",
                                    assignment: [Self.tp("orders", 0), Self.tp("orders", 2), Self.tp("audit", 1)]),
                ConsumerGroupMember(memberId: "billing-b", clientId: "billing-b-client", clientHost: "/10.0.0.2",
                                    assignment: [Self.tp("orders", 1), Self.tp("orders", 3), Self.tp("audit", 0)]),
            ])
            // Only the watched topics' commits; audit/1 has none and is left out.
            #expect(billing.committedOffsets == [Self.tp("orders", 0): 40, Self.tp("orders", 1): 150, Self.tp("orders", 2): 300,
                                                 Self.tp("orders", 3): 390, Self.tp("audit", 0): 10])
            #expect(billing.assignedPartitions(of: "orders") == (0...3).map { Self.tp("orders", $0) })
            #expect(billing.hasMembersReading("orders"))
            #expect(billing.hasMembersReading("audit"))
            let hwms: [TopicPartition: Int64] = [Self.tp("orders", 0): 100, Self.tp("orders", 1): 200,
                                                 Self.tp("orders", 2): 300, Self.tp("orders", 3): 400]
            let lag: Int64? = billing.lag(of: "orders", highWatermarks: hwms)
            #expect(lag == 120)  // 60 + 50 + 0 + 10
            #expect(billing.lag(of: "audit", highWatermarks: hwms) == nil)

            let streams = try #require(read.group("streams"))
            #expect(streams.committedOffsets.isEmpty)
            #expect(streams.hasMembersReading("orders"))
            #expect(!streams.hasMembersReading("audit"))

            // Members, but none assigned orders: its old commits do not make it a reader.
            let reports = try #require(read.group("reports"))
            #expect(reports.coordinator == fake.broker(2).address)
            #expect(reports.members.first?.assignment == [Self.tp("other", 0), Self.tp("other", 1)])
            #expect(reports.committedOffsets == [Self.tp("orders", 0): 12])
            #expect(!reports.hasMembersReading("orders"))

            let archiver = try #require(read.group("archiver"))
            #expect(archiver.state == "Empty")
            #expect(archiver.members.isEmpty)
            #expect(!archiver.hasMembersReading("orders"))

            // Not the consumer protocol: assignment unknown, commits on orders: a reader.
            let connect = try #require(read.group("connect-sink"))
            #expect(connect.protocolType == "connect")
            #expect(connect.members.map(\.assignment) == [nil])
            #expect(connect.hasMembersReading("orders"))
            #expect(!connect.hasMembersReading("audit"))

            #expect(read.groupsReading("orders").map(\.groupId) == ["billing", "connect-sink", "streams"])

            // One ListGroups per broker; FindCoordinator batched (v4) at the broker that listed
            // the groups; one DescribeGroups and one OffsetFetch (v8+) per coordinator.
            let expected: [Int32: [String]] = [1: ["billing", "streams"], 2: ["archiver", "reports"], 3: ["connect-sink", "unrelated"]]
            for broker in fake.brokers {
                let groups = try #require(expected[broker.nodeID])
                #expect(broker.received(.listGroups).count == 1)
                let finds = broker.received(.findCoordinator)
                #expect(finds.count == 1)
                #expect(finds.first?.version == 4)
                #expect(finds.first?.coordinatorKeys == groups)
                #expect(broker.received(.describeGroups).map { $0.describeGroups?.groups ?? [] } == [groups])
                let fetches = broker.received(.offsetFetch)
                #expect(fetches.map(\.offsetFetchGroups) == [groups])
                #expect(fetches.first?.version == 9)
                let asked = fetches.first?.offsetFetch?.groups.first?.topics?.map(\.name)
                #expect(asked == ["audit", "orders"])
            }
        }
    }

    @Test func olderBrokersGetOneFindCoordinatorAndOneOffsetFetchPerGroup() async throws {
        var older = FakeKafkaBroker.advertisedWithGroups
        older[.findCoordinator] = 0...3
        older[.offsetFetch] = 0...7
        older[.describeGroups] = 0...3
        try await withCluster(advertised: older) { fake, cluster in
            let read = await cluster.readConsumerGroups(of: Self.watched)
            #expect(read.isComplete, "\(read.failures)")
            #expect(read.groups.map(\.groupId) == ["archiver", "billing", "connect-sink", "reports", "streams"])
            // DescribeGroups v3 carries no group instance id.
            #expect(read.group("billing")?.members.map(\.groupInstanceId) == [nil, nil])
            #expect(read.group("billing")?.committedOffsets[Self.tp("orders", 3)] == 390)
            let broker = fake.broker(2)
            #expect(broker.received(.findCoordinator).map(\.coordinatorKeys).sorted { $0[0] < $1[0] } == [["archiver"], ["reports"]])
            #expect(broker.received(.findCoordinator).allSatisfy { $0.version == 3 })
            #expect(broker.received(.offsetFetch).map(\.offsetFetchGroups).sorted { $0[0] < $1[0] } == [["archiver"], ["reports"]])
            #expect(broker.received(.offsetFetch).allSatisfy { $0.version == 7 })
        }
    }

    @Test func aBrokerThatDoesNotListItsGroupsMakesTheReadIncomplete() async throws {
        try await withCluster { fake, cluster in
            let broken = fake.broker(3)
            broken.script(.listGroups) { _, _ in .close }
            let read = await cluster.readConsumerGroups(of: Self.watched)
            #expect(!read.isComplete)
            #expect(read.failures == [.listGroups(broker: broken.address, .connectionClosed(broker: broken.address))])
            #expect(read.failures.first?.group == nil)
            // The other brokers' groups are still read; broker 3's are unknown.
            #expect(read.groups.map(\.groupId) == ["archiver", "billing", "reports", "streams"])
        }
    }

    @Test func aBrokerRefusingListGroupsIsNamedWithItsCode() async throws {
        try await withCluster { fake, cluster in
            let loading = fake.broker(2)
            loading.script(.listGroups) { _, _ in
                .response(ListGroupsResponse(errorCode: KafkaErrorCode.coordinatorLoadInProgress.rawValue))
            }
            let read = await cluster.readConsumerGroups(of: Self.watched)
            #expect(read.failures == [.listGroupsRefused(broker: loading.address, code: .coordinatorLoadInProgress)])
            #expect(read.group("reports") == nil)
        }
    }

    @Test func aCoordinatorThatNeverAnswersFailsItsGroupsWithinTheDeadline() async throws {
        try await withCluster { fake, cluster in
            let hung = fake.broker(2)
            hung.script(.describeGroups) { _, _ in .hang }
            let clock = ContinuousClock()
            let started = clock.now
            let read = await cluster.readConsumerGroups(of: Self.watched)
            // Not a hang (the read's deadline ended it); no tighter bound: tests do not assert on timing.
            #expect(clock.now - started < .seconds(20))
            let timedOut = KafkaClientError.requestTimedOut(broker: hung.address, api: .describeGroups, timeout: Self.timeout)
            #expect(read.failures == [
                .coordinatorUnreachable(group: "archiver", coordinator: hung.address, api: .describeGroups, timedOut),
                .coordinatorUnreachable(group: "reports", coordinator: hung.address, api: .describeGroups, timedOut),
            ])
            #expect(read.groups.map(\.groupId) == ["billing", "connect-sink", "streams"])
            // A timeout is not re-found: the deadline is spent by then.
            #expect(hung.received(.describeGroups).count == 1)
        }
    }

    @Test func aShortDeadlineBoundsTheWholeRead() async throws {
        try await withCluster { fake, cluster in
            fake.broker(1).script(.offsetFetch) { _, _ in .hang }
            let deadline = ReadDeadline(startedAt: cluster.clock.monotonicNow(), budget: .milliseconds(800))
            let read = await cluster.readConsumerGroups(of: Self.watched, deadline: deadline)
            let timedOut = KafkaClientError.requestTimedOut(broker: fake.broker(1).address, api: .offsetFetch, timeout: .milliseconds(800))
            #expect(read.failures == [
                .coordinatorUnreachable(group: "billing", coordinator: fake.broker(1).address, api: .offsetFetch, timedOut),
                .coordinatorUnreachable(group: "streams", coordinator: fake.broker(1).address, api: .offsetFetch, timedOut),
            ])
            // Described, so its members are reported, but without its commits the read is incomplete.
            #expect(read.group("billing")?.committedOffsets == [:])
            #expect(read.group("billing")?.members.count == 2)
        }
    }

    @Test func aGroupThatMovedIsFoundAgainOnceAndReadAtItsNewCoordinator() async throws {
        try await withCluster { fake, cluster in
            let old = fake.broker(1)
            // Broker 1 still names itself coordinator of billing, and then the group moves to 2.
            old.script(.findCoordinator) { [old, layout = fake.layout] header, body in
                let reply = old.defaultReply(header: header, body: body)
                layout.changeGroup("billing") { $0.coordinator = 2 }
                return reply
            }
            let read = await cluster.readConsumerGroups(of: Self.watched)
            #expect(read.isComplete, "\(read.failures)")
            let billing = try #require(read.group("billing"))
            #expect(billing.coordinator == fake.broker(2).address)
            #expect(billing.members.count == 2)
            #expect(billing.committedOffsets[Self.tp("orders", 1)] == 150)
            // Round 1 at broker 1 answered NOT_COORDINATOR; the re-find asked another broker.
            #expect(old.received(.describeGroups).count == 1)
            let refinds = fake.brokers.filter { $0.nodeID != 1 }.flatMap { $0.received(.findCoordinator) }
            #expect(refinds.filter { $0.coordinatorKeys == ["billing"] }.count == 1)
            #expect(fake.broker(2).received(.describeGroups).contains { $0.describeGroups?.groups == ["billing"] })
        }
    }

    @Test func aCoordinatorThatDroppedTheConnectionIsFoundAndAskedAgainOnce() async throws {
        try await withCluster { fake, cluster in
            let flaky = fake.broker(1)
            let dropped = NIOLockedValueBox(0)
            flaky.script(.describeGroups) { [flaky] header, body in
                let first = dropped.withLockedValue { count in
                    count += 1
                    return count == 1
                }
                return first ? .close : flaky.defaultReply(header: header, body: body)
            }
            let read = await cluster.readConsumerGroups(of: Self.watched)
            #expect(read.isComplete, "\(read.failures)")
            #expect(read.group("billing")?.members.count == 2)
            #expect(read.group("billing")?.committedOffsets[Self.tp("orders", 0)] == 40)
            #expect(read.group("streams") != nil)
            #expect(flaky.received(.describeGroups).count == 2)
        }
    }

    @Test func noReFindOnceTheDeadlineIsSpent() async throws {
        try await withCluster { fake, cluster in
            let clock = try #require(cluster.clock as? ManualTimeSource)
            let broker = fake.broker(1)
            // The coordinator drops the connection just as the read's time runs out.
            broker.script(.describeGroups) { _, _ in
                clock.advance(by: .seconds(10))
                return .close
            }
            let read = await cluster.readConsumerGroups(of: Self.watched)
            let closed = KafkaClientError.connectionClosed(broker: broker.address)
            let describeFailures = read.failures.filter {
                if case .coordinatorUnreachable(_, _, .describeGroups, _) = $0 { true } else { false }
            }
            #expect(describeFailures == [
                .coordinatorUnreachable(group: "billing", coordinator: broker.address, api: .describeGroups, closed),
                .coordinatorUnreachable(group: "streams", coordinator: broker.address, api: .describeGroups, closed),
            ])
            #expect(broker.received(.describeGroups).count == 1)
            let finds = fake.brokers.flatMap { $0.received(.findCoordinator) }.filter { $0.coordinatorKeys.contains("billing") }
            #expect(finds.count == 1)
        }
    }

    @Test func aMetadataAnswerWithoutBrokersIsNotAnEmptyCluster() async throws {
        try await withCluster { fake, cluster in
            fake.broker(1).script(.metadata) { _, _ in .response(MetadataResponse(brokers: [], clusterId: "fake-cluster", topics: [])) }
            let read = await cluster.readConsumerGroups(of: Self.watched)
            #expect(read.groups.isEmpty)
            #expect(read.failures == [.metadata(.noBrokerAvailable(cluster: "source", lastError: "the metadata answer lists no brokers"))])
            #expect(!read.isComplete)
        }
    }

    @Test func notCoordinatorAfterTheOneReFindIsAFailure() async throws {
        try await withCluster { fake, cluster in
            fake.layout.changeGroup("billing") { $0.describeError = .notCoordinator }
            let read = await cluster.readConsumerGroups(of: Self.watched)
            let coordinator = fake.broker(1).address
            #expect(read.failures == [.groupRefused(group: "billing", coordinator: coordinator, api: .describeGroups, code: .notCoordinator)])
            #expect(read.group("billing") == nil)
            // Exactly one re-find: two DescribeGroups for billing, no more.
            let describes = fake.brokers.flatMap { $0.received(.describeGroups) }.filter { $0.describeGroups?.groups.contains("billing") == true }
            #expect(describes.count == 2)
        }
    }

    @Test func coordinatorLoadInProgressIsNamedPerGroupAndApi() async throws {
        try await withCluster { fake, cluster in
            fake.layout.changeGroup("reports") { $0.describeError = .coordinatorLoadInProgress }
            fake.layout.changeGroup("billing") { $0.offsetFetchError = .coordinatorLoadInProgress }
            let read = await cluster.readConsumerGroups(of: Self.watched)
            #expect(read.failures == [
                .groupRefused(group: "billing", coordinator: fake.broker(1).address, api: .offsetFetch, code: .coordinatorLoadInProgress),
                .groupRefused(group: "reports", coordinator: fake.broker(2).address, api: .describeGroups, code: .coordinatorLoadInProgress),
            ])
            #expect(read.failures.map(\.group) == ["billing", "reports"])
            // Not a routing error: no re-find.
            #expect(fake.broker(2).received(.describeGroups).count == 1)
            #expect(read.group("archiver") != nil)
        }
    }

    @Test func aCoordinatorThatCannotBeFoundIsNamed() async throws {
        try await withCluster { fake, cluster in
            let broker = fake.broker(3)
            broker.script(.findCoordinator) { header, body in
                var body = body
                guard let request = try? FindCoordinatorRequest(from: &body, version: header.apiVersion) else { return .close }
                return .response(FindCoordinatorResponse(errorMessage: nil, coordinators: request.coordinatorKeys.map {
                    .init(key: $0, nodeId: -1, host: "", port: -1, errorCode: KafkaErrorCode.coordinatorNotAvailable.rawValue, errorMessage: nil)
                }))
            }
            let read = await cluster.readConsumerGroups(of: Self.watched)
            #expect(read.failures == [
                .coordinatorNotFound(group: "connect-sink", broker: broker.address, code: .coordinatorNotAvailable),
                .coordinatorNotFound(group: "unrelated", broker: broker.address, code: .coordinatorNotAvailable),
            ])
            #expect(read.group("connect-sink") == nil)
        }
    }

    @Test func undecodableConsumerAssignmentsAreNamedAndTheMemberKept() async throws {
        try await withCluster { fake, cluster in
            var garbage = try ConsumerProtocolFixtures.bytes("billing-2")
            garbage.removeLast(3)
            fake.layout.changeGroup("billing") { $0.members[1].memberAssignment = garbage }
            let read = await cluster.readConsumerGroups(of: Self.watched)
            #expect(read.failures.count == 1)
            guard case .undecodableAssignment(let group, let member, .codec)? = read.failures.first else {
                Issue.record("expected an undecodable assignment, got \(read.failures)")
                return
            }
            #expect(group == "billing")
            #expect(member == "billing-b")
            let billing = try #require(read.group("billing"))
            #expect(billing.members.map(\.memberId) == ["billing-a", "billing-b"])
            #expect(billing.members[1].assignment == nil)
            // Unknown assignment with commits on audit: conservatively a reader of audit.
            #expect(billing.hasMembersReading("audit"))
        }
    }

    @Test func noReachableBrokerIsAMetadataFailure() async throws {
        try await withCluster { fake, cluster in
            await fake.stop()
            let read = await cluster.readConsumerGroups(of: Self.watched)
            #expect(read.groups.isEmpty)
            guard case .metadata? = read.failures.first, read.failures.count == 1 else {
                Issue.record("expected one metadata failure, got \(read.failures)")
                return
            }
        }
    }
}
