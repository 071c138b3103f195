/// A poll whose commit to data_dir fails (disk full, read-only, I/O error): the daemon goes on,
/// shows `kafka_migration_store_up 0` and counts the failure, keeps the poll's events and
/// counters in memory, and the next commit that succeeds stores them once, in order, with no
/// gap and no duplicate (CONTRACT §4 counters resume, §6 events).
import Diagnostics
import Foundation
import Hummingbird
import Logging
import MetricsExporter
import SourceWatcher
import Testing
@testable import exporterd

@Suite struct StoreFailureTests {
    @Test func aFailedCommitIsShownKeptInMemoryAndStoredOnceByTheNextCommit() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-store-fail-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let statePath = directory.appendingPathComponent("state.yaml").path
        func writeState(_ state: String) throws {
            try Data("topics:\n  - {topic: orders, state: \(state), since: 2026-11-24T10:00:00Z}\n".utf8)
                .write(to: URL(fileURLWithPath: statePath))
        }
        try writeState("PROXY")
        var logger = Logger(label: "store-failure-test")
        logger.logLevel = .critical

        try await withLocalHTTPServer({ router in
            router.get("/metrics") { _, _ in
                Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string:
                    "kafka_proxy_produced_records_total{topic=\"orders\"} 5\nkafka_proxy_produced_bytes_total{topic=\"orders\"} 500\n")))
            }
        }) { base in
            let refused = [BrokerAddress(host: "127.0.0.1", port: 1)]
            let watch = MigrationWatch(
                source: KafkaCluster(name: "source", bootstrapBrokers: refused, logger: logger),
                destination: KafkaCluster(name: "destination", bootstrapBrokers: refused, logger: logger),
                selection: TopicSelection(mappings: [TopicMapping(sourceTopic: "orders", destinationTopic: "orders")], regex: nil),
                agents: ProxyAgents(settings: ProxyMetricsSettings(targets: [base + "/metrics"], timeout: .seconds(5)), client: .shared),
                stateSource: MigrationStateSource(settings: MigrationStateSettings(location: .file(statePath)), client: .shared, environment: [:]),
                accounting: MigrationAccounting(configuration: AccountingConfiguration()),
                proxiedTotals: ProxiedCounterTotals(), logger: logger)
            let store = try await MigrationStore.open(dataDirectory: directory.appendingPathComponent("data").path, logger: logger)
            let state = ExporterState()
            let broadcaster = EventBroadcaster()
            let service = PollService(watch: watch, store: store, state: state, broadcaster: broadcaster, interval: .seconds(5),
                                      exportPartitionMetrics: false, eventCounts: [:], logger: logger)

            await service.pollOnce()
            #expect(state.latestSnapshot().store == StoreHealth(up: true, commitFailures: 0))

            // PROXY → REJECT: a DISABLED event, whose commit fails.
            try writeState("REJECT")
            await store.inject(.afterEvents)
            await service.pollOnce()
            let failed = state.latestSnapshot()
            #expect(failed.store == StoreHealth(up: false, commitFailures: 1))
            #expect(failed.eventCounts[.disabled, default: 0] == 0, "not counted before it is stored")
            #expect(try await store.events(limit: 10).isEmpty)

            // The disk is back: the pending event is stored once, numbered 1.
            await store.inject(nil)
            await service.pollOnce()
            let recovered = state.latestSnapshot()
            #expect(recovered.store == StoreHealth(up: true, commitFailures: 1))
            #expect(recovered.eventCounts[.disabled] == 1)
            let events = try await store.events(limit: 10)
            #expect(events.map(\.seq) == [1])
            #expect(events.map(\.event.type) == [.disabled])

            // And nothing is stored twice by a later poll.
            await service.pollOnce()
            #expect(try await store.events(limit: 10).map(\.seq) == [1])
            #expect(try await store.restore()?.polls == 3)
            try await store.close()
        }
    }
}
