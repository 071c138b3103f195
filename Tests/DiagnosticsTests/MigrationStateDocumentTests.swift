/// Reading the migration state document (CONTRACT §3) from JSON, and the errors that name the
/// topic index and field of what is wrong.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct MigrationStateDocumentTests {
    @Test func readsTheContractExample() throws {
        let json = """
            {"topics": [
              {"topic": "orders",   "state": "PROXY",     "since": "2026-11-24T10:00:00Z"},
              {"topic": "payments", "state": "MIGRATING", "since": "2026-11-24T10:05:00.250+01:00",
               "migration_timeout_seconds": 300},
              {"topic": "audit",    "state": "COMPLETE",  "since": "2026-11-24T09:00:00Z"}
            ],
             "events": [{"topic": "payments", "type": "ABORTED", "at": "2026-11-24T10:04:00Z"}]}
            """
        let document = try MigrationStateDocument(json: Data(json.utf8))
        #expect(document.topics.map(\.state) == [.proxy, .migrating, .complete])
        #expect(document.report(for: "payments")?.migrationTimeoutSeconds == 300)
        #expect(document.report(for: "orders")?.since == Date(timeIntervalSince1970: 1_795_514_400))
        #expect(document.report(for: "payments")?.since == Date(timeIntervalSince1970: 1_795_514_700.25 - 3600))
        #expect(document.report(for: "unlisted") == nil)
        #expect(document.events == [
            ReportedEvent(topic: "payments", type: .aborted, at: Date(timeIntervalSince1970: 1_795_514_640)),
        ])
    }

    @Test func eventsAreOptional() throws {
        let document = try MigrationStateDocument(json: Data(#"{"topics": []}"#.utf8))
        #expect(document.topics.isEmpty && document.events.isEmpty)
    }

    @Test(arguments: [
        (#"{"topics": [{"topic": "a", "state": "PROXY", "since": "2026-11-24T10:00:00Z"}, {"topic": "b", "state": "DRAINING", "since": "2026-11-24T10:00:00Z"}]}"#,
         MigrationStateDocumentError.invalidField(
             list: "topics", index: 1, field: "state", value: "DRAINING", expected: "REJECT, PROXY, MIGRATING or COMPLETE")),
        (#"{"topics": [{"topic": "a", "since": "2026-11-24T10:00:00Z"}]}"#,
         .missingField(list: "topics", index: 0, field: "state")),
        (#"{"topics": [{"state": "PROXY", "since": "2026-11-24T10:00:00Z"}]}"#,
         .missingField(list: "topics", index: 0, field: "topic")),
        (#"{"topics": [{"topic": "a", "state": "PROXY"}]}"#,
         .missingField(list: "topics", index: 0, field: "since")),
        (#"{"topics": [{"topic": "a", "state": "PROXY", "since": "yesterday"}]}"#,
         .invalidField(list: "topics", index: 0, field: "since", value: "yesterday", expected: "an RFC 3339 time")),
        (#"{"topics": [{"topic": "a", "state": "PROXY", "since": "2026-11-24T10:00:00Z", "migration_timeout_seconds": -5}]}"#,
         .invalidField(list: "topics", index: 0, field: "migration_timeout_seconds", value: "-5.0", expected: "a positive number of seconds")),
        (#"{"topics": [], "events": [{"topic": "a", "type": "EXPLODED", "at": "2026-11-24T10:00:00Z"}]}"#,
         .invalidField(list: "events", index: 0, field: "type", value: "EXPLODED", expected: "a §6 event type")),
        (#"{"topics": [], "events": [{"topic": "a", "type": "ABORTED"}]}"#,
         .missingField(list: "events", index: 0, field: "at")),
        (#"{"topics": [{"topic": "a", "state": 3, "since": "2026-11-24T10:00:00Z"}]}"#,
         .wrongType(path: "topics[0].state", expected: "String")),
        (#"{"events": []}"#, .missingTopics),
    ])
    func brokenDocumentsNameWhereTheProblemIs(json: String, expected: MigrationStateDocumentError) {
        #expect(throws: expected) { try MigrationStateDocument(json: Data(json.utf8)) }
    }

    @Test func notJSONAtAll() {
        #expect {
            try MigrationStateDocument(json: Data("topics: []".utf8))
        } throws: { error in
            guard case .notJSON = error as? MigrationStateDocumentError else { return false }
            return true
        }
    }

    @Test func errorDescriptionsReadLikeConfigErrors() {
        let error = MigrationStateDocumentError.invalidField(
            list: "topics", index: 1, field: "state", value: "DRAINING", expected: "REJECT, PROXY, MIGRATING or COMPLETE")
        #expect(error.description == #"topics[1].state: invalid value "DRAINING", expected REJECT, PROXY, MIGRATING or COMPLETE"#)
    }

    /// Two entries for one topic: which one the controller meant is unknowable, so the document
    /// is refused naming the topic and both places, rather than the last entry silently winning.
    @Test func aTopicListedTwiceIsAnErrorNamingIt() {
        let json = #"""
            {"topics": [
              {"topic": "orders", "state": "PROXY", "since": "2026-11-24T10:00:00Z"},
              {"topic": "audit", "state": "COMPLETE", "since": "2026-11-24T10:00:00Z"},
              {"topic": "orders", "state": "REJECT", "since": "2026-11-24T11:00:00Z"}
            ]}
            """#
        #expect(throws: MigrationStateDocumentError.duplicateTopic(topic: "orders", index: 2, firstIndex: 0)) {
            try MigrationStateDocument(json: Data(json.utf8))
        }
        #expect(MigrationStateDocumentError.duplicateTopic(topic: "orders", index: 2, firstIndex: 0).description
            == #"topics[2].topic: topic "orders" is listed twice (also topics[0])"#)
    }

    /// YAML documents reach the model with every scalar as text, numbers included.
    @Test func migrationTimeoutAsDecimalText() throws {
        let json = #"{"topics": [{"topic": "a", "state": "MIGRATING", "since": "2026-11-24T10:00:00Z", "migration_timeout_seconds": "90.5"}]}"#
        #expect(try MigrationStateDocument(json: Data(json.utf8)).topics.first?.migrationTimeoutSeconds == 90.5)
    }

    @Test(arguments: ["abc", "nan", "inf", "0x10", "", "0", "-1"])
    func migrationTimeoutTextThatIsNoPositiveNumberIsRefused(_ text: String) {
        let json = #"{"topics": [{"topic": "a", "state": "MIGRATING", "since": "2026-11-24T10:00:00Z", "migration_timeout_seconds": "\#(text)"}]}"#
        #expect(throws: MigrationStateDocumentError.invalidField(
            list: "topics", index: 0, field: "migration_timeout_seconds", value: text, expected: "a positive number of seconds")) {
            try MigrationStateDocument(json: Data(json.utf8))
        }
    }
}

/// The lookups every poll makes per watched topic, answered from the document's index.
@Suite struct MigrationStateDocumentLookupTests {
    let since = Date(timeIntervalSince1970: 1_795_514_700)

    @Test func reportsAndEventsByTopic() throws {
        let json = """
            {"topics": [{"topic": "orders", "state": "PROXY", "since": "2026-11-24T10:05:00Z"},
                        {"topic": "payments", "state": "COMPLETE", "since": "2026-11-24T10:05:00Z"}],
             "events": [{"topic": "payments", "type": "INITIATED", "at": "2026-11-24T10:00:00Z"},
                        {"topic": "orders", "type": "ENABLED", "at": "2026-11-24T09:00:00Z"},
                        {"topic": "payments", "type": "COMPLETED", "at": "2026-11-24T10:05:00Z"}]}
            """
        let document = try MigrationStateDocument(json: Data(json.utf8))
        #expect(document.report(for: "orders")?.state == .proxy)
        #expect(document.report(for: "payments")?.state == .complete)
        #expect(document.report(for: "audit") == nil)
        #expect(document.events(for: "payments").map(\.type) == [.initiated, .completed])
        #expect(document.events(for: "orders").map(\.type) == [.enabled])
        #expect(document.events(for: "audit").isEmpty)
    }

    /// Carried-over entries come after the listed ones; a topic entered twice answers with its
    /// last entry, as the scan it replaced did.
    @Test func appendedEntriesAreFoundAndTheLastEntryWins() {
        var document = MigrationStateDocument(topics: [TopicStateReport(topic: "orders", state: .proxy, since: since)])
        document.append([
            TopicStateReport(topic: "audit", state: .migrating, since: since),
            TopicStateReport(topic: "orders", state: .complete, since: since),
        ])
        #expect(document.topics.map(\.topic) == ["orders", "audit", "orders"])
        #expect(document.report(for: "audit")?.state == .migrating)
        #expect(document.report(for: "orders")?.state == .complete)
    }

    @Test func equalityIgnoresHowTheDocumentWasBuilt() {
        let orders = TopicStateReport(topic: "orders", state: .proxy, since: since)
        let audit = TopicStateReport(topic: "audit", state: .complete, since: since)
        var appended = MigrationStateDocument(topics: [orders])
        appended.append([audit])
        #expect(appended == MigrationStateDocument(topics: [orders, audit]))
        #expect(Set([appended, MigrationStateDocument(topics: [orders, audit])]).count == 1)
    }
}
