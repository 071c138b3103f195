/// `StatusPage.render`: every topic with its state, health and events in the first render,
/// hostile names escaped, an empty exporter rendered as such, nothing loaded from elsewhere.
import Diagnostics
import Foundation
import Testing
@testable import MetricsExporter

@Suite struct StatusPageTests {
    let now = MetricsFixtures.tenOClock.addingTimeInterval(900)

    private func page(_ snapshot: MetricsSnapshot = MetricsFixtures.golden, events: [EventPayload] = []) -> String {
        StatusPage.render(snapshot: snapshot, events: events, now: now)
    }

    /// The `<tr>` of one topic.
    private func row(_ html: String, topic: String) throws -> Substring {
        let start = try #require(html.range(of: "<tr data-topic=\"\(topic)\">"))
        let end = try #require(html.range(of: "</tr>", range: start.upperBound..<html.endIndex))
        return html[start.lowerBound..<end.upperBound]
    }

    @Test func everyTopicHasARowWithItsStateBadge() throws {
        let html = page()
        let expected: [(String, String)] = [
            ("orders", "s-proxy\">PROXY"), ("payments.eu", "s-migrating\">MIGRATING"), ("audit", "s-complete\">COMPLETE"),
            ("inventory", "s-reject\">REJECT"), ("clicks", "s-proxy\">PROXY"), ("fresh", "s-unknown\">unknown"),
        ]
        for (topic, badge) in expected {
            #expect(try row(html, topic: topic).contains("class=\"badge \(badge)</span>"), "\(topic)")
        }
        #expect(html.components(separatedBy: "<tr data-topic=").count - 1 == MetricsFixtures.golden.topics.count)
    }

    @Test func summaryCountsTopicsPerState() {
        let html = page()
        #expect(html.contains("<div class=\"tile s-reject\"><span class=\"n\">1</span> REJECT</div>"))
        #expect(html.contains("<div class=\"tile s-proxy\"><span class=\"n\">2</span> PROXY</div>"))
        #expect(html.contains("<div class=\"tile s-migrating\"><span class=\"n\">1</span> MIGRATING</div>"))
        #expect(html.contains("<div class=\"tile s-complete\"><span class=\"n\">1</span> COMPLETE</div>"))
        #expect(html.contains("<span class=\"n\">1</span> no state yet"))
    }

    @Test func rowsShowLagsCountersDiagnosticsAndCutover() throws {
        let html = page()
        let orders = try row(html, topic: "orders")
        #expect(orders.contains("data-label=\"Offset lag\" data-v=\"50\">50<"))
        #expect(orders.contains("data-label=\"Time lag\" data-v=\"1.25\">1.2 s<") || orders.contains(">1.3 s<"))
        #expect(orders.contains("data-label=\"Proxied records\" data-v=\"9000.0\">9\u{2009}000<"))
        #expect(orders.contains("<span class=\"bad\">3</span>"))
        #expect(orders.contains("<span class=\"diag\">unproxied_source_writes</span>"))
        #expect(orders.contains("title=\"\(RFC3339.string(from: MetricsFixtures.tenOClock))\">15m 0s ago"))
        let payments = try row(html, topic: "payments.eu")
        #expect(payments.contains("→ payments-eu"))
        for diagnostic in ["migration_stalled", "migration_timeout_risk", "direct_source_producers"] {
            #expect(payments.contains("<span class=\"diag\">\(diagnostic)</span>"))
        }
        #expect(try row(html, topic: "clicks").contains("<span class=\"ok\">yes</span>"))
        // Cutover readiness is a PROXY topic's question: the others show none, not "no".
        for topic in ["payments.eu", "audit", "inventory"] {
            #expect(try row(html, topic: topic).contains("data-label=\"Cutover ready\" data-v=\"\">–<"), "\(topic)")
        }
        // COMPLETE: no replication lag any more, even if the status still holds a stale one.
        let audit = try row(html, topic: "audit")
        #expect(audit.contains("data-label=\"Offset lag\" data-v=\"\">–<"))
        #expect(audit.contains("data-label=\"Time lag\" data-v=\"\">–<"))
        #expect(audit.contains("data-label=\"Post-migration\" data-v=\"10\"><span class=\"bad\">10</span>"))
    }

    @Test func exporterHealthIsShown() {
        let html = page()
        #expect(html.contains("<b>source cluster</b>: up, partitions answered 9/9"))
        #expect(html.contains("<b>destination cluster</b>: down, partitions answered 7/9"))
        #expect(html.contains("<b>proxy agents</b>: 1/2 up"))
        #expect(html.contains("http://agent-2:8080/metrics: down"))
        #expect(html.contains("<b>state source</b>: up"))
        #expect(html.contains("<b>store</b>: down, 2 failed commits"))
    }

