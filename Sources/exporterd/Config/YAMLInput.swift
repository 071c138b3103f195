/// YAML as exporterd reads it, the config and the state document alike: scalars are the text
/// written (never YAML 1.1's booleans, octals or sexagesimals: `on`, `0123` and `12:30` are
/// names), and aliases are budgeted before anything is built from them.
///
/// The alias budget exists because a few hundred bytes of nested aliases ("billion laughs")
/// expand to gigabytes: Yams composes them as shared copies, but hashing a mapping key, an error
/// message or a conversion walks every copy. So the document's events are counted first with
/// libyaml's own parser (the one Yams uses, so both read the same document), adding for each
/// alias the size of the node it repeats, and a document past its budget is refused unbuilt.
/// `CYaml` is the libyaml that Yams builds; it comes with the Yams dependency.
import CYaml
import Foundation
import Yams

enum YAMLInputError: Error, Equatable, CustomStringConvertible {
    case syntax(String)
    /// Aliases are refused outright (`limit` 0) or repeat more nodes than `limit`.
    case aliasExpansion(line: Int, limit: Int)

    var description: String {
        switch self {
        case .syntax(let reason): reason
        case .aliasExpansion(let line, 0): "line \(line): YAML aliases (*name) are not accepted here"
        case .aliasExpansion(let line, let limit): "line \(line): YAML aliases repeat more than \(limit) nodes"
        }
    }
}

enum YAMLInput {
    /// The document's root node (nil for an empty document), after the alias budget passed.
    /// `aliasedNodeLimit`: how many nodes all aliases together may repeat; 0 refuses aliases.
    static func compose(_ text: String, aliasedNodeLimit: Int) throws(YAMLInputError) -> Node? {
        try checkAliases(text, limit: aliasedNodeLimit)
        do {
            return try Yams.compose(yaml: text)
        } catch {
            throw .syntax("\(error)")
        }
    }

    /// Plain `~`, `null` (any case) and nothing: YAML's null, which the config reads as "not
    /// set" and the state document as a missing field. Quoted, they are text.
    static func isNull(_ scalar: Node.Scalar) -> Bool {
        scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// Walks libyaml's events and counts the nodes aliases repeat. A syntax error ends the walk
    /// quietly: composing reports it with Yams' message.
    static func checkAliases(_ text: String, limit: Int) throws(YAMLInputError) {
        // A collection being read: its node count so far and its anchor.
        struct Open { var nodes: Int; var anchor: String? }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        var failure: YAMLInputError?
        bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var sizes: [String: Int] = [:]
            var open: [Open] = []
            var aliased = 0
            func add(_ nodes: Int) {
                if !open.isEmpty { open[open.count - 1].nodes = saturatingAdd(open[open.count - 1].nodes, nodes) }
            }
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_SCALAR_EVENT:
                    if let anchor = string(event.data.scalar.anchor) { sizes[anchor] = 1 }
                    add(1)
                case YAML_SEQUENCE_START_EVENT:
                    open.append(Open(nodes: 1, anchor: string(event.data.sequence_start.anchor)))
                case YAML_MAPPING_START_EVENT:
                    open.append(Open(nodes: 1, anchor: string(event.data.mapping_start.anchor)))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let closed = open.popLast() else { return }
                    if let anchor = closed.anchor { sizes[anchor] = closed.nodes }
                    add(closed.nodes)
                case YAML_ALIAS_EVENT:
                    let repeated = string(event.data.alias.anchor).flatMap { sizes[$0] } ?? 1
                    aliased = saturatingAdd(aliased, repeated)
                    if aliased > limit {
                        failure = .aliasExpansion(line: Int(event.start_mark.line) + 1, limit: limit)
                        return
                    }
                    add(repeated)
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
