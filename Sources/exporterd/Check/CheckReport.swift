/// What `exporterd check` found: one result per thing checked (pass, fail or warning, with a
/// human-readable detail), the exit code they add up to, and the two ways of printing them
/// (✓/✗/⚠ lines for people, JSON for automation). Nothing here does I/O.
import Foundation

struct CheckResult: Equatable, Sendable, Encodable {
    enum Outcome: String, Equatable, Sendable, Encodable {
        case pass, fail, warn

        var mark: String {
            switch self {
            case .pass: "✓"
            case .fail: "✗"
            case .warn: "⚠"
            }
        }
    }

    /// What was checked: `source broker 1 127.0.0.1:9092`, `agent http://…/metrics`, `topic orders → orders`.
    var name: String
    var outcome: Outcome
    var detail: String

    static func pass(_ name: String, _ detail: String) -> CheckResult { CheckResult(name: name, outcome: .pass, detail: detail) }
    static func fail(_ name: String, _ detail: String) -> CheckResult { CheckResult(name: name, outcome: .fail, detail: detail) }
    static func warn(_ name: String, _ detail: String) -> CheckResult { CheckResult(name: name, outcome: .warn, detail: detail) }
}

struct CheckReport: Equatable, Sendable {
    var results: [CheckResult]

    var failed: Int { results.count { $0.outcome == .fail } }
    var warnings: Int { results.count { $0.outcome == .warn } }
    var passed: Int { results.count { $0.outcome == .pass } }

    /// 0 when nothing failed (warnings do not fail a check), 1 otherwise. A bad config never
    /// gets this far: it exits 2 before anything is checked.
    var exitCode: Int32 { failed == 0 ? 0 : 1 }

    /// One line per result, then a summary. Details carry text from outside (broker errors,
    /// topic names, page content), so control characters are escaped: a check must not be able
    /// to forge a ✓ line.
    func text() -> String {
        var lines = results.map { "\($0.outcome.mark) \(LogText.escaped($0.name)): \(LogText.escaped($0.detail))" }
        lines.append("\(failed == 0 ? "check passed" : "check FAILED"): \(passed) passed, \(failed) failed, \(warnings) warning\(warnings == 1 ? "" : "s")")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `{"ok", "passed", "failed", "warnings", "checks":[{"name","outcome","detail"}]}`.
    func json() throws -> String {
        struct Document: Encodable {
            let ok: Bool
            let passed, failed, warnings: Int
            let checks: [CheckResult]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(ok: failed == 0, passed: passed, failed: failed, warnings: warnings, checks: results)
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
