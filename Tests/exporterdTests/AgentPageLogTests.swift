/// What reading agent pages writes to the log: one debug line per scrape for the lines of
/// other families it skipped, a warning naming a missing series, and never a raw control
/// character from a page (a carriage return in a label value must not forge a log line).
import Diagnostics
import Foundation
import Hummingbird
import Logging
import Testing
@testable import exporterd

/// A log handler that keeps what it is given.
final class CapturedLog: LogHandler, @unchecked Sendable {
    // @unchecked: `entries` is guarded by `lock`.
    struct Entry {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }
    private let lock = NSLock()
    private var stored: [Entry] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let entry = Entry(level: event.level, message: "\(event.message)",
                          metadata: (event.metadata ?? [:]).mapValues { "\($0)" })
        lock.withLock { stored.append(entry) }
    }

    var entries: [Entry] { lock.withLock { stored } }
    var logger: Logger { Logger(label: "test") { _ in self } }
}

@Suite struct AgentPageLogTests {
    @Test func skippedLinesGiveOneDebugLinePerScrape() async throws {
        let log = CapturedLog()
        let page = """
            go_info{version="go1.22"} one
            weird-name 3
            kafka_proxy_produced_records_total{topic="orders"} 4

            """
        let read = try await withLocalHTTPServer({ router in
            router.get("/metrics", use: ProxyAgentsTests.serving(page))
        }) { base in
            await ProxyAgents(settings: ProxyMetricsSettings(targets: [base + "/metrics"]), client: .shared, logger: log.logger).scrape()
        }
        #expect(try read.pages.values.first?.get().countersByTopic["orders"] == TopicCounters(records: 4, bytes: 0))
        let debug = log.entries.filter { $0.level == .debug }
        #expect(debug.count == 1)
        #expect(debug.first?.metadata["skipped"] == "2")
        #expect(debug.first?.metadata["first"] == #"line 1: invalid value "one""#)
    }

    @Test func missingSeriesIsLoggedEscaped() throws {
        let log = CapturedLog()
        var totals = ProxiedCounterTotals()
        let before = try ProxiedCounters.read(#"""
        kafka_proxy_produced_records_total{topic="orders",client_id="evil\nFAKE exporterd: all clear"} 4
        kafka_proxy_produced_records_total{topic="orders",client_id="good"} 4
        """#)
        let after = try ProxiedCounters.read(#"kafka_proxy_produced_records_total{topic="orders",client_id="good"} 5"#)
        let at = Date(timeIntervalSince1970: 1_764_000_000)
        for page in [before, after] {
            _ = MigrationWatch.proxiedRead(ProxyAgents.Read(readAt: at, pages: ["a": .success(page)]),
                                           sourceTopics: ["orders": "orders"], totals: &totals, logger: log.logger)
        }
        let warning = try #require(log.entries.first { $0.level == .warning })
        let series = try #require(warning.metadata["series"])
        #expect(series.contains(#"client_id="evil\u{a}FAKE exporterd: all clear""#))
        #expect(!series.contains("\n"))
    }
}
