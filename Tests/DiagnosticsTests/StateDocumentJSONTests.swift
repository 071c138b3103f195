/// The state document's own JSON reader (`StateDocumentJSON`): it must take every valid JSON
/// document Foundation takes, refuse what JSON refuses, and never crash or recurse unbounded.
import Diagnostics
import Foundation
import Testing

@Suite struct StateDocumentJSONTests {
    private func parse(_ json: String) throws(MigrationStateDocumentError) -> MigrationStateDocument {
        try MigrationStateDocument(json: Data(json.utf8))
    }

    private func isNotJSON(_ json: String) -> Bool {
        do {
            _ = try parse(json)
            return false
        } catch {
            if case .notJSON = error { return true }
            return false
        }
    }

    @Test func escapesAndUnicodeInNames() throws {
        let document = try parse(#"""
            {"topics": [{"topic": "a\"b\\c\/d\u00e9\ud83d\ude00\n\t", "state": "PROXY", "since": "2026-11-24T10:00:00Z"},
                        {"topic": "zürich-😀", "state": "COMPLETE", "since": "2026-11-24T10:00:00.5+01:00"}]}
            """#)
        #expect(document.topics.map(\.topic) == ["a\"b\\c/dé😀\n\t", "zürich-😀"])
    }

    @Test func unknownMembersOfAnyShapeAreSkipped() throws {
        let document = try parse("""
            {"version": 3, "generated_by": {"name": "controller", "tags": [1, 2.5e-3, -0, true, false, null, {"x": [[]]}]},
             "topics": [{"topic": "orders", "state": "PROXY", "since": "2026-11-24T10:00:00Z", "owner": {"team": ["a"]},
                         "migration_timeout_seconds": 1.5E2}],
             "events": null, "comment": "ok"}
            """)
        #expect(document.topics.map(\.topic) == ["orders"])
        #expect(document.topics.first?.migrationTimeoutSeconds == 150)
        #expect(document.events.isEmpty)
    }

    @Test func whitespaceAroundEverything() throws {
        let document = try parse(" \n\t{ \"topics\" : [ ] , \"events\" : [ ] } \r\n")
        #expect(document.topics.isEmpty)
    }

    @Test(arguments: [
        "", " ", "{", "{\"topics\": [}", "{\"topics\": []", "{\"topics\": []} x", "{'topics': []}",
        "{\"topics\": [] /* c */}", "{\"topics\" []}", "{topics: []}", "{\"a\" : 1 \"b\": 2}", "{\"topics\": [\"abc",
    ] + [
        "1,]", "01", "1.", ".5", "1e", "-", "tru", "nul", "\"a\u{01}\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"",
        "\"\\udc00\"", "[1 2]", "{\"k\" 1}", "+1", "NaN", "Infinity",
    ].map { "{\"topics\": [], \"x\": [\($0)}" })
    func malformedJSONIsNotJSON(_ json: String) {
        #expect(isNotJSON(json), "\(json)")
    }

    /// Foundation's parser takes a trailing comma; JSON (RFC 8259) does not, and neither does
    /// this reader: no JSON library writes one.
    @Test func trailingCommasAreRefused() {
        #expect(isNotJSON(#"{"topics": [],}"#))
        #expect(isNotJSON(#"{"topics": [], "x": [1,]}"#))
    }

    @Test func invalidUTF8IsNotJSON() {
        var bytes = Array(#"{"topics": [{"topic": "a"#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(#"", "state": "PROXY", "since": "2026-11-24T10:00:00Z"}]}"#.utf8)
        #expect {
            try MigrationStateDocument(json: Data(bytes))
        } throws: { error in
            if case .notJSON = error as? MigrationStateDocumentError { true } else { false }
        }
    }

    @Test func deepNestingIsRefusedNotRecursed() {
        let deep = "{\"x\": " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + ", \"topics\": []}"
        #expect(isNotJSON(deep))
        let deepObjects = "{\"x\": " + String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000) + "}"
        #expect(isNotJSON(deepObjects))
    }

    @Test(arguments: [
        (#"[]"#, MigrationStateDocumentError.wrongType(path: "document", expected: "an object")),
        (#""topics""#, .wrongType(path: "document", expected: "an object")),
        (#"{"topics": {}}"#, .wrongType(path: "topics", expected: "a list")),
        (#"{"topics": null}"#, .missingTopics),
        (#"{"topics": [], "events": 3}"#, .wrongType(path: "events", expected: "a list")),
        (#"{"topics": ["orders"]}"#, .wrongType(path: "topics[0]", expected: "an object")),
        (#"{"topics": [{"topic": ["orders"]}]}"#, .wrongType(path: "topics[0].topic", expected: "String")),
        (#"{"topics": [{"topic": null, "state": "PROXY", "since": "2026-11-24T10:00:00Z"}]}"#,
         .missingField(list: "topics", index: 0, field: "topic")),
        (#"{"topics": [{"topic": "a", "state": "PROXY", "since": "2026-11-24T10:00:00Z", "migration_timeout_seconds": true}]}"#,
         .wrongType(path: "topics[0].migration_timeout_seconds", expected: "a number of seconds")),
        (#"{"topics": [], "events": [{"topic": 1}]}"#, .wrongType(path: "events[0].topic", expected: "String")),
    ])
    func wrongShapesNameThePath(json: String, expected: MigrationStateDocumentError) {
        #expect(throws: expected) { try MigrationStateDocument(json: Data(json.utf8)) }
    }

    /// Every valid document the generator makes reads the same through this reader as through
    /// Foundation's parser (topics, states, times).
    @Test func agreesWithFoundationOnGeneratedDocuments() throws {
        var state: UInt64 = 42
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let names = ["orders", "pay\\\"ments", "caf\\u00e9", "\\ud83d\\ude00-x", "a/b", "t\\tab", "ünï"]
        let states = ["REJECT", "PROXY", "MIGRATING", "COMPLETE"]
        for _ in 0..<200 {
            let count = next(6)
            let entries = (0..<count).map { index in
                #"{"topic": "\#(names[next(names.count)])-\#(index)", "extra": [\#(next(100)), {"k": null}], "state": "\#(states[next(4)])", "since": "2026-11-\#(10 + next(18))T10:0\#(next(10)):00.\#(next(1000))Z"}"#
            }
            let json = #"{"topics": [\#(entries.joined(separator: ", "))]}"#
            let document = try parse(json)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let topics = try #require(object["topics"] as? [[String: Any]])
            #expect(document.topics.map(\.topic) == topics.map { $0["topic"] as? String ?? "" })
            #expect(document.topics.map(\.state.rawValue) == topics.map { $0["state"] as? String ?? "" })
            #expect(document.topics.map(\.since) == topics.map { RFC3339.date(from: $0["since"] as? String ?? "") ?? .distantPast })
        }
    }

    // Keys, states and times are recognised on the document's bytes; written with escapes they
    // are the same text and must read the same.
    @Test func escapedKeysStatesAndTimesReadAsTheirText() throws {
        let document = try parse(#"""
            {"t\u006fpics": [{"t\u006fpic": "orders", "st\u0061te": "PR\u004fXY", "since": "2026-11-24T10:00:00\u005a",
                              "migration_timeout_seconds": 60}],
             "ev\u0065nts": [{"topic": "orders", "typ\u0065": "ENABLED", "\u0061t": "2026-11-24T09:00:00\u005A"}]}
            """#)
        #expect(document.topics == [TopicStateReport(
            topic: "orders", state: .proxy, since: Date(timeIntervalSince1970: 1_795_514_400), migrationTimeoutSeconds: 60)])
        #expect(document.events == [ReportedEvent(topic: "orders", type: .enabled, at: Date(timeIntervalSince1970: 1_795_510_800))])
    }

    /// Entries are checked as they are read, but the problem reported is still the one a check
    /// of the whole read document would find first: JSON errors anywhere, then wrong types,
    /// then the first entry's problem (a topic listed twice before its other fields).
    @Test(arguments: [
        (#"{"topics": [{"topic": "a", "state": "DRAINING", "since": "2026-11-24T10:00:00Z"}], "x": [1,]}"#, nil),
        (#"{"topics": [{"topic": "a", "state": "DRAINING", "since": "2026-11-24T10:00:00Z"}, {"topic": 3}]}"#,
         MigrationStateDocumentError.wrongType(path: "topics[1].topic", expected: "String")),
        (#"{"topics": [{"topic": "a", "state": "PROXY", "since": "2026-11-24T10:00:00Z"}, {"topic": "a", "state": "DRAINING"}]}"#,
         .duplicateTopic(topic: "a", index: 1, firstIndex: 0)),
        (#"{"topics": [{"topic": "a", "state": "PROXY", "since": "2026-11-24T10:00:00Z"}, {"state": "DRAINING"}, {"topic": "a"}]}"#,
         .missingField(list: "topics", index: 1, field: "topic")),
        (#"{"events": [{"topic": "a"}], "topics": [{"topic": "a", "state": "PROXY", "since": "now"}]}"#,
         .invalidField(list: "topics", index: 0, field: "since", value: "now", expected: "an RFC 3339 time")),
        (#"{"events": [{"topic": "a"}], "topics": [{"topic": "a", "state": "PROXY", "since": "2026-11-24T10:00:00Z"}]}"#,
         .missingField(list: "events", index: 0, field: "type")),
        (#"{"topics": [{"topic": "a", "state": "PROXY", "since": "2026-11-24T10:00:00\u0021"}]}"#,
         .invalidField(list: "topics", index: 0, field: "since", value: "2026-11-24T10:00:00!", expected: "an RFC 3339 time")),
        (#"{"topics": [{"topic": "a", "state": "pro\u0078y", "since": "2026-11-24T10:00:00Z"}]}"#,
         .invalidField(list: "topics", index: 0, field: "state", value: "proxy", expected: "REJECT, PROXY, MIGRATING or COMPLETE")),
    ] as [(String, MigrationStateDocumentError?)])
    func theFirstProblemIsReported(json: String, expected: MigrationStateDocumentError?) {
        if let expected {
            #expect(throws: expected) { try parse(json) }
        } else {
            #expect(isNotJSON(json))
        }
    }

    /// A member given twice counts with its last value, the list's problems included.
    @Test func aListGivenTwiceCountsWithItsLastValue() throws {
        let bad = #"[{"topic": "a", "state": "DRAINING", "since": "2026-11-24T10:00:00Z"}]"#
        let good = #"[{"topic": "b", "state": "PROXY", "since": "2026-11-24T10:00:00Z"}]"#
        #expect(try parse(#"{"topics": \#(bad), "topics": \#(good)}"#).topics.map(\.topic) == ["b"])
        #expect(throws: MigrationStateDocumentError.invalidField(
            list: "topics", index: 0, field: "state", value: "DRAINING", expected: "REJECT, PROXY, MIGRATING or COMPLETE")) {
            try parse(#"{"topics": \#(good), "topics": \#(bad)}"#)
        }
        #expect(throws: MigrationStateDocumentError.missingTopics) { try parse(#"{"topics": \#(good), "topics": null}"#) }
    }

    /// Strings that are never made into text (keys, skipped members, states) are checked all the same.
    @Test(arguments: [
        [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D],  // {"\xC3(":1} (a key)
        Array(#"{"topics": [], "x": ""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8),  // a skipped string, a UTF-8 surrogate
        Array(#"{"topics": [{"topic": "a", "state": "PR"#.utf8) + [0xFF] + Array(#"", "since": "2026-11-24T10:00:00Z"}]}"#.utf8),
    ] as [[UInt8]])
    func invalidUTF8InAnyStringIsNotJSON(_ bytes: [UInt8]) {
        #expect {
            try MigrationStateDocument(json: Data(bytes))
        } throws: { error in
            if case .notJSON = error as? MigrationStateDocumentError { true } else { false }
        }
    }
}
