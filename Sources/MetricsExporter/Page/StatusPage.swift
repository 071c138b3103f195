/// `GET /` (CONTRACT §7): the status page, modelled on the Migration tab of the proxy's console.
/// One self-contained HTML document rendered from the latest `MetricsSnapshot` and the latest
/// stored events: inline CSS and JS only, so it works air-gapped, and complete without
/// JavaScript. The script only sorts the table and swaps in a fresh render of `#live` when the
/// event stream says something happened. Every value from outside (topic names, agent URLs,
/// event JSON) goes through `HTML.escape`.
import Diagnostics
import Foundation

public enum StatusPage {
    public static let contentType = "text/html; charset=utf-8"
    /// Events shown under "Latest events".
    public static let eventCount = 20

    /// The whole page. `events` are the latest stored events in any order; the newest is shown first.
    public static func render(snapshot: MetricsSnapshot, events: [EventPayload], now: Date) -> String {
        var html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        // An empty inline icon: without it every browser asks for /favicon.ico, which exporterd
        // does not serve, and logs the 404 as a console error on every load.
        html += "<link rel=\"icon\" href=\"data:,\">"
        html += "<title>exporterd: migration status</title><style>\(style)</style></head><body>"
        html += "<header><h1>Migration status</h1><span class=\"muted\">exporterd \(HTML.escape(snapshot.version))</span></header>"
        html += "<main id=\"live\">"
        html += live(snapshot: snapshot, events: events, now: now)
        html += "</main><script>\(script)</script></body></html>\n"
        return html
    }

    /// The part the script replaces on an update: everything that comes from the snapshot.
    static func live(snapshot: MetricsSnapshot, events: [EventPayload], now: Date) -> String {
        var html = "<p class=\"muted\" id=\"generated\">Rendered \(HTML.escape(RFC3339.string(from: now)))</p>"
        html += summary(snapshot.topics)
        html += topicTable(snapshot.topics, now: now)
        html += health(snapshot)
        html += eventList(events)
        return html
    }

    static func summary(_ topics: [TopicStatus]) -> String {
        var html = "<section aria-label=\"Topics per state\" class=\"summary\">"
        for state in MigrationState.allCases {
            let count = topics.filter { $0.state == state }.count
            html += "<div class=\"tile \(stateClass(state))\"><span class=\"n\">\(count)</span> \(state.rawValue)</div>"
        }
        let unknown = topics.filter { $0.state == nil }.count
        if unknown > 0 {
            html += "<div class=\"tile s-unknown\"><span class=\"n\">\(unknown)</span> no state yet</div>"
        }
        return html + "</section>"
    }

    static func topicTable(_ topics: [TopicStatus], now: Date) -> String {
        guard !topics.isEmpty else {
            return "<section><h2>Topics</h2><p class=\"empty\">No watched topics yet: waiting for the first poll and the state source.</p></section>"
        }
        let headers = [
            ("Topic", "s"), ("State", "s"), ("Since", "n"), ("Offset lag", "n"), ("Time lag", "n"),
            ("Proxied records", "n"), ("Unproxied", "n"), ("Post-migration", "n"), ("Diagnostics", "s"), ("Cutover ready", "n"),
        ]
        var html = "<section><h2>Topics</h2><div class=\"scroll\"><table id=\"topics\"><thead><tr>"
        for (index, header) in headers.enumerated() {
            html += "<th data-col=\"\(index)\" data-type=\"\(header.1)\" tabindex=\"0\">\(header.0)</th>"
        }
        html += "</tr></thead><tbody>"
        for topic in topics { html += row(topic, now: now) }
        return html + "</tbody></table></div></section>"
    }

    static func row(_ topic: TopicStatus, now: Date) -> String {
        let complete = topic.state == .complete
        // As on /metrics and the API: a COMPLETE topic has no replication lag any more.
        let offsetLag = complete ? nil : topic.offsetLag
        let timeLag = complete ? nil : topic.timeLagSeconds
        let diagnostics = Diagnostic.allCases.filter { topic.diagnostics.contains($0) }
        var html = "<tr data-topic=\"\(HTML.escape(topic.topic))\">"
        var name = HTML.escape(topic.topic)
        if topic.destinationTopic != topic.topic { name += "<br><span class=\"muted\">→ \(HTML.escape(topic.destinationTopic))</span>" }
        html += cell(name, sort: HTML.escape(topic.topic), label: "Topic")
        let badge: String
        if let state = topic.state {
            var text = state.rawValue
            if let reported = topic.reportedState, reported != state { text += " (reported \(reported.rawValue))" }
            badge = "<span class=\"badge \(stateClass(state))\">\(HTML.escape(text))</span>"
        } else {
            badge = "<span class=\"badge s-unknown\">unknown</span>"
        }
        html += cell(badge, sort: topic.state.map { String(stateOrder($0)) } ?? "9", label: "State")
        if let since = topic.since {
            let stamp = HTML.escape(RFC3339.string(from: since))
            html += cell("<time datetime=\"\(stamp)\" title=\"\(stamp)\">\(duration(now.timeIntervalSince(since))) ago</time>",
                         sort: String(since.timeIntervalSince1970), label: "Since")
        } else {
            html += cell("–", sort: "", label: "Since")
        }
        html += cell(offsetLag.map { grouped(Double($0)) } ?? "–", sort: offsetLag.map { String($0) } ?? "", label: "Offset lag")
        html += cell(timeLag.map { duration($0) } ?? "–", sort: timeLag.map { String($0) } ?? "", label: "Time lag")
        html += cell(grouped(topic.proxiedRecords), sort: String(topic.proxiedRecords), label: "Proxied records")
        html += cell(counter(topic.unproxiedSourceRecords), sort: String(topic.unproxiedSourceRecords), label: "Unproxied")
        html += cell(counter(topic.postMigrationSourceRecords), sort: String(topic.postMigrationSourceRecords), label: "Post-migration")
        let diagnosticText = diagnostics.isEmpty
            ? "<span class=\"muted\">none</span>"
            : diagnostics.map { "<span class=\"diag\">\($0.rawValue)</span>" }.joined(separator: " ")
        html += cell(diagnosticText, sort: diagnostics.map(\.rawValue).joined(separator: ","), label: "Diagnostics")
        // As on /metrics: only a PROXY topic can initiate a cutover, for the others the question does not arise.
        if topic.state == .proxy {
            let ready = topic.cutoverReady ? "<span class=\"ok\">yes</span>" : "<span class=\"muted\">no</span>"
            html += cell(ready, sort: topic.cutoverReady ? "1" : "0", label: "Cutover ready")
        } else {
            html += cell("–", sort: "", label: "Cutover ready")
        }
        return html + "</tr>"
    }

