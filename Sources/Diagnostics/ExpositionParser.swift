/// Our own strict parser for the Prometheus text format 0.0.4, also reading OpenMetrics
/// text (`# EOF`, `_created` samples, exemplars). It works on UTF-8 bytes in one pass, line
/// by line, so a 5 MB agent page costs linear time and one String per name and label.
public enum ExpositionParser {
    public static func parse(_ text: String) throws(ExpositionError) -> Exposition {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(ExpositionError) in try parse(utf8: bytes) }
        }
        return try result.get()
    }

    public static func parse(_ bytes: [UInt8]) throws(ExpositionError) -> Exposition {
        let result = bytes.withUnsafeBufferPointer { bytes in
            Result { () throws(ExpositionError) in try parse(utf8: bytes) }
        }
        return try result.get()
    }

    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(ExpositionError) -> Exposition {
        var exposition = Exposition()
        var start = 0
        var lineNumber = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != ASCII.newline { end += 1 }
            var line = LineReader(bytes: bytes, position: start, end: end, line: lineNumber)
            line.skipBlanks()
            if !line.atEnd {
                guard !exposition.sawEOF else { throw .contentAfterEOF(line: lineNumber) }
                if line.peek == ASCII.hash {
                    try line.readComment(into: &exposition)
                } else {
                    let sample = try line.readSample()
                    if !isCreatedSample(sample.name, in: exposition) { exposition.samples.append(sample) }
                }
            }
            start = end + 1
        }
        return exposition
    }

    /// Reads only `scope`'s families: their lines strictly, every other line tolerantly (a
    /// line that does not parse is skipped and counted). A page with lines but none that
    /// parses is not an exposition page at all (an HTML error page, JSON): that throws
    /// `notExposition`, as does content after `# EOF`, which no writer produces.
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>, scope: ExpositionScope) throws(ExpositionError) -> ScopedExposition {
        var page = ScopedExposition()
        var comments = Exposition()
        var parsedLines = 0
        var start = 0
        var lineNumber = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != ASCII.newline { end += 1 }
            defer { start = end + 1 }
            var line = LineReader(bytes: bytes, position: start, end: end, line: lineNumber)
            line.skipBlanks()
            guard !line.atEnd else { continue }
            guard !comments.sawEOF else { throw .contentAfterEOF(line: lineNumber) }
            do {
                if line.peek == ASCII.hash {
                    // Every family's TYPE is kept while reading (a second TYPE line is an
                    // error whoever's it is); only the scope's are handed out.
                    try line.readComment(into: &comments)
                } else {
                    let sample = try line.readSample()
                    if scope.strictNames.contains(sample.name) || scope.lenientNames.contains(sample.name) {
                        page.samples.append(NumberedSample(sample, line: lineNumber))
                    }
                }
                parsedLines += 1
            } catch {
                if let name = LineReader.familyName(bytes: bytes, start: start, end: end, line: lineNumber),
                   scope.strictNames.contains(name) {
                    throw error
                }
                page.skippedLines += 1
                if page.firstSkipped == nil { page.firstSkipped = error }
            }
        }
        if parsedLines == 0, let first = page.firstSkipped { throw .notExposition(line: first.line) }
        page.types = comments.types.filter { scope.strictNames.contains($0.key) }
        page.sawEOF = comments.sawEOF
        return page
    }

    /// OpenMetrics adds `<family>_created` to counters, histograms and summaries: a
    /// creation time, not a count, so it is left out unless it has a TYPE of its own.
    private static func isCreatedSample(_ name: String, in exposition: Exposition) -> Bool {
        guard name.hasSuffix("_created"), exposition.types[name] == nil else { return false }
        return exposition.types[String(name.dropLast(8))]?.hasCreatedSample ?? false
    }
}

enum ASCII {
    static let newline = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let hash = UInt8(ascii: "#")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let equals = UInt8(ascii: "=")
    static let comma = UInt8(ascii: ",")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let n = UInt8(ascii: "n")

    static func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab }
    static func isLetterOrUnderscore(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F
    }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
