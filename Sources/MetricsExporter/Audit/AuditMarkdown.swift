/// The audit as Markdown, for a change ticket: the overall verdict and exit code first, a
/// summary table, then per topic every check with its detail and the partition evidence, then
/// the unmigrated topics. Every name and detail goes through `AuditMarkdown.escape`, so a
/// topic called `a|b` or `*x*` cannot break a table or inject markup.
import Diagnostics
import Foundation

public enum AuditMarkdown {
    public static func render(_ report: AuditReport, version: String = BuildInfo.version) -> String {
        var out = "# Pre-decommission audit: \(report.verdict.rawValue)\n\n"
        out += "Generated \(RFC3339.string(from: report.generatedAt)) by exporterd \(escape(version)). "
        out += "Exit code \(report.exitCode)"
        out += report.verified ? ".\n" : " (some evidence could not be read: nothing it touches is SAFE).\n"
        out += "Unmigrated topics are source topics no mapping covers with records since \(RFC3339.string(from: report.recentSince)).\n\n"

        out += "| Topic | Destination | State | Verdict |\n|---|---|---|---|\n"
        for topic in report.topics {
            let state = topic.evidence.state.value?.state.rawValue ?? "unknown"
            out += "| \(escape(topic.topic)) | \(escape(topic.destinationTopic)) | \(state) | **\(topic.verdict.rawValue)** |\n"
        }
        for entry in report.unmigratedTopics {
            out += "| \(escape(entry.topic)) | (no mapping) | unmigrated | **\(entry.verdict.rawValue)** |\n"
        }
        if !report.reasons.isEmpty {
            out += "\n## Source cluster\n\n"
            for reason in report.reasons { out += line(reason) }
        }
        for topic in report.topics {
            out += "\n## \(escape(topic.topic)) → \(escape(topic.destinationTopic)): \(topic.verdict.rawValue)\n\n"
            for reason in topic.reasons { out += line(reason) }
            out += partitionTable(topic)
        }
        if !report.unmigratedTopics.isEmpty {
            out += "\n## Unmigrated topics\n"
            for entry in report.unmigratedTopics {
                out += "\n### \(escape(entry.topic)): \(entry.verdict.rawValue)\n\n"
                for reason in entry.reasons { out += line(reason) }
            }
        }
        return out
    }

    static func mark(_ reason: AuditReason) -> String {
        reason.ok ? "ok" : (reason.verified ? "FAIL" : "NOT VERIFIED")
    }

    static func line(_ reason: AuditReason) -> String {
        "- **\(mark(reason))** `\(reason.check.rawValue)`: \(escape(reason.detail))\n"
    }

    static func partitionTable(_ topic: AuditTopicReport) -> String {
        guard let partitions = topic.evidence.partitions.value, !partitions.isEmpty else { return "" }
        var out = "\n| Partition | Source HWM | Destination HWM | Source last record | Destination copy | First post-migration offset |\n"
        out += "|---|---|---|---|---|---|\n"
        for p in partitions.sorted(by: { $0.partition < $1.partition }) {
            let post: String
            switch p.cutoverOffset {
            case .firstOffset(let offset): post = "\(offset)"
            case .noRecordSince: post = "none"
            case .notAsked: post = "-"
            case .notAnswered: post = "not answered"
            }
            out += "| \(p.partition) | \(offset(p.sourceHighWatermark)) | \(offset(p.destinationHighWatermark)) | "
                + "\(record(p.sourceLastRecord)) | \(record(p.destinationLastRecord)) | \(post) |\n"
        }
        return out
    }

    static func offset(_ read: AuditRead<Int64>) -> String {
        read.value.map(String.init) ?? "not answered"
    }

    static func record(_ read: AuditRecordRead) -> String {
        switch read {
        case .record(let offset, let milliseconds):
            "\(offset) @ \(RFC3339.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)))"
        case .noRecord: "no record"
        case .notNeeded: "-"
        case .notAnswered: "not answered"
        }
    }

    /// Backslash-escapes the characters GFM gives a meaning to inside a line (emphasis, code,
    /// links, tables, inline HTML, strikethrough) and folds line breaks, so names and details
    /// stay inert text inside tables and list items. Parentheses stay: without a `[` before
    /// them they make no link, and details are full of them.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\", "`", "*", "_", "[", "]", "|", "<", ">", "~":
                out += "\\" + String(scalar)
            case "\n", "\r":
                out += " "
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
