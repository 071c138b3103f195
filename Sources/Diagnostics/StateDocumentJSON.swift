/// The JSON reader of the migration state document: one pass over the bytes straight into the
/// document's loose fields, with no intermediate tree. Foundation's JSONDecoder took ~230 ms for
/// a 100,000-topic document on its own, and every poll may read one; this reader keeps a big
/// document well inside the poll (issue 12: 100,000 entries in < 200 ms).
///
/// It reads RFC 8259 JSON strictly (UTF-8, no comments, no trailing commas, nothing after the
/// document) and skips members it does not know, at any depth up to `depthLimit`.
import Foundation

struct StateDocumentJSON {
    /// Deeper nesting is refused before it can exhaust the stack (members skipped recursively).
    static let depthLimit = 64

    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    static func read(_ data: Data) throws(MigrationStateDocumentError) -> RawDocument {
        // withUnsafeBytes rethrows untyped: carry the typed error out in a Result.
        let result = data.withUnsafeBytes { buffer -> Result<RawDocument, MigrationStateDocumentError> in
            var reader = StateDocumentJSON(bytes: buffer)
            do throws(MigrationStateDocumentError) {
                return .success(try reader.document())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    // MARK: The document's shape

    private mutating func document() throws(MigrationStateDocumentError) -> RawDocument {
        var document = RawDocument()
        skipWhitespace()
        guard peek == UInt8(ascii: "{") else {
            if position == bytes.count { throw .notJSON("the document is empty") }
            _ = try skipValue(depth: 0)
            throw .wrongType(path: "document", expected: "an object")
        }
        try members(depth: 0) { reader, key throws(MigrationStateDocumentError) in
            switch key {
            case "topics":
                document.topics = try reader.list(named: "topics") { reader, index throws(MigrationStateDocumentError) in
                    try reader.topic(at: index)
                }
            case "events":
                document.events = try reader.list(named: "events") { reader, index throws(MigrationStateDocumentError) in
                    try reader.event(at: index)
                }
            default:
                try reader.skipValue(depth: 1)
            }
        }
        skipWhitespace()
        guard position == bytes.count else { throw unexpected("after the document") }
        return document
    }

    private mutating func topic(at index: Int) throws(MigrationStateDocumentError) -> RawTopic {
        var topic = RawTopic()
        let path = "topics[\(index)]"
        try object(at: path, depth: 2) { reader, key throws(MigrationStateDocumentError) in
            switch key {
            case "topic": topic.topic = try reader.optionalString(at: "\(path).topic")
            case "state": topic.state = try reader.optionalString(at: "\(path).state")
            case "since": topic.since = try reader.optionalString(at: "\(path).since")
            case "migration_timeout_seconds": topic.migrationTimeoutSeconds = try reader.optionalSeconds(at: "\(path).migration_timeout_seconds")
            default: try reader.skipValue(depth: 3)
            }
        }
        return topic
    }

    private mutating func event(at index: Int) throws(MigrationStateDocumentError) -> RawEvent {
        var event = RawEvent()
        let path = "events[\(index)]"
        try object(at: path, depth: 2) { reader, key throws(MigrationStateDocumentError) in
            switch key {
            case "topic": event.topic = try reader.optionalString(at: "\(path).topic")
            case "type": event.type = try reader.optionalString(at: "\(path).type")
            case "at": event.at = try reader.optionalString(at: "\(path).at")
            default: try reader.skipValue(depth: 3)
            }
        }
        return event
    }

    /// A list of objects; `null` is an absent list.
    private mutating func list<Element>(
        named name: String, _ element: (inout Self, Int) throws(MigrationStateDocumentError) -> Element
    ) throws(MigrationStateDocumentError) -> [Element]? {
        skipWhitespace()
        if try literalNull() { return nil }
        guard peek == UInt8(ascii: "[") else {
            _ = try skipValue(depth: 1)
            throw .wrongType(path: name, expected: "a list")
        }
        position += 1
        var elements: [Element] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            position += 1
            return elements
        }
        while true {
            elements.append(try element(&self, elements.count))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return elements
            default: throw unexpected("in the \(name) list")
            }
        }
    }

    /// An object whose members `member` reads; anything else is the wrong type at `path`.
    private mutating func object(
        at path: String, depth: Int, _ member: (inout Self, String) throws(MigrationStateDocumentError) -> Void
    ) throws(MigrationStateDocumentError) {
        skipWhitespace()
        guard peek == UInt8(ascii: "{") else {
            _ = try skipValue(depth: depth)
            throw .wrongType(path: path, expected: "an object")
        }
        try members(depth: depth, member)
    }

    private mutating func optionalString(at path: String) throws(MigrationStateDocumentError) -> String? {
        skipWhitespace()
        if try literalNull() { return nil }
        guard peek == UInt8(ascii: "\"") else {
            _ = try skipValue(depth: 3)
            throw .wrongType(path: path, expected: "String")
        }
        return try string()
    }

    private mutating func optionalSeconds(at path: String) throws(MigrationStateDocumentError) -> SecondsValue? {
        skipWhitespace()
        if try literalNull() { return nil }
        if peek == UInt8(ascii: "\"") { return .text(try string()) }
        let start = position
        guard try skipValue(depth: 3) == .number, let number = Double(text(from: start, to: position)) else {
            throw .wrongType(path: path, expected: "a number of seconds")
        }
        return .number(number)
    }

    // MARK: JSON grammar

    private enum Kind { case object, array, string, number, literal }

    /// `{ "key": value, … }` from its opening brace; `member` consumes each value.
    private mutating func members(
        depth: Int, _ member: (inout Self, String) throws(MigrationStateDocumentError) -> Void
    ) throws(MigrationStateDocumentError) {
        guard depth < Self.depthLimit else { throw .notJSON("nested deeper than \(Self.depthLimit) levels at byte \(position)") }
        position += 1  // {
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw unexpected("where an object key belongs") }
            let key = try string()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw unexpected("after an object key") }
            position += 1
            try member(&self, key)
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return
            default: throw unexpected("in an object")
            }
        }
    }

    /// Checks and passes over one value of any kind.
    private mutating func skipValue(depth: Int) throws(MigrationStateDocumentError) -> Kind {
        skipWhitespace()
        switch peek {
        case UInt8(ascii: "{"):
            try members(depth: depth) { reader, _ throws(MigrationStateDocumentError) in _ = try reader.skipValue(depth: depth + 1) }
            return .object
        case UInt8(ascii: "["):
            guard depth < Self.depthLimit else { throw .notJSON("nested deeper than \(Self.depthLimit) levels at byte \(position)") }
            position += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                position += 1
                return .array
            }
            while true {
                _ = try skipValue(depth: depth + 1)
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "]"):
                    position += 1
                    return .array
                default: throw unexpected("in a list")
                }
            }
        case UInt8(ascii: "\""):
            _ = try string()
            return .string
        case UInt8(ascii: "t"): try expectLiteral("true"); return .literal
        case UInt8(ascii: "f"): try expectLiteral("false"); return .literal
        case UInt8(ascii: "n"): try expectLiteral("null"); return .literal
        default:
            try number()
            return .number
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func number() throws(MigrationStateDocumentError) {
        if peek == UInt8(ascii: "-") { position += 1 }
        if peek == UInt8(ascii: "0") {
            position += 1
        } else {
            guard digits() > 0 else { throw unexpected("where a value belongs") }
        }
        if peek == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw unexpected("in a number") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw unexpected("in a number") }
        }
    }

    private mutating func digits() -> Int {
        let start = position
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1 }
        return position - start
    }

    /// A string from its opening quote, escapes decoded; the text must be UTF-8.
    private mutating func string() throws(MigrationStateDocumentError) -> String {
        position += 1  // "
        let start = position
        var hasEscapes = false
        while true {
            guard let byte = peek else { throw .notJSON("a string that starts at byte \(start - 1) is not closed") }
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw .notJSON("a control character (0x\(String(byte, radix: 16))) in a string at byte \(position)") }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                position += 1
            }
            position += 1
        }
        let end = position
        position += 1  // "
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        if !hasEscapes {
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw .notJSON("a string at byte \(start - 1) is not UTF-8")
            }
            return text
        }
        return try unescape(raw, at: start)
    }

    private func unescape(_ raw: UnsafeRawBufferPointer, at offset: Int) throws(MigrationStateDocumentError) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(raw.count)
        var index = 0
        func hex4() throws(MigrationStateDocumentError) -> UInt32 {
            guard index + 4 <= raw.count else { throw .notJSON("a \\u escape at byte \(offset + index) is cut short") }
            var value: UInt32 = 0
            for byte in raw[index..<index + 4] {
                guard let digit = Self.hexDigit(byte) else { throw .notJSON("a \\u escape at byte \(offset + index) is not hexadecimal") }
                value = value << 4 | digit
            }
            index += 4
            return value
        }
        while index < raw.count {
            let byte = raw[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                continue
            }
            let escape = raw[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate is only half a character: its low half must follow.
                    guard index + 1 < raw.count, raw[index] == UInt8(ascii: "\\"), raw[index + 1] == UInt8(ascii: "u") else {
                        throw .notJSON("a lone surrogate escape in a string at byte \(offset + index)")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw .notJSON("a lone surrogate escape in a string at byte \(offset + index)") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let character = Unicode.Scalar(scalar) else {
                    throw .notJSON("a lone surrogate escape in a string at byte \(offset + index)")
                }
                utf8.append(contentsOf: Array(String(character).utf8))
            default:
                throw .notJSON("an unknown escape \\\(Unicode.Scalar(escape)) in a string at byte \(offset + index - 2)")
            }
        }
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw .notJSON("a string at byte \(offset - 1) is not UTF-8")
        }
        return text
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private mutating func literalNull() throws(MigrationStateDocumentError) -> Bool {
        guard peek == UInt8(ascii: "n") else { return false }
        try expectLiteral("null")
        return true
    }

    private mutating func expectLiteral(_ word: StaticString) throws(MigrationStateDocumentError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count,
              memcmp(bytes.baseAddress! + position, word.utf8Start, count) == 0
        else { throw unexpected("where a value belongs") }
        position += count
    }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private func text(from start: Int, to end: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    private func unexpected(_ place: String) -> MigrationStateDocumentError {
        guard let byte = peek else { return .notJSON("the document ends early (\(place))") }
        let shown = (0x21...0x7E).contains(byte) ? "'\(Unicode.Scalar(byte))'" : "byte 0x\(String(byte, radix: 16))"
        return .notJSON("unexpected \(shown) at byte \(position) \(place)")
    }
}
