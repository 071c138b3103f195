/// Log injection: text from outside (an agent page, a broker, the state document, a config
/// value) reaches log messages and metadata. Neither format may let it start a line of its own
/// or carry terminal escape sequences.
import Foundation
import Logging
import Testing
@testable import exporterd

@Suite struct LoggingTests {
    final class Lines: TextOutputStream, @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func write(_ string: String) { lock.withLock { text += string } }
        var written: String { lock.withLock { text } }
    }

    final class Output: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func append(_ line: Data) { lock.withLock { data.append(line) } }
        var written: Data { lock.withLock { data } }
    }

    /// A forged second line, a bare carriage return that would overwrite the line on a
    /// terminal, and an escape sequence that would recolour it.
    static let hostile = "agent down\r\n2026-11-30T05:00:00+0000 info exporterd : all good\u{1B}[2K\rforged"

    @Test func textLogKeepsOneEventOnOneLine() {
        let lines = Lines()
        var handler = StreamLogHandler(label: "exporterd", stream: EscapingLogStream(lines))
        handler.logLevel = .info
        let logger = Logger(label: "exporterd") { _ in handler }
        logger.warning("\(Self.hostile)", metadata: ["error": "\(Self.hostile)", "topic\n": "a\u{07}b"])

        let written = lines.written
        #expect(written.hasSuffix("\n"))
        #expect(written.dropLast().allSatisfy { !$0.isNewline })
        #expect(!written.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(written.contains(#"agent down\r\n2026-11-30T05:00:00+0000 info exporterd : all good\u{1B}[2K\rforged"#))
        #expect(written.contains(#"topic\n=a\u{7}b"#))
    }

    @Test func ordinaryTextIsUntouched() {
        #expect(LogText.escaped("orders.v2 → 12 records, 5 µs, naïve") == "orders.v2 → 12 records, 5 µs, naïve")
    }

    @Test(arguments: [("\u{00}", #"\u{0}"#), ("\u{7F}", #"\u{7F}"#), ("\u{85}", #"\u{85}"#), ("\u{2028}", #"\u{2028}"#),
                      ("\u{202E}", #"\u{202E}"#), ("\t", #"\t"#)])
    func controlCharactersAreVisible(raw: String, escaped: String) {
        #expect(LogText.escaped("a\(raw)b") == "a\(escaped)b")
    }

    @Test func jsonLogStaysOneValidObjectPerLine() throws {
        let output = Output()
        var handler = JSONLogHandler(label: "exporterd")
        handler.output = { output.append($0) }
        let logger = Logger(label: "exporterd") { _ in handler }
        logger.warning("\(Self.hostile)", metadata: ["error": "\(Self.hostile)"])

        let written = output.written
        #expect(written.last == 0x0A)
        #expect(!written.dropLast().contains { $0 < 0x20 })
        let object = try #require(try JSONSerialization.jsonObject(with: written.dropLast()) as? [String: String])
        #expect(object["message"] == Self.hostile)
        #expect(object["error"] == Self.hostile)
        // The one RFC 3339 form every timestamp we print uses: UTC, milliseconds, "Z".
        let time = try #require(object["time"])
        #expect(time.hasSuffix("Z") && time.count == "2026-11-24T10:05:00.123Z".count, "\(time)")
    }
}
