/// The audit's judgement (CONTRACT §8): a topic is SAFE only when every check passes on
/// evidence that answered. Each check is made to fail alone, every "did not answer" case is
/// shown to be UNSAFE and not verified (exit 2), and unmigrated topics are found by timestamp.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct AuditVerdictsTests {
    static let now = epoch
    static let cutover = epoch.addingTimeInterval(-3600)
    static let cutoverMs = Int64(cutover.timeIntervalSince1970 * 1000)
    static let week: TimeInterval = 7 * 86400

    /// A COMPLETE, fully replicated topic with two partitions: SAFE.
    static func safeTopic(_ name: String = "orders") -> AuditTopicEvidence {
        AuditTopicEvidence(
            topic: name, destinationTopic: name + ".v2",
            state: .answered(AuditStateEvidence(state: .complete, since: cutover)),
            history: .answered(AuditHistory(initiatedAt: cutover.addingTimeInterval(-60), completedAt: cutover.addingTimeInterval(2),
                                            postMigrationRecords: 0)),
            partitions: .answered([partition(0, source: 10, destination: 10), partition(1, source: 5, destination: 7)]),
            consumerGroups: .read([]),
            producers: .read([]))
    }

    static func partition(_ index: Int32, source: Int64, destination: Int64, cutoverOffset: AuditCutoverOffset = .noRecordSince) -> AuditPartitionEvidence {
        let last: AuditRecordRead = source > 0 ? .record(offset: source - 1, timestampMs: cutoverMs - 1000 + Int64(index)) : .notNeeded
        return AuditPartitionEvidence(
            partition: index, sourceHighWatermark: .answered(source), destinationHighWatermark: .answered(destination),
            sourceLastRecord: last, destinationLastRecord: last, cutoverOffset: cutoverOffset)
    }

    static func judge(_ topics: [AuditTopicEvidence], unmapped: [AuditUnmappedTopic] = [],
                      topicList: AuditRead<Int> = .answered(3)) -> AuditReport {
        AuditVerdicts.judge(AuditEvidence(topics: topics, unmappedTopics: unmapped, sourceTopicList: topicList, since: week), now: now)
    }

    static func reason(_ report: AuditReport, _ check: AuditCheck, topic: Int = 0) -> AuditReason {
        report.topics[topic].reasons.first { $0.check == check }!
    }

    /// The checks that fail for the first topic.
    static func failing(_ report: AuditReport) -> [AuditCheck] {
        report.topics[0].reasons.filter { !$0.ok }.map(\.check)
    }

    @Test func completeAndReplicatedTopicIsSafe() {
        let report = Self.judge([Self.safeTopic()])
        #expect(report.verdict == .safe)
        #expect(report.exitCode == 0)
        #expect(report.topics[0].verdict == .safe)
        #expect(report.topics[0].reasons.map(\.check) == [
            .topicComplete, .noPostMigrationRecords, .allRecordsOnDestination, .noSourceConsumers, .noIdempotentProducers])
        #expect(report.topics[0].reasons.allSatisfy { $0.ok && $0.verified })
        #expect(Self.reason(report, .topicComplete).detail.contains("COMPLETE since 2026"))
        #expect(Self.reason(report, .topicComplete).detail.contains("INITIATED at"))
        #expect(Self.reason(report, .topicComplete).detail.contains("COMPLETED at"))
        #expect(report.topics[0].postMigrationRecords == 0)
    }

    @Test func proxyTopicIsUnsafe() {
        var topic = Self.safeTopic()
        topic.state = .answered(AuditStateEvidence(state: .proxy, since: Self.cutover))
        let report = Self.judge([topic])
        #expect(report.verdict == .unsafe)
        #expect(report.exitCode == 1)
        #expect(Self.failing(report) == [.topicComplete, .noPostMigrationRecords])
        #expect(Self.reason(report, .topicComplete).detail.hasPrefix("PROXY since"))
        #expect(Self.reason(report, .noPostMigrationRecords).verified)
    }

    @Test func everyNonCompleteStateIsUnsafe() {
        for state in [MigrationState.reject, .proxy, .migrating] {
            var topic = Self.safeTopic()
            topic.state = .answered(AuditStateEvidence(state: state, since: nil))
            let report = Self.judge([topic])
            #expect(report.topics[0].verdict == .unsafe, "\(state)")
            #expect(Self.reason(report, .topicComplete).detail.hasPrefix(state.rawValue))
        }
    }

    @Test func postMigrationRecordsAreCountedWithTheirOffsets() {
        var topic = Self.safeTopic()
        topic.partitions = .answered([
            Self.partition(0, source: 13, destination: 13, cutoverOffset: .firstOffset(10)),
            Self.partition(1, source: 5, destination: 7, cutoverOffset: .noRecordSince),
        ])
        let report = Self.judge([topic])
        #expect(Self.failing(report) == [.noPostMigrationRecords])
        let reason = Self.reason(report, .noPostMigrationRecords)
        #expect(reason.verified)
        #expect(reason.detail.hasPrefix("3 records reached the source after the cutover"))
        #expect(reason.detail.contains("partition 0 offsets 10–12"))
        #expect(report.topics[0].postMigrationRecords == 3)
        #expect(report.exitCode == 1)
    }

    @Test func storedCounterAboveTheLiveCountWins() {
        // Record timestamps can lie (a producer clock behind); exporterd's HWM-based counter does not.
        var topic = Self.safeTopic()
        topic.history = .answered(AuditHistory(completedAt: Self.cutover, postMigrationRecords: 4))
        let report = Self.judge([topic])
        #expect(Self.failing(report) == [.noPostMigrationRecords])
        #expect(report.topics[0].postMigrationRecords == 4)
        #expect(Self.reason(report, .noPostMigrationRecords).detail.contains("exporterd counted 4"))
    }

    @Test func cutoverIsTheEarlierOfStateSinceAndStoredEvent() {
        var topic = Self.safeTopic()
        topic.history = .answered(AuditHistory(completedAt: Self.cutover.addingTimeInterval(-10)))
        #expect(AuditVerdicts.cutoverTime(topic) == Self.cutover.addingTimeInterval(-10))
        topic.history = .answered(AuditHistory(completedAt: Self.cutover.addingTimeInterval(10)))
        #expect(AuditVerdicts.cutoverTime(topic) == Self.cutover)
        topic.state = .answered(AuditStateEvidence(state: .proxy, since: Self.cutover))
        #expect(AuditVerdicts.cutoverTime(topic) == nil)
    }

    @Test func noCutoverTimeIsNotVerified() {
        var topic = Self.safeTopic()
        topic.state = .answered(AuditStateEvidence(state: .complete, since: nil))
        topic.history = .answered(AuditHistory())
        let report = Self.judge([topic])
        #expect(Self.failing(report) == [.noPostMigrationRecords])
        #expect(!Self.reason(report, .noPostMigrationRecords).verified)
        #expect(report.exitCode == 2)
    }

    @Test func lagOnOnePartitionIsUnsafe() {
        var topic = Self.safeTopic()
        topic.partitions = .answered([Self.partition(0, source: 10, destination: 10), Self.partition(1, source: 9, destination: 7)])
        let report = Self.judge([topic])
        #expect(Self.failing(report) == [.allRecordsOnDestination])
        let detail = Self.reason(report, .allRecordsOnDestination).detail
        #expect(detail == "partition 1: destination high watermark 7 < source 9 (2 records not on the destination)")
        #expect(report.exitCode == 1)
    }

    @Test func timestampMismatchOfTheLastRecordIsUnsafe() {
        var topic = Self.safeTopic()
        var first = Self.partition(0, source: 10, destination: 12)
        first.destinationLastRecord = .record(offset: 9, timestampMs: Self.cutoverMs + 5)
        topic.partitions = .answered([first])
        let report = Self.judge([topic])
        #expect(Self.failing(report) == [.allRecordsOnDestination])
        #expect(Self.reason(report, .allRecordsOnDestination).detail.contains("differs on the destination"))
    }

    @Test func lastRecordMissingOnTheDestinationIsUnsafe() {
        var topic = Self.safeTopic()
        var first = Self.partition(0, source: 10, destination: 10)
        first.destinationLastRecord = .noRecord
        topic.partitions = .answered([first])
        #expect(Self.failing(Self.judge([topic])) == [.allRecordsOnDestination])
    }

    @Test func transactionMarkerLastIsJudgedByOffsetsAlone() {
        var topic = Self.safeTopic()
        var first = Self.partition(0, source: 10, destination: 10)
        first.sourceLastRecord = .noRecord
        first.destinationLastRecord = .noRecord
        topic.partitions = .answered([first, Self.partition(1, source: 0, destination: 0)])
        let report = Self.judge([topic])
        #expect(report.topics[0].verdict == .safe)
        #expect(Self.reason(report, .allRecordsOnDestination).detail.contains("partition 1 empty"))
    }

    @Test func groupWithMembersReadingFromTheSourceIsUnsafe() {
        var topic = Self.safeTopic()
        topic.consumerGroups = .read([
            AuditConsumerGroup(groupId: "billing", state: "Stable", members: [
                AuditGroupMember(memberId: "m-2", clientId: "billing-2", clientHost: "/10.0.0.2", partitions: [1]),
                AuditGroupMember(memberId: "m-1", clientId: "billing-1", clientHost: "/10.0.0.1", partitions: [0]),
            ], committedOffsets: [0: 7, 1: 5]),
            AuditConsumerGroup(groupId: "old-batch", state: "Empty", members: [], committedOffsets: [0: 1]),
        ])
        let report = Self.judge([topic])
        #expect(Self.failing(report) == [.noSourceConsumers])
        let detail = Self.reason(report, .noSourceConsumers).detail
        #expect(detail == "group billing (Stable) has 2 members reading from the source: billing-1 on /10.0.0.1 (partitions 0), billing-2 on /10.0.0.2 (partitions 1); lag 3 (p0: 3, p1: 0)")
    }

    @Test func groupsWithoutMembersOrWithOtherTopicsAreSafe() {
        var topic = Self.safeTopic()
        topic.consumerGroups = .read([
            AuditConsumerGroup(groupId: "old-batch", state: "Empty", members: [], committedOffsets: [0: 1]),
            AuditConsumerGroup(groupId: "other", state: "Stable", members: [
                AuditGroupMember(memberId: "m", clientId: "c", clientHost: "/h", partitions: []),
            ], committedOffsets: [:]),
        ])
        let report = Self.judge([topic])
        #expect(report.topics[0].verdict == .safe)
        #expect(Self.reason(report, .noSourceConsumers).detail.contains("old-batch"))
    }

    @Test func undecodableAssignmentWithCommittedOffsetsCountsAsReading() {
        var topic = Self.safeTopic()
        topic.consumerGroups = .read([
            AuditConsumerGroup(groupId: "g", state: "Stable", members: [
                AuditGroupMember(memberId: "m", clientId: "c", clientHost: "/h", partitions: nil),
            ], committedOffsets: [0: 10]),
        ])
        let report = Self.judge([topic])
        #expect(Self.failing(report) == [.noSourceConsumers])
        #expect(Self.reason(report, .noSourceConsumers).detail.contains("assignment unknown"))
    }

    @Test func rebalancingGroupWithCommittedOffsetsCountsAsReading() {
        var topic = Self.safeTopic()
        topic.consumerGroups = .read([
            AuditConsumerGroup(groupId: "g", state: "PreparingRebalance", members: [
                AuditGroupMember(memberId: "m", clientId: "c", clientHost: "/h", partitions: []),
            ], committedOffsets: [1: 2]),
        ])
        let report = Self.judge([topic])
        #expect(Self.failing(report) == [.noSourceConsumers])
        #expect(Self.reason(report, .noSourceConsumers).detail.contains("rebalancing, assignment pending"))
        #expect(Self.reason(report, .noSourceConsumers).detail.contains("lag 3 (p1: 3)"))
    }

    @Test func activeGroupWithHiddenMembersAndCommitsCountsAsReading() {
        // Tansu describes a live consumer's group as Stable with no members.
        var topic = Self.safeTopic()
        topic.consumerGroups = .read([AuditConsumerGroup(groupId: "live", state: "Stable", members: [], committedOffsets: [0: 9])])
        let report = Self.judge([topic])
        #expect(Self.failing(report) == [.noSourceConsumers])
        #expect(Self.reason(report, .noSourceConsumers).detail
            == "group live (Stable) is active with offsets committed on the topic but its coordinator lists no members; lag 1 (p0: 1)")
    }

    @Test func membersWithoutIdsOrHostsAreNamedByWhatIsKnown() {
        var topic = Self.safeTopic()
        topic.consumerGroups = .read([AuditConsumerGroup(groupId: "g", state: "Stable", members: [
            AuditGroupMember(memberId: "", clientId: "", clientHost: "", partitions: nil),
            AuditGroupMember(memberId: "m-7", clientId: "", clientHost: "", partitions: [0]),
        ], committedOffsets: [0: 10])])
        let detail = Self.reason(Self.judge([topic]), .noSourceConsumers).detail
        #expect(detail == "group g (Stable) has 2 members reading from the source: a member (assignment unknown), member m-7 (partitions 0); lag 0 (p0: 0)")
    }

    @Test func groupsNotReadAreNotVerified() {
        for groups in [AuditGroupsEvidence.notAnswered("coordinator 2 timed out"), .notChecked("no groups reader")] {
            var topic = Self.safeTopic()
            topic.consumerGroups = groups
            let report = Self.judge([topic])
            #expect(Self.failing(report) == [.noSourceConsumers])
            #expect(!Self.reason(report, .noSourceConsumers).verified)
            #expect(report.exitCode == 2)
        }
    }

    @Test func producerActiveSinceTheCutoverIsUnsafe() {
        var topic = Self.safeTopic()
        topic.producers = .read([
            ProducerInfo(producerId: 4001, producerEpoch: 3, lastTimestamp: Self.cutover.addingTimeInterval(30), partition: 0),
            ProducerInfo(producerId: 4002, producerEpoch: 0, lastTimestamp: Self.cutover.addingTimeInterval(-30), partition: 1),
        ])
        let report = Self.judge([topic])
        #expect(Self.failing(report) == [.noIdempotentProducers])
        let detail = Self.reason(report, .noIdempotentProducers).detail
        #expect(detail.contains("producer 4001 (epoch 3) on partition 0"))
        #expect(!detail.contains("4002"))
    }

    @Test func producerWithUnknownLastWriteCountsAsActive() {
        var topic = Self.safeTopic()
        topic.producers = .read([ProducerInfo(producerId: 9, producerEpoch: 0, lastTimestamp: nil, partition: 0)])
        #expect(Self.failing(Self.judge([topic])) == [.noIdempotentProducers])
    }

    @Test func producersOlderThanTheCutoverAreSafe() {
        var topic = Self.safeTopic()
        topic.producers = .read([ProducerInfo(producerId: 9, producerEpoch: 0, lastTimestamp: Self.cutover.addingTimeInterval(-1), partition: 0)])
        let report = Self.judge([topic])
        #expect(report.topics[0].verdict == .safe)
        #expect(Self.reason(report, .noIdempotentProducers).detail.contains("1 producer state with older writes"))
    }

    @Test func brokerWithoutDescribeProducersIsNotCheckedNotUnsafe() {
        var topic = Self.safeTopic()
        topic.producers = .unsupported(brokers: ["127.0.0.1:19092"])
        let report = Self.judge([topic])
        #expect(report.topics[0].verdict == .safe)
        #expect(report.exitCode == 0)
        #expect(Self.reason(report, .noIdempotentProducers).detail == "not checked: the source's brokers lack DescribeProducers (127.0.0.1:19092)")
    }

    @Test func producersNotAnsweredAreNotVerified() {
        var topic = Self.safeTopic()
        topic.producers = .notAnswered("partition 1 timed out")
        let report = Self.judge([topic])
        #expect(Self.failing(report) == [.noIdempotentProducers])
        #expect(report.exitCode == 2)
    }

    @Test func stateSourceNotAnsweringIsNeverSafe() {
        var topic = Self.safeTopic()
        topic.state = .notAnswered("state.json: cannot read")
        let report = Self.judge([topic])
        #expect(report.topics[0].verdict == .unsafe)
        #expect(Set(Self.failing(report)) == [.topicComplete, .noPostMigrationRecords])
        #expect(report.exitCode == 2)
    }

    @Test func clusterNotAnsweringIsNeverSafe() {
        var topic = Self.safeTopic()
        topic.partitions = .notAnswered("source: request timed out")
        let report = Self.judge([topic])
        #expect(report.topics[0].verdict == .unsafe)
        #expect(Set(Self.failing(report)) == [.noPostMigrationRecords, .allRecordsOnDestination])
        #expect(report.topics[0].reasons.filter { !$0.ok }.allSatisfy { !$0.verified && $0.detail.hasPrefix("not verified") })
        #expect(report.exitCode == 2)
    }

    @Test func onePartitionNotAnsweringIsNeverSafe() {
        for broken in ["source", "destination", "sourceRecord", "destinationRecord", "cutover"] {
            var topic = Self.safeTopic()
            var partition = Self.partition(1, source: 5, destination: 7)
            switch broken {
            case "source": partition.sourceHighWatermark = .notAnswered("timed out")
            case "destination": partition.destinationHighWatermark = .notAnswered("timed out")
            case "sourceRecord": partition.sourceLastRecord = .notAnswered("fetch timed out")
            case "destinationRecord": partition.destinationLastRecord = .notAnswered("fetch timed out")
            default: partition.cutoverOffset = .notAnswered("timed out")
            }
            topic.partitions = .answered([Self.partition(0, source: 10, destination: 10), partition])
            let report = Self.judge([topic])
            #expect(report.topics[0].verdict == .unsafe, "\(broken)")
            #expect(report.exitCode == 2, "\(broken)")
        }
    }

    @Test func unmappedTopicWithFreshRecordsIsUnmigrated() {
        let fresh = Self.cutoverMs + 10
        let report = Self.judge([Self.safeTopic()], unmapped: [
            AuditUnmappedTopic(topic: "legacy.audit", partitions: .answered([
                AuditUnmappedPartition(partition: 0, firstRecentOffset: 40, firstRecentTimestampMs: fresh, highWatermark: 42),
                AuditUnmappedPartition(partition: 1, firstRecentOffset: nil, firstRecentTimestampMs: nil, highWatermark: 8),
            ])),
            AuditUnmappedTopic(topic: "quiet", partitions: .answered([
                AuditUnmappedPartition(partition: 0, firstRecentOffset: 12, firstRecentTimestampMs: nil, highWatermark: 12),
            ])),
        ])
        #expect(report.verdict == .unsafe)
        #expect(report.exitCode == 1)
        #expect(report.unmigratedTopics.map(\.topic) == ["legacy.audit"])  // −1 timestamp: no record since
        let entry = report.unmigratedTopics[0]
        #expect(entry.verdict == .unsafe)
        #expect(entry.recentRecords == 2)
        #expect(entry.reasons.map(\.check) == [.unmigratedTopic])
        #expect(entry.reasons[0].detail.contains("no mapping covers it, yet it has 2 records since"))
        #expect(entry.reasons[0].detail.contains("partition 0 from offset 40 (2)"))
    }

    @Test func unmappedTopicNotAnsweringIsListedAndNotVerified() {
        let report = Self.judge([Self.safeTopic()], unmapped: [AuditUnmappedTopic(topic: "x", partitions: .notAnswered("timed out"))])
        #expect(report.unmigratedTopics.map(\.topic) == ["x"])
        #expect(report.exitCode == 2)
    }

    @Test func unreadableTopicListIsNeverSafe() {
        let report = Self.judge([Self.safeTopic()], topicList: .notAnswered("metadata timed out"))
        #expect(report.verdict == .unsafe)
        #expect(report.topics[0].verdict == .safe)
        #expect(report.reasons.first?.check == .sourceTopicsListed)
        #expect(report.exitCode == 2)
    }

    @Test func oneUnsafeTopicMakesTheReportUnsafe() {
        var second = Self.safeTopic("payments")
        second.state = .answered(AuditStateEvidence(state: .migrating, since: Self.cutover))
        let report = Self.judge([Self.safeTopic(), second])
        #expect(report.topics.map(\.verdict) == [.safe, .unsafe])
        #expect(report.verdict == .unsafe)
        #expect(report.exitCode == 1)
    }

    @Test func storedCounterSnapshotAccessor() throws {
        var snapshot = TopicSnapshot(topic: "t")
        #expect(snapshot.storedPostMigrationRecords == nil)
        snapshot.postMigration.setBaseline(10)
        _ = snapshot.postMigration.observe(sourceOffsets: 13, at: Self.now)
        #expect(snapshot.storedPostMigrationRecords == 3)
    }
}
