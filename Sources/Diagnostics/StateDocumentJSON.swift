/// The JSON reader of the migration state document: one pass over the bytes straight into the
/// checked entries, with no intermediate tree and no text made but each topic's name. Keys,
/// states and times are recognised on the bytes themselves; a string is only turned into text
/// when it is kept (a topic name) or when it is wrong (for the error that quotes it). Issue 12
/// asks 100,000 entries in < 200 ms; figures in docs/performance.md ("Big state documents").
///
/// It reads RFC 8259 JSON strictly (UTF-8, no comments, no trailing commas, nothing after the
/// document) and skips members it does not know, at any depth up to `depthLimit`. The grammar
/// itself is in StateDocumentJSONGrammar.swift.
import Foundation

struct StateDocumentJSON {
    /// Deeper nesting is refused before it can exhaust the stack (members skipped recursively).
    static let depthLimit = 64

    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    static func read(_ data: Data) throws(MigrationStateDocumentError) -> RawDocument {
        // withUnsafeBytes rethrows untyped: carry the typed error out in a Result.
        let result = data.withUnsafeBytes { buffer -> Result<RawDocument, MigrationStateDocumentError> in
            var reader = StateDocumentJSON(bytes: buffer.assumingMemoryBound(to: UInt8.self))
            do throws(MigrationStateDocumentError) {
                return .success(try reader.document())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    // MARK: The document's shape

    private mutating func document() throws(MigrationStateDocumentError) -> RawDocument {
        var document = RawDocument()
        skipWhitespace()
        guard peek == UInt8(ascii: "{") else {
            if position == bytes.count { throw .notJSON("the document is empty") }
            _ = try skipValue(depth: 0)
            throw .wrongType(path: "document", expected: "an object")
        }
        var key = try firstKey(depth: 0)
        while let name = key {
            // A member given twice counts with its last value, as in any JSON object.
            if matches(name, "topics") {
                document.topics = try topics()
            } else if matches(name, "events") {
                document.events = try events()
            } else {
                _ = try skipValue(depth: 1)
            }
            key = try nextKey()
        }
        skipWhitespace()
        guard position == bytes.count else { throw unexpected("after the document") }
        return document
    }

    private mutating func topics() throws(MigrationStateDocumentError) -> CheckedEntries<TopicStateReport>? {
        try entries(named: "topics") { reader, index throws(MigrationStateDocumentError) in try reader.topic(at: index) }
    }

    private mutating func events() throws(MigrationStateDocumentError) -> CheckedEntries<ReportedEvent>? {
        try entries(named: "events") { reader, index throws(MigrationStateDocumentError) in try reader.event(at: index) }
    }

    /// A list's entries, each checked as soon as its object closes; nil when the list is null.
    private mutating func entries<Entry: RawEntry>(
        named name: String,
        read: (inout StateDocumentJSON, Int) throws(MigrationStateDocumentError) -> Entry
    ) throws(MigrationStateDocumentError) -> CheckedEntries<Entry.Checked>? {
        guard try openList(named: name) else { return nil }
        var entries = CheckedEntries<Entry.Checked>()
        var index = 0
        var more = try firstElement()
        while more {
            let entry = try read(&self, index)
            entries.append(index: index, topic: entry.topic) { () throws(MigrationStateDocumentError) in
                try entry.checked(index: index)
            }
            index += 1
            more = try nextElement(in: name)
        }
        return entries
    }

    private mutating func topic(at index: Int) throws(MigrationStateDocumentError) -> RawTopic {
        var topic = RawTopic()
        try openObject(list: "topics", index: index)
        var key = try firstKey(depth: 2)
        while let name = key {
            if matches(name, "topic") {
                topic.topic = try fieldString(list: "topics", index: index, field: "topic").map { text($0) }
            } else if matches(name, "state") {
                topic.state = try fieldString(list: "topics", index: index, field: "state").map { state($0) }
            } else if matches(name, "since") {
                topic.since = try fieldString(list: "topics", index: index, field: "since").map { time($0) }
            } else if matches(name, "migration_timeout_seconds") {
                topic.migrationTimeoutSeconds = try seconds(list: "topics", index: index, field: "migration_timeout_seconds")
            } else {
                _ = try skipValue(depth: 3)
            }
            key = try nextKey()
        }
        return topic
    }

    private mutating func event(at index: Int) throws(MigrationStateDocumentError) -> RawEvent {
        var event = RawEvent()
        try openObject(list: "events", index: index)
        var key = try firstKey(depth: 2)
        while let name = key {
            if matches(name, "topic") {
                event.topic = try fieldString(list: "events", index: index, field: "topic").map { text($0) }
            } else if matches(name, "type") {
                event.type = try fieldString(list: "events", index: index, field: "type").map { text($0) }
            } else if matches(name, "at") {
                event.at = try fieldString(list: "events", index: index, field: "at").map { time($0) }
            } else {
                _ = try skipValue(depth: 3)
            }
            key = try nextKey()
        }
        return event
    }

    // MARK: Lists and entries

    /// Opens a list: false for `null` (an absent list); anything else but a list is the wrong type.
    private mutating func openList(named name: String) throws(MigrationStateDocumentError) -> Bool {
        skipWhitespace()
        if try literalNull() { return false }
        guard peek == UInt8(ascii: "[") else {
            _ = try skipValue(depth: 1)
            throw .wrongType(path: name, expected: "a list")
        }
        position += 1
        return true
    }

    /// Whether the list just opened has an element (false: past its `]`).
    private mutating func firstElement() throws(MigrationStateDocumentError) -> Bool {
        skipWhitespace()
        guard peek == UInt8(ascii: "]") else { return true }
        position += 1
        return false
    }

    /// After an element: whether another follows (false: past the list's `]`).
    private mutating func nextElement(in name: String) throws(MigrationStateDocumentError) -> Bool {
        skipWhitespace()
        switch peek {
        case UInt8(ascii: ","):
            position += 1
            return true
        case UInt8(ascii: "]"):
            position += 1
            return false
        default: throw unexpected("in the \(name) list")
        }
    }

    /// An entry must be an object; its members are then read by `firstKey`.
    private mutating func openObject(list: String, index: Int) throws(MigrationStateDocumentError) {
        skipWhitespace()
        guard peek == UInt8(ascii: "{") else {
            _ = try skipValue(depth: 2)
            throw .wrongType(path: "\(list)[\(index)]", expected: "an object")
        }
    }

    // MARK: Fields

    /// A string field's token; nil for `null`.
    private mutating func fieldString(
        list: String, index: Int, field: String
    ) throws(MigrationStateDocumentError) -> JSONString? {
        skipWhitespace()
        if try literalNull() { return nil }
        guard peek == UInt8(ascii: "\"") else {
            _ = try skipValue(depth: 3)
            throw .wrongType(path: "\(list)[\(index)].\(field)", expected: "String")
        }
        return try string()
    }

    private mutating func seconds(
        list: String, index: Int, field: String
    ) throws(MigrationStateDocumentError) -> SecondsValue? {
        skipWhitespace()
        if try literalNull() { return nil }
        if peek == UInt8(ascii: "\"") { return .text(text(try string())) }
        let start = position
        guard try skipValue(depth: 3) == .number,
              let number = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
        else {
            throw .wrongType(path: "\(list)[\(index)].\(field)", expected: "a number of seconds")
        }
        return .number(number)
    }

    /// One of the four states straight from the bytes; other text is kept for the error.
    private func state(_ string: JSONString) -> WrittenState {
        if string.unescaped == nil {
            let raw = UnsafeBufferPointer(rebasing: bytes[string.start..<string.end])
            for state in MigrationState.allCases where Self.equal(raw, state.written) { return .known(state) }
        }
        let written = text(string)
        return MigrationState(rawValue: written).map { .known($0) } ?? .unknown(written)
    }

    /// An RFC 3339 time read from the bytes (escapes first decoded); other text is kept.
    private func time(_ string: JSONString) -> WrittenTime {
        if string.unescaped == nil,
           let date = RFC3339.date(utf8: UnsafeBufferPointer(rebasing: bytes[string.start..<string.end])) {
            return .time(date)
        }
        let written = text(string)
        return RFC3339.date(from: written).map { .time($0) } ?? .invalid(written)
    }
}

extension MigrationState {
    /// The state's name as the document writes it.
    fileprivate var written: StaticString {
        switch self {
        case .reject: "REJECT"
        case .proxy: "PROXY"
        case .migrating: "MIGRATING"
        case .complete: "COMPLETE"
        }
    }
}
