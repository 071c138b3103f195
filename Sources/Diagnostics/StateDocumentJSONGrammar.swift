/// The JSON grammar under `StateDocumentJSON` (RFC 8259, strictly): objects key by key, values
/// checked and passed over, strings as tokens into the document's bytes. A string is checked
/// when it is scanned (UTF-8, escapes) but becomes text only when asked for: most strings of a
/// state document are keys, states and times, recognised on their bytes.
import Foundation

/// A string in the document: its bytes between the quotes, already checked.
struct JSONString {
    var start: Int
    var end: Int
    /// The decoded text of a string with escapes (decoding is what checks them); nil when the
    /// bytes themselves are the text.
    var unescaped: String?
}

extension StateDocumentJSON {
    enum Kind { case object, array, string, number, literal }

    // MARK: Objects and values

    /// Opens the object at `{` and reads its first key up to the `:`; nil when the object is
    /// empty (then past its `}`).
    mutating func firstKey(depth: Int) throws(MigrationStateDocumentError) -> JSONString? {
        guard depth < Self.depthLimit else { throw .notJSON("nested deeper than \(Self.depthLimit) levels at byte \(position)") }
        position += 1  // {
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            position += 1
            return nil
        }
        return try key()
    }

    /// After a member's value: the next key, or nil past the object's `}`.
    mutating func nextKey() throws(MigrationStateDocumentError) -> JSONString? {
        skipWhitespace()
        switch peek {
        case UInt8(ascii: ","):
            position += 1
            return try key()
        case UInt8(ascii: "}"):
            position += 1
            return nil
        default: throw unexpected("in an object")
        }
    }

    private mutating func key() throws(MigrationStateDocumentError) -> JSONString {
        skipWhitespace()
        guard peek == UInt8(ascii: "\"") else { throw unexpected("where an object key belongs") }
        let key = try string()
        skipWhitespace()
        guard peek == UInt8(ascii: ":") else { throw unexpected("after an object key") }
        position += 1
        return key
    }

    /// Checks and passes over one value of any kind.
    mutating func skipValue(depth: Int) throws(MigrationStateDocumentError) -> Kind {
        skipWhitespace()
        switch peek {
        case UInt8(ascii: "{"):
            var key = try firstKey(depth: depth)
            while key != nil {
                _ = try skipValue(depth: depth + 1)
                key = try nextKey()
            }
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

    mutating func literalNull() throws(MigrationStateDocumentError) -> Bool {
        guard peek == UInt8(ascii: "n") else { return false }
        try expectLiteral("null")
        return true
    }

    private mutating func expectLiteral(_ word: StaticString) throws(MigrationStateDocumentError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count,
              Self.equal(UnsafeBufferPointer(rebasing: bytes[position..<position + count]), word)
        else { throw unexpected("where a value belongs") }
        position += count
    }

    mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    // MARK: Strings

    /// A string from its opening quote. The bytes must be UTF-8 and the escapes valid; a
    /// string without escapes is checked without making its text.
    mutating func string() throws(MigrationStateDocumentError) -> JSONString {
        position += 1  // "
        let start = position
        var hasEscapes = false
        var highBits: UInt8 = 0
        while true {
            guard position < bytes.count else { throw .notJSON("a string that starts at byte \(start - 1) is not closed") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw .notJSON("a control character (0x\(String(byte, radix: 16))) in a string at byte \(position)") }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                position += 1
            }
            highBits |= byte
            position += 1
        }
        let end = position
        position += 1  // "
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if hasEscapes { return JSONString(start: start, end: end, unescaped: try unescape(raw, at: start)) }
        // ASCII is UTF-8; anything else is checked once here, and only that costs a String.
        if highBits & 0x80 != 0, String(validating: raw, as: UTF8.self) == nil {
            throw .notJSON("a string at byte \(start - 1) is not UTF-8")
        }
        return JSONString(start: start, end: end, unescaped: nil)
    }

    /// The string's text.
    func text(_ string: JSONString) -> String {
        string.unescaped ?? String(decoding: UnsafeBufferPointer(rebasing: bytes[string.start..<string.end]), as: UTF8.self)
    }

    /// Whether the string's text is `word` (an ASCII key).
    func matches(_ string: JSONString, _ word: StaticString) -> Bool {
        if let unescaped = string.unescaped {
            return unescaped.utf8.elementsEqual(UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
        }
        return Self.equal(UnsafeBufferPointer(rebasing: bytes[string.start..<string.end]), word)
    }

    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        bytes.count == word.utf8CodeUnitCount && memcmp(bytes.baseAddress!, word.utf8Start, bytes.count) == 0
    }

    private func unescape(_ raw: UnsafeBufferPointer<UInt8>, at offset: Int) throws(MigrationStateDocumentError) -> String {
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

    // MARK: Errors

    func unexpected(_ place: String) -> MigrationStateDocumentError {
        guard let byte = peek else { return .notJSON("the document ends early (\(place))") }
        let shown = (0x21...0x7E).contains(byte) ? "'\(Unicode.Scalar(byte))'" : "byte 0x\(String(byte, radix: 16))"
        return .notJSON("unexpected \(shown) at byte \(position) \(place)")
    }
}
