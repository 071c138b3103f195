/// The audit's reader against scripted fake brokers: what answered lands in the evidence as
/// read, what did not lands as "not answered" with its reason, and the judgement of that
/// evidence is never SAFE then. A real Tansu lab runs the full scenario (Tests/e2e/test_audit.py).
import Diagnostics
import Foundation
import Logging
import NIOPosix
import SourceWatcher
import SourceWatcherTestSupport
import Testing
@testable import exporterd

@Suite struct AuditEvidenceReaderTests {
    static let cutover = Date(timeIntervalSince1970: 1_795_000_000)
    static let now = cutover.addingTimeInterval(3600)

    static var quietLogger: Logger {
        var logger = Logger(label: "audit-reader-test")
        logger.logLevel = .critical
        return logger
    }

    static func reader(source: [BrokerAddress], destination: [BrokerAddress], timeout: Duration = .seconds(20)) -> AuditEvidenceReader {
        let settings = ConnectionSettings(requestTimeout: timeout)
        // A hand-moved clock keeps read deadlines from running out on a loaded machine (the
        // whole test suite at once); a broker that does not answer still fails by itself.
        let clock = ManualTimeSource()
        return AuditEvidenceReader(
            source: KafkaCluster(name: "source", bootstrapBrokers: source, settings: settings, clock: clock, logger: quietLogger),
            destination: KafkaCluster(name: "destination", bootstrapBrokers: destination, settings: settings, clock: clock, logger: quietLogger),
            selection: TopicSelection(mappings: [TopicMapping(sourceTopic: "orders", destinationTopic: "orders")], regex: nil),
            since: 7 * 86400,
            groups: { topics in Dictionary(topics.map { ($0, .read([])) }, uniquingKeysWith: { first, _ in first }) })
    }

    static let states: Result<MigrationStateDocument, MigrationStateSource.ReadError> = .success(MigrationStateDocument(
        topics: [TopicStateReport(topic: "orders", state: .complete, since: cutover)]))
    static let history: Result<StoreHistory, MigrationStoreError> = .success(StoreHistory(completed: ["orders": cutover.addingTimeInterval(3)]))

