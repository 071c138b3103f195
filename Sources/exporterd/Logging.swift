/// Log output of every command: swift-log to stderr, as text or one JSON object per line.
/// Both formats keep one event on one line whatever it carries: messages and metadata hold
/// text from outside (agent pages, broker answers, the state document, config values), and a
/// carriage return or newline in them must not forge a log line of its own.
import ArgumentParser
import Diagnostics
import Foundation
import Logging

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: "text or json")
    var logFormat: LogFormat = .text

    func bootstrap() {
        let level = logLevel
        let format = logFormat
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = switch format {
            case .text: StreamLogHandler(label: label, stream: EscapingLogStream(StandardErrorStream()))
            case .json: JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Control characters as visible escapes (`\r`, `\n`, `\t`, `\u{1B}`), so a text log line is
/// exactly one line and carries no terminal escape sequences. Besides C0, DEL and C1 this
/// covers the Unicode line and paragraph separators and the bidirectional overrides, which
/// some viewers render as line breaks or use to reorder what a reader sees.
enum LogText {
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default: result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return result
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}

/// The stream under swift-log's `StreamLogHandler`, which writes each event as one string
/// ending in its newline: everything before that newline is escaped.
struct EscapingLogStream<Target: TextOutputStream & Sendable>: TextOutputStream, Sendable {
    var target: Target

    init(_ target: Target) { self.target = target }

    mutating func write(_ string: String) {
        if string.hasSuffix("\n") {
            target.write(LogText.escaped(String(string.dropLast())) + "\n")
        } else {
            target.write(LogText.escaped(string))
        }
    }
}

/// stderr, one `write` per call so concurrent log lines do not interleave within a line.
struct StandardErrorStream: TextOutputStream, Sendable {
    func write(_ string: String) {
        Self.write(Data(string.utf8))
    }

    /// Every stderr write of the process goes here. A reader that went away (`… 2>&1 | head`,
    /// a log shipper restarting) makes the write fail with EPIPE, and Foundation's
    /// non-throwing `FileHandle.write` traps on that: the line is dropped, the process goes on.
    static func write(_ data: Data) {
        try? FileHandle.standardError.write(contentsOf: data)
    }
}

/// One JSON object per line on stderr, for log shippers. JSONSerialization escapes every
/// control character, so the object stays on its line.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    /// Where each finished line goes; stderr unless a test collects them.
    var output: @Sendable (Data) -> Void = { StandardErrorStream.write($0) }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = [
            "time": RFC3339.string(from: Date()),
            "level": event.level.rawValue,
            "logger": label,
            "message": "\(event.message)",
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = "\(value)"
        }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        output(line)
    }
}