    @Test func hostileNamesAndEventsAreEscaped() {
        let hostile = "<script>alert(1)</script>"
        var snapshot = MetricsFixtures.golden
        snapshot.topics.append(TopicStatus(topic: hostile, destinationTopic: "\"><img src=x onerror=alert(2)>", state: .proxy))
        snapshot.proxyTargets.append(ProxyTargetMetrics(target: "http://a/'<b>", up: false, error: "</li><script>alert(3)</script>"))
        let event = EventPayload(
            seq: 1, topic: hostile,
            json: #"{"seq":1,"at":"<i>","topic":"<script>alert(1)</script>","type":"ENABLED</b>","from":"REJECT","to":"PROXY","details":{"note":"</code><script>alert(4)</script>"}}"#)
        let html = page(snapshot, events: [event])
        // The page's own script is the only one.
        #expect(html.components(separatedBy: "<script").count - 1 == 1)
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>'"))
        #expect(!html.contains("<i>"))
        #expect(html.contains("<tr data-topic=\"&lt;script&gt;alert(1)&lt;/script&gt;\">"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"))
        #expect(html.contains("&lt;/code&gt;&lt;script&gt;alert(4)&lt;/script&gt;"))
    }

    @Test func emptyExporterSaysSo() {
        let html = StatusPage.render(snapshot: .beforeFirstPoll, events: [], now: now)
        #expect(html.contains("No watched topics yet"))
        #expect(html.contains("No migration events recorded yet."))
        #expect(!html.contains("<table"))
        for state in MigrationState.allCases {
            #expect(html.contains("<span class=\"n\">0</span> \(state.rawValue)</div>"))
        }
        #expect(!html.contains("no state yet"))
        #expect(html.contains("<b>proxy agents</b>: 0/0 up"))
    }

    @Test func latestEventsNewestFirstAndBounded() {
        let events = EventFixtures.sequence(1...30)
        let html = page(events: events.shuffled())
        let positions = [30, 29, 11].map { html.range(of: "#\($0) ")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions[0]! < positions[1]! && positions[1]! < positions[2]!)
        #expect(!html.contains("#10 "))
        #expect(html.contains("<b>ENABLED</b> orders REJECT → PROXY <code>{&quot;offset_lag&quot;:12,&quot;time_lag_seconds&quot;:0.5}</code>"))
        #expect(html.contains("<b>UNPROXIED_WRITES_DETECTED</b> payments <code>"))
    }

    @Test func pageIsSelfContained() {
        let html = page(events: EventFixtures.sequence(1...3))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        // The one <link> is the inline icon (see the next test).
        let withoutIcon = html.replacingOccurrences(of: StatusPageTests.inlineIcon, with: "")
        for external in ["<link", " src=", "@import", "url(", "https://"] {
            #expect(!withoutIcon.contains(external), "\(external)")
        }
        // The only URLs are the agents' own targets, shown as text.
        let withoutAgents = html.replacingOccurrences(of: "http://agent-2:8080/metrics", with: "")
        #expect(!withoutAgents.contains("http://"))
        #expect(html.contains("<meta name=\"viewport\""))
        #expect(html.contains("@media (max-width:720px)"))
    }

    static let inlineIcon = "<link rel=\"icon\" href=\"data:,\">"

    /// Found by the headless Chromium test: without an icon in the page, the browser requests
    /// /favicon.ico, gets 404 and logs a console error on every load.
    @Test func iconIsInlineSoBrowsersRequestNoFavicon() throws {
        let html = page()
        let head = try #require(html.range(of: "</head>")).lowerBound
        let icon = try #require(html.range(of: StatusPageTests.inlineIcon))
        #expect(icon.upperBound <= head)
        #expect(html.components(separatedBy: "<link").count - 1 == 1)
    }

    @Test func numbersAndDurationsReadWell() {
        #expect(StatusPage.grouped(0) == "0")
        #expect(StatusPage.grouped(999) == "999")
        #expect(StatusPage.grouped(1_234_567) == "1\u{2009}234\u{2009}567")
        #expect(StatusPage.grouped(-1_000) == "-1\u{2009}000")
        #expect(StatusPage.duration(4.25) == "4.2 s" || StatusPage.duration(4.25) == "4.3 s")
        #expect(StatusPage.duration(61) == "1m 1s")
        #expect(StatusPage.duration(3_725) == "1h 2m")
        #expect(StatusPage.duration(90_000) == "1d 1h")
        #expect(StatusPage.duration(-5) == "0.0 s")
    }
}