    @Test func answeredReadsBecomeEvidence() async throws {
        let source = try await FakeKafkaBroker.start()
        let destination = try await FakeKafkaBroker.start()
        defer { Task { await source.stop(); await destination.stop() } }
        source.layout.addTopic("orders", leaders: [1, 1], latest: [0, 0], earliest: [0, 0])
        source.layout.addTopic("legacy", leaders: [1], latest: [5], earliest: [0])
        source.layout.addTopic("__consumer_offsets", leaders: [1], latest: [9], earliest: [0])
        destination.layout.addTopic("orders", leaders: [1, 1], latest: [0, 0], earliest: [0, 0])
        let lastWrite = Int64(Self.cutover.timeIntervalSince1970 * 1000) + 60_000
        source.layout.change(TopicPartition(topic: "orders", partition: 0)) {
            $0.producers = [.init(producerId: 4001, producerEpoch: 2, lastTimestamp: lastWrite)]
        }

        let evidence = await Self.reader(source: [source.address], destination: [destination.address])
            .read(states: Self.states, history: Self.history, now: Self.now)
        #expect(evidence.sourceTopicList == .answered(3))
        #expect(evidence.unmappedTopics.map(\.topic) == ["legacy"])  // Kafka's own topics skipped
        // The fake answers a timestamp search without a record (−1): nothing recent.
        let legacy = try #require(evidence.unmappedTopics.first)
        #expect(legacy.partitions == .answered([
            AuditUnmappedPartition(partition: 0, firstRecentOffset: nil, firstRecentTimestampMs: nil, highWatermark: 5)]))
        let topic = try #require(evidence.topics.first)
        #expect(topic.state == .answered(AuditStateEvidence(state: .complete, since: Self.cutover)))
        #expect(topic.history.value?.completedAt == Self.cutover.addingTimeInterval(3))
        #expect(topic.partitions == .answered([0, 1].map {
            AuditPartitionEvidence(partition: $0, sourceHighWatermark: .answered(0), destinationHighWatermark: .answered(0),
                                   sourceLastRecord: .notNeeded, destinationLastRecord: .notNeeded, cutoverOffset: .noRecordSince)
        }))
        #expect(topic.producers == .read([ProducerInfo(producerId: 4001, producerEpoch: 2, lastTimestampMs: lastWrite, partition: 0)]))
        #expect(topic.consumerGroups == .read([]))

        let report = AuditVerdicts.judge(evidence, now: Self.now)
        #expect(report.topics[0].reasons.filter { !$0.ok }.map(\.check) == [.noIdempotentProducers])
        #expect(report.exitCode == 1)
    }

    @Test func aFetchThatFailsIsNotVerified() async throws {
        let source = try await FakeKafkaBroker.start()
        let destination = try await FakeKafkaBroker.start()
        defer { Task { await source.stop(); await destination.stop() } }
        // Records to compare: the fake brokers close the connection on Fetch.
        source.layout.addTopic("orders", leaders: [1], latest: [5], earliest: [0])
        destination.layout.addTopic("orders", leaders: [1], latest: [5], earliest: [0])
        let evidence = await Self.reader(source: [source.address], destination: [destination.address])
            .read(states: Self.states, history: Self.history, now: Self.now)
        guard case .answered(let partitions) = evidence.topics[0].partitions, case .notAnswered = partitions[0].sourceLastRecord else {
            Issue.record("expected an unanswered Fetch: \(evidence.topics[0].partitions)")
            return
        }
        let report = AuditVerdicts.judge(evidence, now: Self.now)
        #expect(report.topics[0].verdict == .unsafe)
        #expect(report.exitCode == 2)
        #expect(report.topics[0].reasons.first { $0.check == .allRecordsOnDestination }?.detail.contains("not verified") == true)
    }

    @Test func aSourceThatDoesNotAnswerIsNeverSafe() async throws {
        let destination = try await FakeKafkaBroker.start()
        defer { Task { await destination.stop() } }
        destination.layout.addTopic("orders", leaders: [1], latest: [5], earliest: [0])
        let closed = try await Self.closedPort()
        let evidence = await Self.reader(source: [BrokerAddress(host: "127.0.0.1", port: closed)], destination: [destination.address],
                                         timeout: .seconds(1))
            .read(states: Self.states, history: Self.history, now: Self.now)
        guard case .notAnswered = evidence.sourceTopicList, case .notAnswered = evidence.topics[0].partitions else {
            Issue.record("expected no answer: \(evidence)")
            return
        }
        let report = AuditVerdicts.judge(evidence, now: Self.now)
        #expect(report.verdict == .unsafe)
        #expect(report.topics.allSatisfy { $0.verdict == .unsafe })
        #expect(report.exitCode == 2)
    }

    /// A loopback port nothing listens on.
    static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 1
        try await channel.close()
        return port
    }
}

