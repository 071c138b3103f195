/// `ConsumerGroup`'s answers for the audit, without a broker: who reads a topic (assigned,
/// or conservatively when assignments do not tell), lag from high watermarks, and how a
/// DescribeGroups answer becomes a group (empty assignment bytes, non-consumer protocols,
/// garbage bytes named).
import Testing
@testable import SourceWatcher

@Suite struct ConsumerGroupTests {
    static let coordinator = BrokerAddress(host: "10.0.0.1", port: 9092)

    private static func tp(_ topic: String, _ partition: Int32) -> TopicPartition {
        TopicPartition(topic: topic, partition: partition)
    }

    private static func member(_ id: String, _ assignment: [TopicPartition]?) -> ConsumerGroupMember {
        ConsumerGroupMember(memberId: id, clientId: "c-\(id)", clientHost: "/h", assignment: assignment)
    }

    @Test func aMemberAssignedAPartitionReadsTheTopic() {
        let group = ConsumerGroup(groupId: "g", state: "Stable", protocolType: "consumer", coordinator: Self.coordinator,
                                  members: [Self.member("a", [Self.tp("orders", 1)]), Self.member("b", [Self.tp("other", 0)])])
        #expect(group.hasMembersReading("orders"))
        #expect(group.hasMembersReading("other"))
        #expect(!group.hasMembersReading("audit"))
        #expect(group.assignedPartitions(of: "orders") == [Self.tp("orders", 1)])
        #expect(group.touches("orders"))
    }

    @Test func commitsWithoutMembersAreNotReading() {
        let group = ConsumerGroup(groupId: "g", state: "Empty", protocolType: "consumer", coordinator: Self.coordinator,
                                  committedOffsets: [Self.tp("orders", 0): 5])
        #expect(!group.hasMembersReading("orders"))
        #expect(group.touches("orders"))
    }

    @Test func aStableGroupDescribedWithoutMembersHidesThemAndCountsAsReading() {
        // What Tansu answers for a group with a live consumer: Stable, no members.
        var group = ConsumerGroup(groupId: "g", state: "Stable", protocolType: "consumer", coordinator: Self.coordinator,
                                  committedOffsets: [Self.tp("orders", 0): 5])
        #expect(group.membersHidden)
        #expect(group.hasMembersReading("orders"))
        #expect(!group.hasMembersReading("audit"))
        group.state = "Empty"
        #expect(!group.membersHidden)
        #expect(!group.hasMembersReading("orders"))
        group.state = "Dead"
        #expect(!group.hasMembersReading("orders"))
    }

    @Test func unknownAssignmentsWithCommitsAreConservativelyReading() {
        let connect = ConsumerGroup(groupId: "g", state: "Stable", protocolType: "connect", coordinator: Self.coordinator,
                                    members: [Self.member("w", nil)], committedOffsets: [Self.tp("orders", 0): 5])
        #expect(connect.hasMembersReading("orders"))
        #expect(!connect.hasMembersReading("audit"))  // no commits there: nothing ties it to audit
    }

    @Test func aRebalancingGroupWithCommitsIsReadingEvenWithEmptyAssignments() {
        var group = ConsumerGroup(groupId: "g", state: "PreparingRebalance", protocolType: "consumer", coordinator: Self.coordinator,
                                  members: [Self.member("a", [])], committedOffsets: [Self.tp("orders", 0): 5])
        #expect(group.hasMembersReading("orders"))
        group.state = "CompletingRebalance"
        #expect(group.hasMembersReading("orders"))
        // Stable with an empty assignment: the member was handed nothing of orders.
        group.state = "Stable"
        #expect(!group.hasMembersReading("orders"))
    }

