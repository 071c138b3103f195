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

    static func reader(source: [BrokerAddress], destination: [BrokerAddress], timeout: Duration = .seconds(3)) -> AuditEvidenceReader {
        let settings = ConnectionSettings(requestTimeout: timeout)
        return AuditEvidenceReader(
            source: KafkaCluster(name: "source", bootstrapBrokers: source, settings: settings, logger: quietLogger),
            destination: KafkaCluster(name: "destination", bootstrapBrokers: destination, settings: settings, logger: quietLogger),
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
        #expect(evidence.unmappedTopics[0].partitions == .answered([
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
