/// Why a Prometheus / OpenMetrics text page did not parse: what was wrong, and on which
/// line (1-based), so a scrape failure can be logged in a way an operator can find.
public enum ExpositionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A metric name is missing, starts with a digit or holds a character it may not.
    case invalidMetricName(line: Int)
    /// A label name is missing or holds a character it may not.
    case invalidLabelName(line: Int)
    /// A label name is not followed by `=`.
    case expectedEqualsSign(line: Int)
    /// A label value does not start with `"`.
    case expectedQuote(line: Int)
    /// A label value has no closing `"` on its line.
    case unterminatedLabelValue(line: Int)
    /// A backslash followed by something other than `\`, `"` or `n`.
    case invalidEscape(line: Int)
    /// After a label value comes neither `,` nor `}`.
    case expectedCommaOrBrace(line: Int)
    /// The same label name twice in one sample.
    case duplicateLabel(line: Int, name: String)
    /// A sample without a value.
    case missingValue(line: Int)
    /// The value is not a float (`NaN`, `+Inf`, `-Inf` and exponents are).
    case invalidValue(line: Int, text: String)
    /// The timestamp is not a number.
    case invalidTimestamp(line: Int, text: String)
    /// Something after the timestamp other than an exemplar.
    case unexpectedText(line: Int, text: String)
    /// `# TYPE` with a missing or unknown type.
    case invalidType(line: Int, text: String)
    /// A second `# TYPE` line for the same metric.
    case duplicateType(line: Int, name: String)
    /// A line that is not blank after `# EOF`.
    case contentAfterEOF(line: Int)
    /// Not one line of the page parses (an HTML or JSON body): `line` is the first.
    case notExposition(line: Int)

    public var line: Int {
        switch self {
        case let .invalidMetricName(line), let .invalidLabelName(line), let .expectedEqualsSign(line),
             let .expectedQuote(line), let .unterminatedLabelValue(line), let .invalidEscape(line),
             let .expectedCommaOrBrace(line), let .duplicateLabel(line, _), let .missingValue(line),
             let .invalidValue(line, _), let .invalidTimestamp(line, _), let .unexpectedText(line, _),
             let .invalidType(line, _), let .duplicateType(line, _), let .contentAfterEOF(line),
             let .notExposition(line):
            line
        }
    }

    public var description: String {
        let what: String = switch self {
        case .invalidMetricName: "invalid metric name"
        case .invalidLabelName: "invalid label name"
        case .expectedEqualsSign: "expected '=' after the label name"
        case .expectedQuote: "expected '\"' to start the label value"
        case .unterminatedLabelValue: "label value has no closing '\"'"
        case .invalidEscape: "invalid escape in a quoted string (only \\\\, \\\" and \\n)"
        case .expectedCommaOrBrace: "expected ',' or '}' after the label value"
        case let .duplicateLabel(_, name): "label \(name) appears twice"
        case .missingValue: "sample has no value"
        case let .invalidValue(_, text): "invalid value \"\(Self.shown(text))\""
        case let .invalidTimestamp(_, text): "invalid timestamp \"\(Self.shown(text))\""
        case let .unexpectedText(_, text): "unexpected \"\(Self.shown(text))\" after the sample"
        case let .invalidType(_, text): "invalid metric type \"\(Self.shown(text))\""
        case let .duplicateType(_, name): "second TYPE line for \(name)"
        case .contentAfterEOF: "content after # EOF"
        case .notExposition: "not a Prometheus or OpenMetrics text page (no line parses)"
        }
        return "line \(line): \(what)"
    }

    /// Page text as it may appear in a log line or an API answer: control characters escaped
    /// (a carriage return from a page must not forge a log line) and cut to 60 characters
    /// (the offending text can be a whole 32 MiB line).
    public static func shown(_ text: String) -> String {
        var shown = ""
        for (index, scalar) in text.unicodeScalars.enumerated() {
            guard index < 60 else { return shown + "…" }
            switch scalar {
            case "\\": shown += "\\\\"
            case "\"": shown += "\\\""
            case _ where scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                || scalar == "\u{2028}" || scalar == "\u{2029}":
                shown += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }
}
