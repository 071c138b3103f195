/// Cluster health leaves a poll as soon as the offsets reads are in (CONTRACT §4 cluster_up):
/// a read that did not complete shows `up` 0 and the unanswered partitions while the poll is
/// still waiting on its later reads (here a DescribeProducers that hangs to the deadline), and
/// the rest of the page keeps the last full poll's values. The next poll after the cluster
/// answers again shows it up.
import Diagnostics
import Foundation
import Hummingbird
import Logging
import MetricsExporter
import NIOCore
import SourceWatcher
import SourceWatcherTestSupport
import Testing
@testable import exporterd

@Suite struct ClusterHealthTests {
    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }

    @Test func healthIsPublishedBeforeTheLaterReadsOfThePoll() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-health-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let statePath = directory.appendingPathComponent("state.yaml").path
        try Data("topics:\n  - {topic: orders, state: PROXY, since: 2026-11-24T10:00:00Z}\n".utf8)
            .write(to: URL(fileURLWithPath: statePath))
        var logger = Logger(label: "cluster-health-test")
        logger.logLevel = .critical
        let source = try await FakeKafkaBroker.start()
        let destination = try await FakeKafkaBroker.start()
        source.layout.addTopic("orders", leaders: [1, 1], latest: [5, 5])
        destination.layout.addTopic("orders", leaders: [1, 1], latest: [5, 5])
        let budget = Duration.seconds(3)

        let observed = try await withLocalHTTPServer({ router in
            router.get("/metrics") { _, _ in
                Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string:
                    "kafka_proxy_produced_records_total{topic=\"orders\"} 1\nkafka_proxy_produced_bytes_total{topic=\"orders\"} 10\n")))
            }
        }) { base in
            let settings = ConnectionSettings(requestTimeout: budget)
            // The test's clock keeps read deadlines from running out on a loaded machine; the
            // hung request still ends by its own (real) timeout.
            let clock = ManualTimeSource()
            let watch = MigrationWatch(
                source: KafkaCluster(name: "source", bootstrapBrokers: [source.address], settings: settings, clock: clock, logger: logger),
                destination: KafkaCluster(name: "destination", bootstrapBrokers: [destination.address], settings: settings,
                                          clock: clock, logger: logger),
                selection: TopicSelection(mappings: [TopicMapping(sourceTopic: "orders", destinationTopic: "orders")], regex: nil),
                agents: ProxyAgents(settings: ProxyMetricsSettings(targets: [base + "/metrics"], timeout: .seconds(2)), client: .shared),
                stateSource: MigrationStateSource(settings: MigrationStateSettings(location: .file(statePath)), client: .shared, environment: [:]),
                accounting: MigrationAccounting(configuration: AccountingConfiguration()),
                proxiedTotals: ProxiedCounterTotals(), logger: logger, clock: clock)
            let store = try await MigrationStore.open(dataDirectory: directory.appendingPathComponent("data").path, logger: logger)
            let state = ExporterState()
            let service = PollService(watch: watch, store: store, state: state, broadcaster: EventBroadcaster(), interval: .seconds(5),
                                      exportPartitionMetrics: false, eventCounts: [:], logger: logger)
            await service.pollOnce()
            let healthy = state.latestSnapshot()

            // Partition 1 now fails at once; DescribeProducers hangs until the read's deadline.
            source.layout.change(TopicPartition(topic: "orders", partition: 1)) { $0.listOffsetsError = .topicAuthorizationFailed }
            source.script(.describeProducers) { _, _ in .hang }
            let finished = Flag()
            let poll = Task {
                await service.pollOnce()
                finished.set()
            }
            var during: MetricsSnapshot?
            var pollStillRunning = false
            for _ in 0..<250 {
                let snapshot = state.latestSnapshot()
                if !snapshot.source.up {
                    pollStillRunning = !finished.isSet
                    during = snapshot
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            await poll.value
            source.clearScript(.describeProducers)
            source.layout.change(TopicPartition(topic: "orders", partition: 1)) { $0.listOffsetsError = .none }
            await service.pollOnce()
            let recovered = state.latestSnapshot()
            try await store.close()
            await watch.source.shutdown()
            await watch.destination.shutdown()
            return (healthy, during, pollStillRunning, recovered)
        }
        await source.stop()
        await destination.stop()

        let (healthy, during, pollStillRunning, recovered) = observed
        #expect(healthy.source.up)
        #expect(healthy.source.answeredPartitions == 2)
        let shown = try #require(during, "cluster_up never went to 0")
        #expect(pollStillRunning, "health must not wait for the poll's later reads")
        #expect(shown.source.watchedPartitions == 2)
        #expect(shown.source.answeredPartitions == 1)
        #expect(shown.destination.up)
        // The rest of the page is the last full poll's: the last complete values.
        #expect(shown.topics == healthy.topics)
        #expect(recovered.source.up)
        #expect(recovered.source.answeredPartitions == 2)
    }

    /// The source broker stops answering ListOffsets (a frozen broker): the poll's read ends at
    /// request_timeout with nothing answered, the page shows the source down with 0 of 2
    /// partitions answered and keeps the last complete values (nothing counted, nothing
    /// advanced); the first poll after it answers again shows it up.
    @Test func aHungSourceIsDownAfterRequestTimeoutAndUpOnTheNextPoll() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-hung-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let statePath = directory.appendingPathComponent("state.yaml").path
        try Data("topics:\n  - {topic: orders, state: PROXY, since: 2026-11-24T10:00:00Z}\n".utf8)
            .write(to: URL(fileURLWithPath: statePath))
        var logger = Logger(label: "cluster-health-test")
        logger.logLevel = .critical
        let source = try await FakeKafkaBroker.start()
        let destination = try await FakeKafkaBroker.start()
        source.layout.addTopic("orders", leaders: [1, 1], latest: [5, 5])
        destination.layout.addTopic("orders", leaders: [1, 1], latest: [5, 5])

        let snapshots = try await withLocalHTTPServer({ router in
            router.get("/metrics") { _, _ in
                Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string:
                    "kafka_proxy_produced_records_total{topic=\"orders\"} 1\nkafka_proxy_produced_bytes_total{topic=\"orders\"} 10\n")))
            }
        }) { base in
            let settings = ConnectionSettings(requestTimeout: .seconds(2))  // the healthy polls must fit in it on a loaded machine
            let clock = ManualTimeSource()
            let watch = MigrationWatch(
                source: KafkaCluster(name: "source", bootstrapBrokers: [source.address], settings: settings, clock: clock, logger: logger),
                destination: KafkaCluster(name: "destination", bootstrapBrokers: [destination.address], settings: settings,
                                          clock: clock, logger: logger),
                selection: TopicSelection(mappings: [TopicMapping(sourceTopic: "orders", destinationTopic: "orders")], regex: nil),
                agents: ProxyAgents(settings: ProxyMetricsSettings(targets: [base + "/metrics"], timeout: .seconds(2)), client: .shared),
                stateSource: MigrationStateSource(settings: MigrationStateSettings(location: .file(statePath)), client: .shared, environment: [:]),
                accounting: MigrationAccounting(configuration: AccountingConfiguration(confirmPolls: 1)),
                proxiedTotals: ProxiedCounterTotals(), logger: logger, clock: clock)
            let store = try await MigrationStore.open(dataDirectory: directory.appendingPathComponent("data").path, logger: logger)
            let state = ExporterState()
            let service = PollService(watch: watch, store: store, state: state, broadcaster: EventBroadcaster(), interval: .seconds(5),
                                      exportPartitionMetrics: false, eventCounts: [:], logger: logger)
            var snapshots: [MetricsSnapshot] = []
            await service.pollOnce()
            clock.advance(by: .seconds(5))
            await service.pollOnce()
            snapshots.append(state.latestSnapshot())
            // Frozen: requests are taken and never answered; meanwhile 7 records land.
            source.script(.listOffsets) { _, _ in .hang }
            source.script(.describeProducers) { _, _ in .hang }
            source.layout.change(TopicPartition(topic: "orders", partition: 0)) { $0.latest = 12 }
            for _ in 0..<2 {
                clock.advance(by: .seconds(5))
                await service.pollOnce()
                snapshots.append(state.latestSnapshot())
            }
            source.clearScript(.listOffsets)
            source.clearScript(.describeProducers)
            clock.advance(by: .seconds(5))
            await service.pollOnce()
            snapshots.append(state.latestSnapshot())
            try await store.close()
            await watch.source.shutdown()
            await watch.destination.shutdown()
            return snapshots
        }
        await source.stop()
        await destination.stop()

        let orders = snapshots.map { $0.topics.first { $0.topic == "orders" } }
        #expect(snapshots[0].source.up)
        for frozen in snapshots[1...2] {
            #expect(!frozen.source.up)
            #expect(frozen.source.watchedPartitions == 2)
            #expect(frozen.source.answeredPartitions == 0)
            #expect(frozen.destination.up)
        }
        #expect(orders[1]?.sourceOffsets == 10, "the last complete value, not a partial sum")
        #expect(orders[2]?.sourceOffsets == 10)
        #expect(orders.allSatisfy { $0?.unproxiedSourceRecords == 0 }, "nothing counted from the frozen polls")
        #expect(snapshots[3].source.up)
        #expect(snapshots[3].source.answeredPartitions == 2)
        #expect(orders[3]?.sourceOffsets == 17)
    }
}
