/// A YAML node together with its key path, so every accessor can fail with an error that
/// says where. Mappings are strict: `finish()` rejects keys nobody asked for (typos in a
/// monitoring config otherwise fail silently, which is the worst way to fail).
import Foundation
import Yams

struct ConfigNode {
    let node: Node?
    let path: String
    private var consumed: Set<String> = []

    init(node: Node?, path: String) {
        self.node = node
        self.path = path
    }

    /// Anchors and aliases are fine in a config (one broker list for two keys); this many
    /// repeated nodes is far beyond any real use and far below what hurts.
    static let aliasedNodeLimit = 10_000

    static func parse(yaml: String, file: String) throws(ConfigError) -> ConfigNode {
        do {
            return ConfigNode(node: try YAMLInput.compose(yaml, aliasedNodeLimit: aliasedNodeLimit), path: "")
        } catch {
            throw .syntax(file: file, reason: "\(error)")
        }
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var isPresent: Bool {
        guard let node else { return false }
        if case .scalar(let scalar) = node, YAMLInput.isNull(scalar) { return false }
        return true
    }

    private var line: Int? { node?.mark.map(\.line) }  // Yams marks are 1-based

    /// The child at `key` of this mapping (absent child → a node that is not present).
    mutating func child(_ key: String) throws(ConfigError) -> ConfigNode {
        consumed.insert(key)
        guard isPresent else { return ConfigNode(node: nil, path: childPath(key)) }
        guard case .mapping(let mapping) = node else { throw .wrongType(path: path.isEmpty ? "(top level)" : path, expected: "a mapping", line: line) }
        return ConfigNode(node: mapping[Node(key)], path: childPath(key))
    }

    /// Rejects keys of this mapping that were never asked for.
    func finish(allowed extra: [String] = []) throws(ConfigError) {
        guard isPresent, case .mapping(let mapping) = node else { return }
        let known = consumed.union(extra)
        for key in mapping.keys {
            let name = key.string ?? "\(key)"
            if !known.contains(name) {
                throw .unknownKey(path: childPath(name), allowed: known.sorted())
            }
        }
    }

    func elements() throws(ConfigError) -> [ConfigNode] {
        guard isPresent else { return [] }
        guard case .sequence(let sequence) = node else { throw .wrongType(path: path, expected: "a list", line: line) }
        return sequence.enumerated().map { ConfigNode(node: $0.element, path: "\(path)[\($0.offset)]") }
    }

    func string() throws(ConfigError) -> String? {
        guard isPresent else { return nil }
        guard case .scalar(let scalar) = node else { throw .wrongType(path: path, expected: "a string", line: line) }
        return scalar.string
    }

    func requiredString() throws(ConfigError) -> String {
        guard let value = try string(), !value.isEmpty else { throw .missing(path: path) }
        return value
    }

    func bool() throws(ConfigError) -> Bool? {
        guard isPresent else { return nil }
        guard let value = node?.bool else { throw .wrongType(path: path, expected: "true or false", line: line) }
        return value
    }

    func int() throws(ConfigError) -> Int? {
        guard isPresent else { return nil }
        guard let text = node?.scalar?.string, let value = Self.integer(text) else {
            throw .wrongType(path: path, expected: "an integer", line: line)
        }
        return value
    }

    /// Decimal, `0x` hex and `0o` octal integers, `_` separators allowed, as YAML writes them;
    /// nil past Int's range. Not Yams' `Node.int`: its YAML 1.1 base-60 form (`1:30`) traps on
    /// overflow (`port: 9222222222222222222:22` crashed exporterd at start; found by FuzzConfig).
    static func integer(_ text: String) -> Int? {
        var digits = Substring(text.filter { $0 != "_" })
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.hasPrefix("0o") {
            radix = 8
            digits = digits.dropFirst(2)
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }),
              let magnitude = Int(digits, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    func nonNegativeInt() throws(ConfigError) -> Int? {
        try int(in: 0...Int.max)
    }

    /// An integer within `range`; past it is a config error naming the bounds.
    func int(in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = try int() else { return nil }
        guard range.contains(value) else {
            let expected = range.upperBound == Int.max
                ? "a number ≥ \(range.lowerBound)" : "a number between \(range.lowerBound) and \(range.upperBound)"
            throw .outOfRange(path: path, value: "\(value)", expected: expected)
        }
        return value
    }

    /// Go-style durations as Orbit and Prometheus write them: `5s`, `500ms`, `2m`, `1h30m`,
    /// within `range`. Every key has bounds: a value that parses but makes no sense (a poll
    /// every nanosecond, a timeout of 0, a century) is as wrong as one that does not parse.
    func duration(in range: ClosedRange<Duration>) throws(ConfigError) -> Duration? {
        guard let text = try string() else { return nil }
        guard let nanoseconds = DurationText.nanoseconds(text) else {
            throw .invalidValue(path: path, value: text, expected: "a duration such as 500ms, 5s, 2m or 1h30m")
        }
        // Compared before a `Duration` is made: a value past what `Duration` holds would trap.
        guard nanoseconds >= DurationText.nanoseconds(of: range.lowerBound),
              nanoseconds <= DurationText.nanoseconds(of: range.upperBound) else {
            throw .outOfRange(path: path, value: text, expected: "a duration between "
                              + "\(DurationText.format(range.lowerBound)) and \(DurationText.format(range.upperBound))")
        }
        return .nanoseconds(Int64(nanoseconds.rounded()))
    }

    /// Any duration `DurationText` reads (≥ 0, at most `DurationText.maximum`).
    func duration() throws(ConfigError) -> Duration? {
        try duration(in: .zero...DurationText.maximum)
    }

    /// Greater than 0 (a timeout, an interval).
    func positiveDuration() throws(ConfigError) -> Duration? {
        try duration(in: .nanoseconds(1)...DurationText.maximum)
    }

    func oneOf<T>(_ choices: KeyValuePairs<String, T>) throws(ConfigError) -> T? {
        guard let text = try string() else { return nil }
        guard let match = choices.first(where: { $0.key == text }) else {
            let names = choices.map(\.key)
            let expected = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
            throw .invalidValue(path: path, value: text, expected: expected)
        }
        return match.value
    }
}

/// Parses `1h30m`, `5s`, `250ms`, `1.5s` (units: h, m, s, ms, us, ns).
enum DurationText {
    /// Far below what `Duration` (and an Int64 of nanoseconds) holds, above every key's bound.
    static let maximum: Duration = .seconds(100 * 365 * 86_400)

    /// Within `maximum`, or nil: not a duration, or a longer one.
    static func parse(_ text: String) -> Duration? {
        guard let nanoseconds = nanoseconds(text), nanoseconds <= Self.nanoseconds(of: maximum) else { return nil }
        return .nanoseconds(Int64(nanoseconds.rounded()))
    }

    /// The duration written, in nanoseconds, as a `Double` so that any run of digits is a
    /// number (possibly huge or infinite) rather than an overflow.
    static func nanoseconds(_ text: String) -> Double? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("µs", 1e3), ("ns", 1), ("h", 3600e9), ("m", 60e9), ("s", 1e9)]
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return total
    }

    static func nanoseconds(of duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
    }

    /// In the largest whole unit: `24h`, `90s`, `100ms`.
    static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if ms == 0 { return "0s" }
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }
}
