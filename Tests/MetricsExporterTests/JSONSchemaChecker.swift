/// A JSON Schema checker for the subset `docs/openapi.yaml` uses: `$ref` (to
/// `#/components/schemas/…`), `type` (one or a list, with "null"), `required`, `properties`,
/// `additionalProperties` (false or a schema), `items`, `enum`, `minimum`, `maximum`,
/// `minLength`, and `format: date-time` (RFC 3339). Anything else in a schema is a test
/// failure, so the document cannot silently outgrow the checker.
import Foundation

struct JSONSchemaChecker {
    let document: JSONValue

    static let understoodKeywords: Set<String> = [
        "$ref", "type", "required", "properties", "additionalProperties", "items", "enum",
        "minimum", "maximum", "minLength", "format", "description", "default",
    ]

    /// The problems of `value` against the named component schema; empty when it conforms.
    func violations(of value: JSONValue, against schemaName: String) -> [String] {
        var problems: [String] = []
        check(value, against: .object(["$ref": .string("#/components/schemas/\(schemaName)")]), at: "$", into: &problems)
        return problems
    }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONValue? = document
        for part in reference.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node
    }

    private func check(_ value: JSONValue, against schema: JSONValue, at path: String, into problems: inout [String]) {
        guard case .object(let keywords) = schema else {
            problems.append("\(path): schema is not an object: \(schema)")
            return
        }
        for keyword in keywords.keys where !Self.understoodKeywords.contains(keyword) {
            problems.append("\(path): schema keyword \(keyword) is not understood by the checker")
        }
        if let reference = keywords["$ref"]?.string {
            guard let target = resolve(reference) else {
                problems.append("\(path): unresolvable $ref \(reference)")
                return
            }
            check(value, against: target, at: path, into: &problems)
        }
        if let type = keywords["type"] {
            let allowed = type.array?.compactMap(\.string) ?? [type.string].compactMap { $0 }
            guard allowed.contains(where: { Self.matches(value, type: $0) }) else {
                problems.append("\(path): \(value) is not of type \(allowed.joined(separator: "|"))")
                return
            }
        }
        if let options = keywords["enum"]?.array, !options.contains(value) {
            problems.append("\(path): \(value) is not one of \(options)")
        }
        if let minimum = keywords["minimum"], let number = Self.number(value), let bound = Self.number(minimum), number < bound {
            problems.append("\(path): \(value) is below the minimum \(minimum)")
        }
        if let maximum = keywords["maximum"], let number = Self.number(value), let bound = Self.number(maximum), number > bound {
            problems.append("\(path): \(value) is above the maximum \(maximum)")
        }
        if case .integer(let minLength) = keywords["minLength"], let text = value.string, text.count < minLength {
            problems.append("\(path): \(value) is shorter than \(minLength)")
        }
        if keywords["format"]?.string == "date-time", let text = value.string, !Self.isDateTime(text) {
            problems.append("\(path): \(value) is not an RFC 3339 date-time")
        }
        if case .object(let members) = value {
            let properties: [String: JSONValue]
            if case .object(let declared) = keywords["properties"] { properties = declared } else { properties = [:] }
            for name in keywords["required"]?.array?.compactMap(\.string) ?? [] where members[name] == nil {
                problems.append("\(path): required key \(name) is missing")
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[name] {
                    check(member, against: propertySchema, at: "\(path).\(name)", into: &problems)
                } else if let additional = keywords["additionalProperties"] {
                    if additional == .bool(false) {
                        problems.append("\(path): key \(name) is not allowed")
                    } else if case .object = additional {
                        check(member, against: additional, at: "\(path).\(name)", into: &problems)
                    }
                }
            }
        }
        if case .array(let items) = value, let itemSchema = keywords["items"] {
            for (index, item) in items.enumerated() {
                check(item, against: itemSchema, at: "\(path)[\(index)]", into: &problems)
            }
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("integer", .integer), ("number", .integer),
            ("number", .number), ("string", .string), ("array", .array), ("object", .object):
            true
        default:
            false
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    /// RFC 3339 `date-time` (section 5.6).
    static func isDateTime(_ text: String) -> Bool {
        text.wholeMatch(of: /\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})/) != nil
    }
}
