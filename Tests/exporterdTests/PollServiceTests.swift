/// One poll through `PollService.pollOnce` with no broker at all (both clusters refuse
/// connections): the agents and the state source still answer, so the poll must publish what
/// it could read and commit the proxied totals, and show both clusters down (CONTRACT §4
/// cluster_up, proxy_target_up, state_source_up). Polls against brokers are the integration
/// tests' business.
import Diagnostics
import Foundation
import Hummingbird
import Logging
import MetricsExporter
import SourceWatcher
import SourceWatcherTestSupport
import Testing
@testable import exporterd

@Suite struct PollServiceTests {
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next(by step: Int) -> Int { lock.withLock { value += step; return value } }
    }

    @Test func pollWithBothClustersDownPublishesAndCommitsWhatItRead() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-poll-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let statePath = directory.appendingPathComponent("state.yaml").path
        try Data("topics:\n  - {topic: orders, state: PROXY, since: 2026-11-24T10:00:00Z}\n".utf8)
            .write(to: URL(fileURLWithPath: statePath))
        var logger = Logger(label: "poll-service-test")
        logger.logLevel = .critical
        let records = Counter()

        let (snapshots, stored) = try await withLocalHTTPServer({ router in
            router.get("/metrics") { _, _ in
                let value = records.next(by: 10)
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string:
                    "kafka_proxy_produced_records_total{topic=\"orders.v2\"} \(value)\nkafka_proxy_produced_bytes_total{topic=\"orders.v2\"} \(value * 100)\n")))
            }
        }) { base in
            let refused = [BrokerAddress(host: "127.0.0.1", port: 1)]
            let proxy = ProxyMetricsSettings(targets: [base + "/metrics"], timeout: .seconds(5))
            let watch = MigrationWatch(
                source: KafkaCluster(name: "source", bootstrapBrokers: refused, logger: logger),
                destination: KafkaCluster(name: "destination", bootstrapBrokers: refused, logger: logger),
                selection: TopicSelection(mappings: [TopicMapping(sourceTopic: "orders", destinationTopic: "orders.v2")], regex: nil),
                agents: ProxyAgents(settings: proxy, client: .shared),
                stateSource: MigrationStateSource(settings: MigrationStateSettings(location: .file(statePath)), client: .shared, environment: [:]),
                accounting: MigrationAccounting(configuration: AccountingConfiguration()),
                proxiedTotals: ProxiedCounterTotals(), logger: logger)
            let store = try await MigrationStore.open(dataDirectory: directory.appendingPathComponent("data").path, logger: logger)
            let state = ExporterState()
            let service = PollService(watch: watch, store: store, state: state, broadcaster: EventBroadcaster(), interval: .seconds(5),
                                      exportPartitionMetrics: false, eventCounts: [:], logger: logger)
            await service.pollOnce()
            let first = state.latestSnapshot()
            await service.pollOnce()
            let second = state.latestSnapshot()
            let stored = try await store.restore()
            try await store.close()
            return ([first, second], stored)
        }

        for snapshot in snapshots {
            #expect(!snapshot.source.up)
            #expect(!snapshot.destination.up)
            #expect(snapshot.source.lastSuccessfulPoll == nil)
            #expect(snapshot.stateSourceUp)
            #expect(snapshot.proxyTargets.map(\.up) == [true])
        }
        let orders = try #require(snapshots[1].topics.first { $0.topic == "orders" })
        #expect(orders.destinationTopic == "orders.v2")
        #expect(orders.state == .proxy)
        #expect(orders.proxiedRecords == 20)  // first sighting 10, then +10
        #expect(orders.sourceOffsets == nil)  // no sum from a cluster that did not answer

        let state = try #require(stored)
        #expect(state.polls == 2)
        let totals = try #require(try state.document(ProxiedCounterTotals.self, named: StoredDocumentName.proxied))
        #expect(totals.totals(forSourceTopic: "orders") == TopicCounters(records: 20, bytes: 2000))
    }

    /// The loop sleeps on the injected clock: after a poll it waits for `poll_interval` of the
    /// test's time, not of real time, and polls again as soon as that time has passed.
    @Test func theLoopWaitsForPollIntervalOnTheInjectedClock() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-loop-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let statePath = directory.appendingPathComponent("state.yaml").path
        try Data("topics: []\n".utf8).write(to: URL(fileURLWithPath: statePath))
        var logger = Logger(label: "poll-loop-test")
        logger.logLevel = .critical
        let scrapes = Counter()
        let clock = ManualTimeSource()

        let polls = try await withLocalHTTPServer({ router in
            router.get("/metrics") { _, _ in
                _ = scrapes.next(by: 1)
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "")))
            }
        }) { base in
            let refused = [BrokerAddress(host: "127.0.0.1", port: 1)]
            let watch = MigrationWatch(
                source: KafkaCluster(name: "source", bootstrapBrokers: refused, clock: clock, logger: logger),
                destination: KafkaCluster(name: "destination", bootstrapBrokers: refused, clock: clock, logger: logger),
                selection: TopicSelection(mappings: [TopicMapping(sourceTopic: "orders", destinationTopic: "orders")], regex: nil),
                agents: ProxyAgents(settings: ProxyMetricsSettings(targets: [base + "/metrics"], timeout: .seconds(2)), client: .shared),
                stateSource: MigrationStateSource(settings: MigrationStateSettings(location: .file(statePath)), client: .shared, environment: [:]),
                accounting: MigrationAccounting(configuration: AccountingConfiguration()),
                proxiedTotals: ProxiedCounterTotals(), logger: logger, clock: clock)
            let store = try await MigrationStore.open(dataDirectory: directory.appendingPathComponent("data").path, logger: logger)
            let service = PollService(watch: watch, store: store, state: ExporterState(), broadcaster: EventBroadcaster(),
                                      interval: .seconds(5), exportPartitionMetrics: false, eventCounts: [:], logger: logger)
            let loop = Task { try await service.run() }
            /// Waits (boundedly, in real time) until the loop is asleep on the test's clock.
            func asleep() async throws {
                for _ in 0..<500 where clock.sleeperCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            var polls: [Int] = []
            try await asleep()
            polls.append(scrapes.next(by: 0))
            clock.advance(by: .seconds(4))
            try await Task.sleep(for: .milliseconds(50))
            polls.append(scrapes.next(by: 0))
            clock.advance(by: .seconds(1))
            // Well under the 5 s a real-time sleep would take.
            for _ in 0..<200 where scrapes.next(by: 0) < 2 { try await Task.sleep(for: .milliseconds(10)) }
            try await asleep()
            polls.append(scrapes.next(by: 0))
            loop.cancel()
            _ = try? await loop.value
            return polls
        }
        #expect(polls == [1, 1, 2])
    }
}
