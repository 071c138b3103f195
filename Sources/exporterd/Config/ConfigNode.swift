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

    static func parse(yaml: String, file: String) throws(ConfigError) -> ConfigNode {
        do {
            return ConfigNode(node: try Yams.compose(yaml: yaml), path: "")
        } catch {
            throw .syntax(file: file, reason: "\(error)")
        }
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var isPresent: Bool {
        guard let node else { return false }
        if case .scalar(let scalar) = node, scalar.style == .plain, ["", "~", "null"].contains(scalar.string) { return false }
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
        guard let value = node?.int else { throw .wrongType(path: path, expected: "an integer", line: line) }
        return value
    }

    func nonNegativeInt() throws(ConfigError) -> Int? {
        guard let value = try int() else { return nil }
        guard value >= 0 else { throw .invalidValue(path: path, value: "\(value)", expected: "a number ≥ 0") }
        return value
    }

    /// Go-style durations as Orbit and Prometheus write them: `5s`, `500ms`, `2m`, `1h30m`.
    func duration() throws(ConfigError) -> Duration? {
        guard let text = try string() else { return nil }
        guard let value = DurationText.parse(text) else {
            throw .invalidValue(path: path, value: text, expected: "a duration such as 500ms, 5s, 2m or 1h30m")
        }
        return value
    }

    func positiveDuration() throws(ConfigError) -> Duration? {
        guard let value = try duration() else { return nil }
        guard value > .zero else { throw .invalidValue(path: path, value: try string() ?? "", expected: "a duration greater than 0") }
        return value
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
    static func parse(_ text: String) -> Duration? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        var total = Duration.zero
        let units: [(String, Duration)] = [("ms", .milliseconds(1)), ("us", .microseconds(1)), ("µs", .microseconds(1)),
                                           ("ns", .nanoseconds(1)), ("h", .seconds(3600)), ("m", .seconds(60)), ("s", .seconds(1))]
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += unit.1 * value
        }
        return total
    }

    static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }
}
