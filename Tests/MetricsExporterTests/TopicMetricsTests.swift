/// The poll loop's conversion from the accounting's `TopicStatus` to `TopicMetrics`, on a
/// status produced by the real engine.
import Diagnostics
import Foundation
import Testing
@testable import MetricsExporter

@Suite struct TopicMetricsTests {
    @Test func statusFromTheAccountingCarriesOver() throws {
        let at = MetricsFixtures.tenOClock
        var accounting = MigrationAccounting(configuration: AccountingConfiguration())
        let outcome = accounting.observe(PollObservation(
            at: at,
            proxied: nil,  // an agent down: proxy_counters_incomplete fires
            stateDocument: MigrationStateDocument(topics: [
                TopicStateReport(topic: "orders", state: .proxy, since: at.addingTimeInterval(-60)),
            ]),
            topics: [
                TopicRead(
                    topic: "orders", sourceReadAt: at, sourceHighWatermarks: [0: 100, 1: 50],
                    destinationHighWatermarks: [0: 90, 1: 50], timeLagSeconds: 2.5),
            ]))
        let status = try #require(outcome.topics.first)
        let metrics = TopicMetrics(
            status: status, destinationTopic: "orders-v2", proxied: TopicCounters(records: 12, bytes: 3_400),
            directSourceProducers: true)

        #expect(metrics.topic == "orders")
        #expect(metrics.destinationTopic == "orders-v2")
        #expect(metrics.state == status.state)
        #expect(metrics.since == status.since)
        #expect(metrics.sourceOffsets == status.sourceOffsets)
        #expect(metrics.destinationOffsets == status.destinationOffsets)
        #expect(metrics.offsetLag == status.offsetLag)
        #expect(metrics.partitionOffsetLags == status.partitionOffsetLags)
        #expect(metrics.timeLagSeconds == status.timeLagSeconds)
        #expect(metrics.proxiedRecords == 12)
        #expect(metrics.proxiedBytes == 3_400)
        #expect(metrics.cutoverReady == status.cutoverReady)
        #expect(metrics.diagnostics.contains(.directSourceProducers))
        #expect(metrics.diagnostics.contains(.proxyCountersIncomplete))
        #expect(metrics.diagnostics.count == status.diagnostics.count + 1)
        for diagnostic in status.diagnostics {
            #expect(metrics.diagnostics.contains(TopicDiagnostic(diagnostic)))
        }
    }

    /// The page's diagnostic names are the engine's, spelled alike.
    @Test func everyEngineDiagnosticKeepsItsName() {
        for diagnostic in Diagnostic.allCases {
            #expect(TopicDiagnostic(diagnostic).rawValue == diagnostic.rawValue)
        }
        #expect(TopicDiagnostic.allCases.count == Diagnostic.allCases.count)
    }
}