/// The consumer groups check on fake brokers holding kafka-python's consumer protocol
/// assignments (SourceWatcherTests' fixtures), groups spread over two coordinators: members,
/// their partitions of the audited topic, committed offsets and lag reach the report; a
/// coordinator that does not answer makes the check "not verified".
@Suite struct AuditConsumerGroupsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SourceWatcherTests/Fixtures/ConsumerProtocol")

    static func member(_ id: String, assignment: String, host: String) throws -> DescribeGroupsResponse.DescribedGroupMember {
        .init(memberId: id, groupInstanceId: nil, clientId: "\(id)-client", clientHost: host,
              memberAssignment: Array(try Data(contentsOf: fixtures.appendingPathComponent("\(assignment).bin"))))
    }

    @Test func groupsReadingTheSourceAreNamedWithMembersAndLag() async throws {
        let fake = try await FakeKafkaCluster.start(brokerCount: 2)
        defer { Task { await fake.stop() } }
        for broker in fake.brokers { broker.advertised = FakeKafkaBroker.advertisedWithGroups }
        fake.layout.addTopic("orders", leaders: [1, 2, 1, 2], latest: [100, 200, 300, 400])
        fake.layout.addTopic("audit", leaders: [2, 1], latest: [10, 20])
        fake.layout.addTopic("other", leaders: [1, 2])
        // billing (coordinator 1): two members splitting orders and audit, commits on orders.
        fake.layout.addGroup("billing", FakeGroup(coordinator: 1, members: [
            try Self.member("billing-a", assignment: "billing-1", host: "/10.0.0.1"),
            try Self.member("billing-b", assignment: "billing-2", host: "/10.0.0.2"),
        ], committedOffsets: [TopicPartition(topic: "orders", partition: 0): 40, TopicPartition(topic: "orders", partition: 3): 390]))
        // reports (coordinator 2): reads only `other`, old commits on orders: not reading orders.
        fake.layout.addGroup("reports", FakeGroup(coordinator: 2, members: [try Self.member("reports-a", assignment: "reports-1", host: "/10.0.0.3")],
                                                  committedOffsets: [TopicPartition(topic: "orders", partition: 1): 5]))
        let cluster = KafkaCluster(name: "source", bootstrapBrokers: fake.bootstrap, settings: ConnectionSettings(requestTimeout: .seconds(20)),
                                   clock: ManualTimeSource(), logger: AuditEvidenceReaderTests.quietLogger)
        let evidence = await AuditRun.consumerGroups(of: cluster)(["orders", "audit"])
        guard case .read(let orders) = evidence["orders"], case .read(let audit) = evidence["audit"] else {
            Issue.record("groups not read: \(evidence)")
            return
        }
        #expect(orders.map(\.groupId).sorted() == ["billing", "reports"])
        let billing = try #require(orders.first { $0.groupId == "billing" })
        #expect(billing.members.sorted { $0.memberId < $1.memberId }.map(\.partitions) == [[0, 2], [1, 3]])
        #expect(billing.committedOffsets == [0: 40, 3: 390])
        #expect(audit.map(\.groupId) == ["billing"])
        #expect(try #require(audit.first).members.sorted { $0.memberId < $1.memberId }.map(\.partitions) == [[1], [0]])

        var topic = AuditVerdictsFixture.safe("orders", partitions: [100, 200, 300, 400])
        topic.consumerGroups = .read(orders)
        let report = AuditVerdicts.judge(AuditEvidence(topics: [topic], sourceTopicList: .answered(3), since: 86400),
                                         now: AuditEvidenceReaderTests.now)
        let reason = try #require(report.topics[0].reasons.first { $0.check == .noSourceConsumers })
        #expect(!reason.ok && reason.verified)
        #expect(reason.detail == "group billing (Stable) has 2 members reading from the source: billing-a-client on /10.0.0.1 (partitions 0, 2), billing-b-client on /10.0.0.2 (partitions 1, 3); lag 70 (p0: 60, p3: 10)")
        #expect(!reason.detail.contains("reports"))

        // A coordinator that stops answering: no proof that nobody reads, so not verified.
        fake.broker(2).script(.describeGroups) { _, _ in .close }
        let broken = await AuditRun.consumerGroups(of: cluster)(["orders"])
        guard case .notAnswered(let why) = broken["orders"] else {
            Issue.record("expected not answered: \(broken)")
            return
        }
        #expect(why.contains("reports"))
    }
}

/// A COMPLETE, replicated topic's evidence with the given source HWMs.
enum AuditVerdictsFixture {
    static func safe(_ name: String, partitions: [Int64]) -> AuditTopicEvidence {
        AuditTopicEvidence(
            topic: name, destinationTopic: name,
            state: .answered(AuditStateEvidence(state: .complete, since: AuditEvidenceReaderTests.cutover)),
            history: .answered(AuditHistory()),
            partitions: .answered(partitions.enumerated().map { index, hwm in
                let last = AuditRecordRead.record(offset: hwm - 1, timestampMs: 1)
                return AuditPartitionEvidence(partition: Int32(index), sourceHighWatermark: .answered(hwm), destinationHighWatermark: .answered(hwm),
                                              sourceLastRecord: last, destinationLastRecord: last, cutoverOffset: .noRecordSince)
            }),
            consumerGroups: .read([]), producers: .read([]))
    }
}