    static func health(_ snapshot: MetricsSnapshot) -> String {
        var html = "<section><h2>Exporter health</h2><ul class=\"health\">"
        for (role, cluster) in [(ClusterRole.source, snapshot.source), (.destination, snapshot.destination)] {
            html += item(cluster.up, "\(role.rawValue) cluster",
                         "\(cluster.up ? "up" : "down"), partitions answered \(cluster.answeredPartitions)/\(cluster.watchedPartitions)")
        }
        let agentsUp = snapshot.proxyTargets.filter(\.up).count
        html += item(agentsUp == snapshot.proxyTargets.count, "proxy agents", "\(agentsUp)/\(snapshot.proxyTargets.count) up")
        for target in snapshot.proxyTargets where !target.up {
            html += "<li class=\"sub\">\(HTML.escape(target.target)): \(HTML.escape(target.error ?? "down"))</li>"
        }
        html += item(snapshot.stateSourceUp, "state source", snapshot.stateSourceUp ? "up" : "down")
        html += item(snapshot.store.up, "store", (snapshot.store.up ? "up" : "down") + ", \(snapshot.store.commitFailures) failed commits")
        return html + "</ul></section>"
    }

    static func eventList(_ events: [EventPayload]) -> String {
        guard !events.isEmpty else {
            return "<section><h2>Latest events</h2><p class=\"empty\">No migration events recorded yet.</p></section>"
        }
        var html = "<section><h2>Latest events</h2><ol class=\"events\">"
        for event in events.sorted(by: { $0.seq > $1.seq }).prefix(eventCount) {
            let fields = EventFields(event)
            html += "<li><span class=\"muted\">#\(event.seq) \(HTML.escape(fields.at))</span> <b>\(HTML.escape(fields.type))</b> "
            html += HTML.escape(event.topic)
            if let from = fields.from, let to = fields.to { html += " \(HTML.escape(from)) → \(HTML.escape(to))" }
            if let details = fields.details { html += " <code>\(HTML.escape(details))</code>" }
            html += "</li>"
        }
        return html + "</ol></section>"
    }

    // MARK: - pieces

    private static func cell(_ content: String, sort: String, label: String) -> String {
        "<td data-label=\"\(label)\" data-v=\"\(sort)\">\(content)</td>"
    }

    private static func item(_ good: Bool, _ name: String, _ text: String) -> String {
        "<li><span class=\"dot \(good ? "ok" : "bad")\" aria-hidden=\"true\"></span><b>\(name)</b>: \(HTML.escape(text))</li>"
    }

    private static func counter(_ value: Int64) -> String {
        value == 0 ? "0" : "<span class=\"bad\">\(grouped(Double(value)))</span>"
    }

    static func stateClass(_ state: MigrationState) -> String { "s-" + state.rawValue.lowercased() }

    private static func stateOrder(_ state: MigrationState) -> Int { MigrationState.allCases.firstIndex(of: state) ?? 9 }

    /// Thousands separated by a thin space, so the column reads the same in every locale.
    static func grouped(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        let digits = String(Int64(value.rounded()).magnitude)
        var out = ""
        for (index, char) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "\u{2009}" }
            out.append(char)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// `45.2 s`, `12m 5s`, `3h 4m`, `2d 1h`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "–" }
        let s = max(0, seconds)
        if s < 60 { return String(format: "%.1f s", s) }
        let whole = Int(s)
        if whole < 3600 { return "\(whole / 60)m \(whole % 60)s" }
        if whole < 86400 { return "\(whole / 3600)h \(whole % 3600 / 60)m" }
        return "\(whole / 86400)d \(whole % 86400 / 3600)h"
    }
}

/// The fields of a stored event's JSON the page shows. The JSON is the daemon's own rendering;
/// a field it lacks shows as "?" rather than failing the page.
struct EventFields {
    var at = "?"
    var type = "?"
    var from: String?
    var to: String?
    var details: String?

    init(_ event: EventPayload) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(event.json.utf8)) as? [String: Any] else { return }
        at = object["at"] as? String ?? "?"
        type = object["type"] as? String ?? "?"
        from = object["from"] as? String
        to = object["to"] as? String
        if let value = object["details"], !(value is NSNull),
           let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) {
            details = String(decoding: data, as: UTF8.self)
        }
    }
}

/// HTML text and attribute escaping: the five characters that can end a text node or a quoted attribute.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for char in text.unicodeScalars {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(char)
            }
        }
        return out
    }
}
