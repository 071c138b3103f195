/// Reads one line of an exposition page: a comment (`# HELP`, `# TYPE`, `# EOF`, other) or
/// a sample. A cursor over the page's bytes; it never looks past its line's end.
struct LineReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    let end: Int
    let line: Int

    var atEnd: Bool { position >= end }
    var peek: UInt8 { bytes[position] }

    mutating func skipBlanks() {
        while position < end, ASCII.isBlank(bytes[position]) { position += 1 }
    }

    /// Everything up to the next blank or the end of the line.
    mutating func readToken() -> String {
        let start = position
        while position < end, !ASCII.isBlank(bytes[position]) { position += 1 }
        return text(start..<position)
    }

    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` (metric) or `[a-zA-Z_][a-zA-Z0-9_]*` (label); nil when
    /// there is none here.
    mutating func readName(allowColon: Bool) -> String? {
        let start = position
        while position < end {
            let byte = bytes[position]
            let allowed = ASCII.isLetterOrUnderscore(byte) || (allowColon && byte == UInt8(ascii: ":"))
                || (position > start && ASCII.isDigit(byte))
            guard allowed else { break }
            position += 1
        }
        return position > start ? text(start..<position) : nil
    }

    /// The metric name a line is about, read as far as it goes whatever follows: a sample's
    /// name, or the name after `# HELP` / `# TYPE`. nil for other comments and for lines
    /// that start with no name at all. Used to decide whose line a broken one is.
    static func familyName(bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, line: Int) -> String? {
        var reader = LineReader(bytes: bytes, position: start, end: end, line: line)
        reader.skipBlanks()
        guard !reader.atEnd else { return nil }
        if reader.peek == ASCII.hash {
            reader.position += 1
            reader.skipBlanks()
            let keyword = reader.readToken()
            guard keyword == "HELP" || keyword == "TYPE" else { return nil }
            reader.skipBlanks()
        }
        return reader.readName(allowColon: true)
    }

    // MARK: comments

    mutating func readComment(into exposition: inout Exposition) throws(ExpositionError) {
        position += 1  // '#'
        skipBlanks()
        let keyword = readToken()
        switch keyword {
        case "HELP":
            skipBlanks()
            guard let name = readName(allowColon: true), atEnd || ASCII.isBlank(peek) else {
                throw .invalidMetricName(line: line)
            }
            if !atEnd { position += 1 }  // the one separating blank; the rest is text
            exposition.help[name] = try readEscaped(until: nil)
        case "TYPE":
            skipBlanks()
            guard let name = readName(allowColon: true), !atEnd, ASCII.isBlank(peek) else {
                throw .invalidMetricName(line: line)
            }
            skipBlanks()
            let typeText = readToken()
            skipBlanks()
            guard atEnd, let type = MetricType(rawValue: typeText) else {
                throw .invalidType(line: line, text: typeText)
            }
            guard exposition.types[name] == nil else { throw .duplicateType(line: line, name: name) }
            exposition.types[name] = type
        case "EOF":
            skipBlanks()
            if atEnd { exposition.sawEOF = true }  // else: a comment that starts with EOF
        default:
            break  // a plain comment
        }
    }

    // MARK: samples

    mutating func readSample() throws(ExpositionError) -> Sample {
        guard let name = readName(allowColon: true) else { throw .invalidMetricName(line: line) }
        var labels: [String: String] = [:]
        let blankAfterName = !atEnd && ASCII.isBlank(peek)
        skipBlanks()
        if !atEnd, peek == ASCII.openBrace {
            labels = try readLabels()
            skipBlanks()
        } else if !atEnd, !blankAfterName {
            throw .invalidMetricName(line: line)  // e.g. "foo-bar 1"
        }
        guard !atEnd else { throw .missingValue(line: line) }
        let valueText = readToken()
        guard let value = Self.parseFloat(valueText) else { throw .invalidValue(line: line, text: valueText) }
        var timestamp: Double?
        skipBlanks()
        if !atEnd, peek != ASCII.hash {
            let timestampText = readToken()
            guard let parsed = Self.parseFloat(timestampText), parsed.isFinite else {
                throw .invalidTimestamp(line: line, text: timestampText)
            }
            timestamp = parsed
            skipBlanks()
        }
        // An OpenMetrics exemplar (` # {labels} value [timestamp]`) is skipped.
        if !atEnd, peek != ASCII.hash {
            throw .unexpectedText(line: line, text: text(position..<end))
        }
        return Sample(name: name, labels: labels, value: value, timestamp: timestamp)
    }

    private mutating func readLabels() throws(ExpositionError) -> [String: String] {
        position += 1  // '{'
        var labels: [String: String] = [:]
        while true {
            skipBlanks()
            guard !atEnd else { throw .expectedCommaOrBrace(line: line) }
            if peek == ASCII.closeBrace { break }
            guard let name = readName(allowColon: false) else { throw .invalidLabelName(line: line) }
            skipBlanks()
            guard !atEnd, peek == ASCII.equals else { throw .expectedEqualsSign(line: line) }
            position += 1
            skipBlanks()
            guard !atEnd, peek == ASCII.quote else { throw .expectedQuote(line: line) }
            position += 1
            let value = try readEscaped(until: ASCII.quote)
            guard labels.updateValue(value, forKey: name) == nil else {
                throw .duplicateLabel(line: line, name: name)
            }
            skipBlanks()
            guard !atEnd else { throw .expectedCommaOrBrace(line: line) }
            if peek == ASCII.comma {
                position += 1
            } else if peek != ASCII.closeBrace {
                throw .expectedCommaOrBrace(line: line)
            }
        }
        position += 1  // '}'
        return labels
    }

    /// Text with `\\`, `\"` and `\n` escapes, up to `terminator` (consumed) or, when nil,
    /// the end of the line. Copies only when an escape is present.
    private mutating func readEscaped(until terminator: UInt8?) throws(ExpositionError) -> String {
        let start = position
        var unescaped: [UInt8]?
        while position < end {
            let byte = bytes[position]
            if byte == terminator {
                position += 1
                return unescaped.map { String(decoding: $0, as: UTF8.self) } ?? text(start..<position - 1)
            }
            if byte == ASCII.backslash {
                guard position + 1 < end else { throw .invalidEscape(line: line) }
                if unescaped == nil { unescaped = Array(bytes[start..<position]) }
                switch bytes[position + 1] {
                case ASCII.backslash: unescaped!.append(ASCII.backslash)
                case ASCII.quote: unescaped!.append(ASCII.quote)
                case ASCII.n: unescaped!.append(ASCII.newline)
                default: throw .invalidEscape(line: line)
                }
                position += 2
            } else {
                unescaped?.append(byte)
                position += 1
            }
        }
        guard terminator == nil else { throw .unterminatedLabelValue(line: line) }
        return unescaped.map { String(decoding: $0, as: UTF8.self) } ?? text(start..<position)
    }

    /// Go's ParseFloat as Prometheus uses it: decimal and exponent notation, NaN and
    /// (+/-)Inf in any case. Swift's parser also takes hex floats, which Go does too.
    static func parseFloat(_ text: String) -> Double? {
        guard let first = text.utf8.first, first != ASCII.space else { return nil }
        return Double(text)
    }
}