    @Test func lagSumsCommittedPartitionsOnly() {
        let group = ConsumerGroup(groupId: "g", state: "Stable", protocolType: "consumer", coordinator: Self.coordinator,
                                  committedOffsets: [Self.tp("orders", 0): 90, Self.tp("orders", 1): 300, Self.tp("audit", 0): 1])
        let hwms: [TopicPartition: Int64] = [Self.tp("orders", 0): 100, Self.tp("orders", 1): 250, Self.tp("orders", 2): 70]
        // 10 behind on 0; a commit past the HWM (topic recreated) counts 0, not −50; 2 has no commit.
        #expect(group.lag(of: "orders", highWatermarks: hwms) == Int64(10))
        #expect(group.lag(of: "audit", highWatermarks: hwms) == nil)
        #expect(group.lag(of: "nope", highWatermarks: hwms) == nil)
    }

    @Test func aDescribedConsumerGroupDecodesAssignmentsAndNamesGarbage() throws {
        let described = DescribeGroupsResponse.DescribedGroup(
            groupId: "billing", groupState: "Stable", protocolType: "consumer", protocolData: "range",
            members: [
                .init(memberId: "m2", clientId: "c2", clientHost: "/10.1.1.2", memberAssignment: try ConsumerProtocolFixtures.bytes("billing-2")),
                .init(memberId: "m1", groupInstanceId: "static-1", clientId: "c1", clientHost: "/10.1.1.1", memberAssignment: []),
                .init(memberId: "m3", clientId: "c3", clientHost: "/10.1.1.3", memberAssignment: [0, 0, 0, 0, 0, 9]),
            ])
        let (group, failures) = KafkaCluster.consumerGroup(described, coordinator: Self.coordinator,
                                                          committedOffsets: [Self.tp("orders", 1): 4, Self.tp("other", 0): 1])
        #expect(group.members.map(\.memberId) == ["m1", "m2", "m3"])
        #expect(group.members[0].assignment == nil)  // no bytes: not assigned yet, or not told
        #expect(group.members[0].groupInstanceId == "static-1")
        #expect(group.members[1].assignment == [Self.tp("orders", 1), Self.tp("orders", 3), Self.tp("audit", 0)])
        #expect(group.members[2].assignment == nil)
        #expect(failures == [.undecodableAssignment(
            group: "billing", member: "m3",
            .codec(.invalidLength(message: "ConsumerProtocolAssignment", field: "assignedPartitions", length: 9)))])
        #expect(failures.first?.group == "billing")
        #expect(group.hasMembersReading("orders"))
        // Members with unknown assignments and commits on other: conservatively reading it too.
        #expect(group.hasMembersReading("other"))
    }

    @Test func tansusStableMemberWithoutAssignmentBytesCountsAsReadingWhereItCommitted() {
        // What the lab's Tansu answers for a live librdkafka consumer (ConsumerGroupsLabTests).
        let described = DescribeGroupsResponse.DescribedGroup(
            groupId: "readers", groupState: "Stable", protocolType: "consumer", protocolData: "range",
            members: [.init(memberId: "rdkafka-1", clientId: "", clientHost: "", memberAssignment: [])])
        let (group, failures) = KafkaCluster.consumerGroup(described, coordinator: Self.coordinator,
                                                          committedOffsets: [Self.tp("orders", 0): 5])
        #expect(failures.isEmpty)
        #expect(group.members.map(\.assignment) == [nil])
        #expect(group.hasMembersReading("orders"))
        #expect(!group.hasMembersReading("audit"))
    }

    @Test func otherProtocolTypesAreNotDecoded() {
        let described = DescribeGroupsResponse.DescribedGroup(
            groupId: "connect-cluster", groupState: "Stable", protocolType: "connect", protocolData: "sessioned",
            members: [.init(memberId: "w1", clientId: "connect-1", clientHost: "/10.1.1.9", memberAssignment: [0, 1, 2])])
        let (group, failures) = KafkaCluster.consumerGroup(described, coordinator: Self.coordinator, committedOffsets: [:])
        #expect(failures.isEmpty)
        #expect(group.members.map(\.assignment) == [nil])
        #expect(group.protocolType == "connect")
    }
}
