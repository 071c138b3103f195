/// YAML as exporterd reads it, the config and the state document alike: scalars are the text
/// written (never YAML 1.1's booleans, octals or sexagesimals: `on`, `0123` and `12:30` are
/// names), and aliases are budgeted before anything is built from them.
///
/// The alias budget exists because a few hundred bytes of nested aliases ("billion laughs")
/// expand to gigabytes: Yams composes them as shared copies, but hashing a mapping key, an error
/// message or a conversion walks every copy. So the document's events are counted first with
/// libyaml's own parser (the one Yams uses, so both read the same document), adding for each
/// alias the size of the node it repeats, and a document past its budget is refused unbuilt.
/// The same walk bounds nesting: Yams composes (and the state document is converted)
/// recursively, so a few kilobytes of `[[[[…` would overflow the stack. And it refuses mapping
/// keys that are lists, mappings or aliases (`? [a, b]: x`), which neither document has a use
/// for: Yams sorts every mapping's keys to find duplicates, comparing such keys node by node,
/// and 1.5 KB of nested ones with aliases inside the budget kept it busy for minutes (found
/// by FuzzConfig).
/// `CYaml` is the libyaml that Yams builds; it comes with the Yams dependency.
import CYaml
import Foundation
import Yams

enum YAMLInputError: Error, Equatable, CustomStringConvertible {
    case syntax(String)
    /// Aliases are refused outright (`limit` 0) or repeat more nodes than `limit`.
    case aliasExpansion(line: Int, limit: Int)
    case tooDeep(line: Int, limit: Int)
    case complexKey(line: Int)

    var description: String {
        switch self {
        case .syntax(let reason): reason
        case .aliasExpansion(let line, 0): "line \(line): YAML aliases (*name) are not accepted here"
        case .aliasExpansion(let line, let limit): "line \(line): YAML aliases repeat more than \(limit) nodes"
        case .tooDeep(let line, let limit): "line \(line): nested deeper than \(limit) levels"
        case .complexKey(let line): "line \(line): a mapping key must be a plain value, not a list, a mapping or an alias"
        }
    }
}

enum YAMLInput {
    /// The document's root node (nil for an empty document), after the alias budget passed.
    /// `aliasedNodeLimit`: how many nodes all aliases together may repeat; 0 refuses aliases.
    /// Far deeper than any config or state document, far from the stack's end.
    static let depthLimit = 64

    static func compose(_ text: String, aliasedNodeLimit: Int) throws(YAMLInputError) -> Node? {
        try checkShape(text, aliasedNodeLimit: aliasedNodeLimit)
        do {
            return try Yams.compose(yaml: text)
        } catch {
            // Yams quotes the offending line, which may be the whole (16 MiB) document.
            let message = "\(error)"
            throw .syntax(message.count > 500 ? message.prefix(500) + "…" : message)
        }
    }

    /// Plain `~`, `null` (any case) and nothing: YAML's null, which the config reads as "not
    /// set" and the state document as a missing field. Quoted, they are text.
    static func isNull(_ scalar: Node.Scalar) -> Bool {
        scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// Walks libyaml's events, counting the nodes aliases repeat and the depth of the tree
    /// they build (an alias nests the node it repeats where it stands). A syntax error ends the
    /// walk quietly: composing reports it with Yams' message.
    static func checkShape(_ text: String, aliasedNodeLimit limit: Int) throws(YAMLInputError) {
        // A node: how many nodes it expands to and how many levels deep it reaches.
        struct Size { var nodes: Int; var height: Int }
        // A collection being read, and its anchor; a mapping alternates keys and values.
        struct Open { var size: Size; var anchor: String?; var isMapping: Bool; var expectsKey: Bool }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        var failure: YAMLInputError?
        bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var anchored: [String: Size] = [:]
            var open: [Open] = []
            var aliased = 0
            /// Adds a child to the collection being read; false when the tree gets too deep.
            func add(_ child: Size) -> Bool {
                guard open.count + child.height <= depthLimit else { return false }
                guard !open.isEmpty else { return true }
                open[open.count - 1].size.nodes = saturatingAdd(open[open.count - 1].size.nodes, child.nodes)
                open[open.count - 1].size.height = max(open[open.count - 1].size.height, child.height + 1)
                if open[open.count - 1].isMapping { open[open.count - 1].expectsKey.toggle() }
                return true
            }
            /// Whether a node that is no scalar would stand as a mapping key.
            var atKey: Bool { open.last.map { $0.isMapping && $0.expectsKey } ?? false }
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_SCALAR_EVENT:
                    let size = Size(nodes: 1, height: 1)
                    if let anchor = string(event.data.scalar.anchor) { anchored[anchor] = size }
                    _ = add(size)
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    guard open.count < depthLimit else {
                        failure = .tooDeep(line: line, limit: depthLimit)
                        return
                    }
                    guard !atKey else {
                        failure = .complexKey(line: line)
                        return
                    }
                    let isMapping = event.type == YAML_MAPPING_START_EVENT
                    let anchor = isMapping ? string(event.data.mapping_start.anchor) : string(event.data.sequence_start.anchor)
                    open.append(Open(size: Size(nodes: 1, height: 1), anchor: anchor, isMapping: isMapping, expectsKey: isMapping))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let closed = open.popLast() else { return }
                    if let anchor = closed.anchor { anchored[anchor] = closed.size }
                    _ = add(closed.size)
                case YAML_ALIAS_EVENT:
                    guard !atKey else {
                        failure = .complexKey(line: line)
                        return
                    }
                    let repeated = string(event.data.alias.anchor).flatMap { anchored[$0] } ?? Size(nodes: 1, height: 1)
                    aliased = saturatingAdd(aliased, repeated.nodes)
                    guard aliased <= limit else {
                        failure = .aliasExpansion(line: line, limit: limit)
                        return
                    }
                    guard add(repeated) else {
                        failure = .tooDeep(line: line, limit: depthLimit)
                        return
                    }
                default:
                    break
                }
            }
        }
        if let failure { throw failure }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }

    private static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
