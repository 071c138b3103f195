/// The scoped parse of an agent page: strict for our counters' families, tolerant for every
/// other family (skipped and counted), and no page at all for HTML or JSON bodies.
import Testing
@testable import Diagnostics

@Suite struct ExpositionScopeTests {
    static let names = ProxiedCounterNames()

    /// Broken lines of other families: skipped, counted, the first remembered; ours still read.
    @Test func brokenLinesOutsideOurFamiliesAreSkippedAndCounted() throws {
        let page = try ProxiedCounters.read(#"""
        # TYPE jvm_threads gauge
        # TYPE jvm_threads counter
        jvm_threads{state="RUNNABLE" 12
        {"utf8.metric.name", zone="a"} 1
        go_info{version="go1.22"} one
        weird-name 3
        # HELP bad_help escape \q here
        # TYPE kafka_proxy_produced_records_total counter
        kafka_proxy_produced_records_total{topic="orders",partition="0"} 10
        agent_ratio NaN
        agent_limit +Inf
        kafka_proxy_produced_records_total{topic="orders",partition="1"} 5
        """#)
        #expect(page.countersByTopic == ["orders": TopicCounters(records: 15, bytes: 0)])
        #expect(page.skippedLines == 6)
        #expect(page.firstSkipped == .duplicateType(line: 2, name: "jvm_threads"))
    }

    /// A broken line of our family, in any spelling, or a broken TYPE or HELP of it: the page
    /// is refused with the line.
    @Test(arguments: [
        (#"kafka_proxy_produced_records_total{topic="orders" 12"#, ExpositionError.expectedCommaOrBrace(line: 2)),
        (#"kafka_proxy_produced_bytes_total{topic="o\q"} 12"#, .invalidEscape(line: 2)),
        (#"kafka_proxy_produced_records_total{topic="orders"} 1,5"#, .invalidValue(line: 2, text: "1,5")),
        (#"kafka_proxy_produced_records{topic="orders"} twelve"#, .invalidValue(line: 2, text: "twelve")),
        (#"kafka_proxy_produced_records_created{topic="orders"} x"#, .invalidValue(line: 2, text: "x")),
        ("# TYPE kafka_proxy_produced_records_total countr", .invalidType(line: 2, text: "countr")),
        (#"# HELP kafka_proxy_produced_bytes_total bad \q"#, .invalidEscape(line: 2)),
        ("# TYPE kafka_proxy_produced_records_total gauge\n# TYPE kafka_proxy_produced_records_total counter",
         .duplicateType(line: 3, name: "kafka_proxy_produced_records_total")),
    ])
    func brokenLineOfOurFamilyRefusesThePage(line: String, expected: ExpositionError) {
        #expect(throws: ProxiedPageError.syntax(expected)) {
            try ProxiedCounters.read("go_goroutines 13\n" + line + "\n")
        }
    }

    @Test(arguments: [
        "<!DOCTYPE html>\n<html><body>Sign in</body></html>\n",
        #"{"status": "error", "message": "agent not ready"}"#,
    ])
    func aBodyWithNoExpositionLineIsNoPage(body: String) {
        #expect(throws: ProxiedPageError.syntax(.notExposition(line: 1))) { try ProxiedCounters.read(body) }
    }

    @Test func emptyPageIsAPageWithoutCounters() throws {
        #expect(try ProxiedCounters.read("").series.isEmpty)
        #expect(try ProxiedCounters.read("# only a comment\n\n").series.isEmpty)
    }

    @Test func contentAfterEOFRefusesThePage() {
        #expect(throws: ProxiedPageError.syntax(.contentAfterEOF(line: 3))) {
            try ProxiedCounters.read("a_total 1\n# EOF\nkafka_proxy_produced_records_total{topic=\"t\"} 1\n")
        }
    }

    /// Escaped label values in our family: the series keeps the unescaped text.
    @Test func escapedLabelValuesOfOurFamily() throws {
        let page = try ProxiedCounters.read(#"""
        kafka_proxy_produced_records_total{topic="orders",client_id="svc \"a\" \\ b\nc"} 4
        """#)
        let series = try #require(page.series.keys.first)
        #expect(series.labels["client_id"] == "svc \"a\" \\ b\nc")
    }

    /// The general strict parser still refuses what the scoped one skips.
    @Test func strictParserIsUnchanged() {
        #expect(throws: ExpositionError.invalidValue(line: 1, text: "one")) { try ExpositionParser.parse("go_info one\n") }
    }

    /// Error texts in logs are escaped and short, whatever the page held.
    @Test func errorTextIsEscapedAndCut() {
        let error = ExpositionError.invalidValue(line: 1, text: "1\r\n" + String(repeating: "x", count: 500))
        #expect(!error.description.contains("\r"))
        #expect(error.description.count < 120)
    }
}
