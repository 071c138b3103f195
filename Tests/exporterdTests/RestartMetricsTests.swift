/// What a restarted exporterd serves on `/metrics` before its first poll: the event counts it
/// resumes from data_dir, never the zeros Prometheus would read as a counter reset (found by
/// scripts/soak, which scrapes a restarting exporterd before /readyz).
import Diagnostics
import Foundation
import Logging
import MetricsExporter
import Testing
@testable import exporterd

@Suite struct RestartMetricsTests {
    @Test func eventCountsBeforeTheFirstPollAreTheStoredOnes() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let store = try await MigrationStore.open(dataDirectory: dir.path)
        try await store.commitPoll(documents: [:], events: [
            event("orders", .enabled, from: .reject, to: .proxy), event("payments", .enabled, from: .reject, to: .proxy),
            event("orders", .unproxiedWritesDetected),
        ])
        try await store.close()

        let reopened = try await MigrationStore.open(dataDirectory: dir.path)
        let restored = await RunCommand.restore(from: reopened, logger: Logger(label: "restart-metrics-test"))
        try await reopened.close()
        let page = MetricsPage.renderText(ExporterState(initial: restored.metricsBeforeFirstPoll).latestSnapshot())
        #expect(page.contains(#"kafka_migration_events_total{type="ENABLED"} 2"#))
        #expect(page.contains(#"kafka_migration_events_total{type="UNPROXIED_WRITES_DETECTED"} 1"#))
        #expect(page.contains(#"kafka_migration_events_total{type="INITIATED"} 0"#))
        // What the daemon served before: the empty snapshot, every type at 0.
        #expect(!MetricsPage.renderText(.beforeFirstPoll).contains(#"kafka_migration_events_total{type="ENABLED"} 2"#))
    }
}
