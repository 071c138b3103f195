/// The audit as one self-contained HTML file: inline CSS, no script, no external asset (it is
/// attached to change tickets and opened offline), laid out to print on A4 (`@media print`:
/// no background colours needed to read a verdict, no topic split across pages where it can
/// be helped). Every name and detail goes through `HTML.escape`.
import Diagnostics
import Foundation

public enum AuditHTML {
    public static func render(_ report: AuditReport, version: String = BuildInfo.version) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Pre-decommission audit: \(report.verdict.rawValue)</title>
            <style>\(style)</style></head><body>
            """
        html += "<header><h1>Pre-decommission audit <span class=\"verdict \(cssClass(report.verdict))\" id=\"verdict\">\(report.verdict.rawValue)</span></h1>"
        html += "<p class=\"muted\">Generated \(HTML.escape(RFC3339.string(from: report.generatedAt))) by exporterd \(HTML.escape(version)). "
        html += "Exit code <strong id=\"exit-code\">\(report.exitCode)</strong>"
        html += report.verified ? ".</p>" : " — some evidence could not be read; nothing it touches is SAFE.</p>"
        html += "<p class=\"muted\">Unmigrated topics: source topics no mapping covers, with records since \(HTML.escape(RFC3339.string(from: report.recentSince))).</p></header>"

        html += "<table class=\"summary\"><thead><tr><th>Topic</th><th>Destination</th><th>State</th><th>Verdict</th></tr></thead><tbody>"
        for topic in report.topics {
            let state = topic.evidence.state.value?.state.rawValue ?? "unknown"
            html += "<tr data-topic=\"\(HTML.escape(topic.topic))\"><td>\(HTML.escape(topic.topic))</td><td>\(HTML.escape(topic.destinationTopic))</td>"
            html += "<td>\(state)</td><td>\(badge(topic.verdict))</td></tr>"
        }
        for entry in report.unmigratedTopics {
            html += "<tr data-topic=\"\(HTML.escape(entry.topic))\"><td>\(HTML.escape(entry.topic))</td><td class=\"muted\">no mapping</td>"
            html += "<td>unmigrated</td><td>\(badge(entry.verdict))</td></tr>"
        }
        html += "</tbody></table>"

        if !report.reasons.isEmpty {
            html += "<section class=\"topic\"><h2>Source cluster</h2>\(reasons(report.reasons))</section>"
        }
        for topic in report.topics {
            html += "<section class=\"topic\" data-topic=\"\(HTML.escape(topic.topic))\" data-verdict=\"\(topic.verdict.rawValue)\">"
            html += "<h2>\(HTML.escape(topic.topic)) <span class=\"muted\">→ \(HTML.escape(topic.destinationTopic))</span> \(badge(topic.verdict))</h2>"
            html += reasons(topic.reasons)
            html += partitions(topic)
            html += "</section>"
        }
        if !report.unmigratedTopics.isEmpty {
            html += "<h2 class=\"group\">Unmigrated topics</h2>"
            for entry in report.unmigratedTopics {
                html += "<section class=\"topic\" data-topic=\"\(HTML.escape(entry.topic))\" data-verdict=\"\(entry.verdict.rawValue)\">"
                html += "<h2>\(HTML.escape(entry.topic)) \(badge(entry.verdict))</h2>\(reasons(entry.reasons))</section>"
            }
        }
        return html + "</body></html>\n"
    }

    static func cssClass(_ verdict: AuditVerdict) -> String {
        verdict == .safe ? "safe" : "unsafe"
    }

    static func badge(_ verdict: AuditVerdict) -> String {
        "<span class=\"verdict \(cssClass(verdict))\">\(verdict.rawValue)</span>"
    }

    static func reasons(_ reasons: [AuditReason]) -> String {
        var html = "<ul class=\"reasons\">"
        for reason in reasons {
            let (mark, css) = reason.ok ? ("✓ ok", "ok") : (reason.verified ? ("✗ FAIL", "fail") : ("? NOT VERIFIED", "unverified"))
            html += "<li class=\"\(css)\" data-check=\"\(reason.check.rawValue)\"><span class=\"mark\">\(mark)</span> "
            html += "<code>\(reason.check.rawValue)</code> \(HTML.escape(reason.detail))</li>"
        }
        return html + "</ul>"
    }

    static func partitions(_ topic: AuditTopicReport) -> String {
        guard let partitions = topic.evidence.partitions.value, !partitions.isEmpty else { return "" }
        var html = "<table class=\"partitions\"><thead><tr><th>Partition</th><th>Source HWM</th><th>Destination HWM</th>"
        html += "<th>Source last record</th><th>Destination copy</th><th>First post-migration offset</th></tr></thead><tbody>"
        for p in partitions.sorted(by: { $0.partition < $1.partition }) {
            let post: String
            switch p.cutoverOffset {
            case .firstOffset(let offset): post = "\(offset)"
            case .noRecordSince: post = "none"
            case .notAsked: post = "–"
            case .notAnswered: post = "not answered"
            }
            html += "<tr><td>\(p.partition)</td><td>\(HTML.escape(AuditMarkdown.offset(p.sourceHighWatermark)))</td>"
            html += "<td>\(HTML.escape(AuditMarkdown.offset(p.destinationHighWatermark)))</td>"
            html += "<td>\(HTML.escape(AuditMarkdown.record(p.sourceLastRecord)))</td><td>\(HTML.escape(AuditMarkdown.record(p.destinationLastRecord)))</td>"
            html += "<td>\(post)</td></tr>"
        }
        return html + "</tbody></table>"
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1d2330;background:#fff}
        h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:0 0 8px}h2.group{margin-top:28px}
        .muted{color:#5b6475;font-weight:normal}
        .verdict{display:inline-block;padding:1px 9px;border-radius:10px;font-size:13px;font-weight:700;border:2px solid}
        .verdict.safe{color:#14642c;border-color:#14642c;background:#e4f5e9}.verdict.unsafe{color:#a31515;border-color:#a31515;background:#fdeaea}
        table{border-collapse:collapse;width:100%;margin:10px 0 18px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #d9dee7;vertical-align:top}
        th{background:#f2f4f8;font-weight:600}table.partitions{font-size:12.5px}
        section.topic{border:1px solid #d9dee7;border-radius:6px;padding:12px 14px;margin:14px 0;break-inside:avoid}
        ul.reasons{list-style:none;padding:0;margin:0 0 8px}ul.reasons li{padding:3px 0;overflow-wrap:anywhere}
        .mark{display:inline-block;min-width:118px;font-weight:700}
        li.ok .mark{color:#14642c}li.fail .mark{color:#a31515}li.unverified .mark{color:#8a5a00}
        code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f2f4f8;padding:0 4px;border-radius:3px}
        @media print{
          @page{size:A4;margin:14mm}
          body{margin:0;max-width:none;font-size:11pt;color:#000}
          .verdict{background:none!important}.verdict.unsafe{border-style:double}
          section.topic{break-inside:avoid;page-break-inside:avoid;border-color:#999}
          table.summary{break-after:auto}th{background:none;border-bottom:2px solid #000}
          code{background:none;padding:0}
        }
        """
}
