/// MigrationStore against real files in temporary directories: documents and events survive a
/// reopen, a failed poll leaves nothing behind, queries filter as the API needs, and the event
/// JSON is exactly CONTRACT §6's. The kill -9 test is in MigrationStoreCrashTests.swift.
import Diagnostics
import Foundation
import SQLiteNIO
import Testing
@testable import exporterd

/// A fresh data_dir under the system temporary directory, removed by `remove()`.
struct TemporaryDataDirectory {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("exporterd-store-\(UUID().uuidString)").path
    var databasePath: String { path + "/" + MigrationStore.fileName }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

func event(
    _ topic: String, _ type: MigrationEventType, from: MigrationState? = nil, to: MigrationState? = nil,
    at seconds: Double = 1_795_514_700.123, details: [String: EventDetail] = [:]
) -> MigrationEvent {
    MigrationEvent(topic: topic, type: type, from: from, to: to, at: Date(timeIntervalSince1970: seconds), details: details)
}

@Suite struct MigrationStoreTests {
    @Test func freshStoreHasNothingToRestore() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let store = try await MigrationStore.open(dataDirectory: dir.path + "/nested/data")  // creates the directories
        #expect(try await store.restore() == nil)
        #expect(await store.lastSequence == 0)
        #expect(try await store.eventCounts().isEmpty)
        try await store.close()
    }

    @Test func documentsSurviveReopen() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        var proxied = ProxiedCounterTotals()
        proxied.observe(target: "http://agent-1:8080/metrics", page: ProxiedCounterPage(countersByTopic: ["orders": TopicCounters(records: 42, bytes: 4200)]),
                        sourceTopics: ["orders": "orders"])
        let accounting = AccountingSnapshot()
        let counters = ["events_seen": 7]

        let store = try await MigrationStore.open(dataDirectory: dir.path)
        try await store.commitPoll(documents: ["accounting": accounting, "proxied": proxied], events: [])
        // A later poll naming only some documents leaves the others as they were.
        try await store.commitPoll(documents: ["counters": counters], events: [], at: Date(timeIntervalSince1970: 1000))
        try await store.close()

        let reopened = try await MigrationStore.open(dataDirectory: dir.path)
        let state = try #require(try await reopened.restore())
        #expect(state.polls == 2)
        #expect(state.committedAt == Date(timeIntervalSince1970: 1000))
        #expect(try state.document(AccountingSnapshot.self, named: StoredDocumentName.accounting) == accounting)
        #expect(try state.document(ProxiedCounterTotals.self, named: StoredDocumentName.proxied) == proxied)
        #expect(try state.document([String: Int].self, named: "counters") == counters)
        #expect(try state.document([String: Int].self, named: "never-stored") == nil)
        try await reopened.close()
    }

    @Test func sequenceContinuesAcrossReopenWithoutGaps() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        var all: [StoredEvent] = []
        for round in 0..<3 {
            let store = try await MigrationStore.open(dataDirectory: dir.path)
            all += try await store.commitPoll(documents: [:], events: [
                event("orders", .enabled, from: .reject, to: .proxy), event("payments", .sourceTopicReset),
            ])
            all += try await store.commitPoll(documents: [:], events: [])  // a quiet poll takes no numbers
            #expect(await store.lastSequence == Int64(2 * (round + 1)))
            try await store.close()
        }
        #expect(all.map(\.seq) == Array(1...6))
        let store = try await MigrationStore.open(dataDirectory: dir.path)
        #expect(try await store.events(limit: 100) == all)
        #expect(try await store.restore()?.lastSequence == 6)
        try await store.close()
    }

    @Test(arguments: [MigrationStore.InjectedFault.afterDocuments, .afterEvents])
    func failedPollLeavesNothingOfIt(fault: MigrationStore.InjectedFault) async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let store = try await MigrationStore.open(dataDirectory: dir.path)
        let first = try await store.commitPoll(documents: ["counters": ["n": 1]], events: [event("orders", .initiated)])

        await store.inject(fault)
        await #expect(throws: MigrationStoreError.self) {
            try await store.commitPoll(documents: ["counters": ["n": 2], "other": ["x": 1]],
                                       events: [event("orders", .completed), event("orders", .postMigrationWritesDetected)])
        }
        let state = try #require(try await store.restore())
        #expect(state.polls == 1)
        #expect(try state.document([String: Int].self, named: "counters") == ["n": 1])
        #expect(state.documents["other"] == nil)
        #expect(try await store.events(limit: 100) == first)
        #expect(await store.lastSequence == 1)

        // The store stays usable, and the retried poll takes the numbers the failed one did not.
        await store.inject(nil)
        let retried = try await store.commitPoll(documents: ["counters": ["n": 2]], events: [event("orders", .completed)])
        #expect(retried.map(\.seq) == [2])
        try await store.close()
    }

    @Test func eventsFilterByAfterTopicAndLimit() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let store = try await MigrationStore.open(dataDirectory: dir.path)
        let topics = ["orders", "payments", "orders", "audit", "orders", "payments"]
        let stored = try await store.commitPoll(documents: [:], events: topics.map { event($0, .directProducerDetected) })

        #expect(try await store.events(after: 2, limit: 100).map(\.seq) == [3, 4, 5, 6])
        #expect(try await store.events(topic: "orders", limit: 100).map(\.seq) == [1, 3, 5])
        #expect(try await store.events(after: 1, topic: "orders", limit: 1).map(\.seq) == [3])
        #expect(try await store.events(limit: 2) == Array(stored.prefix(2)))
        #expect(try await store.events(after: 6, limit: 10).isEmpty)
        #expect(try await store.events(limit: 0).isEmpty)
        #expect(try await store.events(limit: -1).isEmpty)  // never SQLite's "no limit"
        #expect(try await store.latestEvents(limit: 2).map(\.seq) == [5, 6])
        #expect(try await store.latestEvents(topic: "payments", limit: 5).map(\.seq) == [2, 6])
        try await store.close()
    }

    @Test func eventCountsByTypeSurviveReopen() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let store = try await MigrationStore.open(dataDirectory: dir.path)
        try await store.commitPoll(documents: [:], events: [
            event("a", .enabled), event("b", .enabled), event("a", .unproxiedWritesDetected),
        ])
        try await store.close()
        let reopened = try await MigrationStore.open(dataDirectory: dir.path)
        #expect(try await reopened.eventCounts() == [.enabled: 2, .unproxiedWritesDetected: 1])
        try await reopened.close()
    }

    @Test func eventJSONIsContractShape() throws {
        let transition = StoredEvent(seq: 12, event: event(
            "payments", .initiated, from: .proxy, to: .migrating, at: 1_795_514_700.123,
            details: ["offset_lag": .integer(1500), "time_lag_seconds": .seconds(2.5), "reason": .text("operator")]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(transition), as: UTF8.self)
        #expect(json == #"{"at":"2026-11-24T10:05:00.123Z","details":{"offset_lag":1500,"reason":"operator","time_lag_seconds":2.5},"from":"PROXY","seq":12,"to":"MIGRATING","topic":"payments","type":"INITIATED"}"#)

        let diagnostic = StoredEvent(seq: 13, event: event("payments", .unproxiedWritesDetected, at: 1_795_514_701))
        let object = try #require(JSONSerialization.jsonObject(with: try JSONEncoder().encode(diagnostic)) as? [String: Any])
        #expect(Set(object.keys) == ["seq", "at", "topic", "type", "from", "to", "details"])
        #expect(object["from"] is NSNull && object["to"] is NSNull)  // present and null, not left out
        #expect(object["at"] as? String == "2026-11-24T10:05:01.000Z")
        #expect((object["details"] as? [String: Any])?.isEmpty == true)
    }

    @Test func corruptDocumentIsReportedAndCanBeQuarantined() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let store = try await MigrationStore.open(dataDirectory: dir.path)
        try await store.commitPoll(documents: ["accounting": AccountingSnapshot(), "counters": ["n": 1]], events: [])
        try await store.close()
        try await withRawConnection(dir) { db in
            _ = try await db.query("UPDATE documents SET json = '{\"version\": \"x\"' WHERE name = 'accounting'")
        }

        let reopened = try await MigrationStore.open(dataDirectory: dir.path)
        let state = try #require(try await reopened.restore())
        let error = #expect(throws: MigrationStoreError.self) {
            try state.document(AccountingSnapshot.self, named: "accounting")
        }
        guard case .corrupt(let document, let path, _) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
        #expect(document == "accounting" && path == dir.databasePath)
        #expect(try state.document([String: Int].self, named: "counters") == ["n": 1])  // the others are fine

        try await reopened.quarantine(document: "accounting", reason: "\(error!)")
        #expect(try await reopened.restore()?.documents["accounting"] == nil)
        try await reopened.close()
        try await withRawConnection(dir) { db in
            let rows = try await db.query("SELECT name FROM quarantined_documents")
            #expect(rows.map { $0.column("name")?.string } == ["accounting"])
        }
    }

    @Test func fileThatIsNotADatabaseCannotOpen() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: dir.databasePath))
        let error = await #expect(throws: MigrationStoreError.self) {
            try await MigrationStore.open(dataDirectory: dir.path)
        }
        guard case .cannotOpen(let path, _) = error else {
            Issue.record("expected .cannotOpen, got \(String(describing: error))")
            return
        }
        #expect(path == dir.databasePath)
    }

    @Test func newerSchemaIsRefused() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        try await MigrationStore.open(dataDirectory: dir.path).close()
        try await withRawConnection(dir) { db in _ = try await db.query("UPDATE schema_version SET version = 99") }
        await #expect(throws: MigrationStoreError.newerSchema(path: dir.databasePath, found: 99, supported: StoreSchema.currentVersion)) {
            try await MigrationStore.open(dataDirectory: dir.path)
        }
    }

    @Test func secondStoreOnSameDataDirIsRefused() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let store = try await MigrationStore.open(dataDirectory: dir.path)
        await #expect(throws: MigrationStoreError.self) { try await MigrationStore.open(dataDirectory: dir.path) }
        try await store.close()
        try await MigrationStore.open(dataDirectory: dir.path).close()  // released by close()
    }

    @Test func usingAClosedStoreThrows() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let store = try await MigrationStore.open(dataDirectory: dir.path)
        try await store.close()
        await #expect(throws: MigrationStoreError.closed(path: dir.databasePath)) {
            try await store.commitPoll(documents: [:], events: [])
        }
    }

    @Test func concurrentCommitsAreSerialized() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let store = try await MigrationStore.open(dataDirectory: dir.path)
        try await withThrowingTaskGroup { group in
            for index in 0..<20 {
                group.addTask { try await store.commitPoll(documents: ["n": [index]], events: [event("t\(index)", .enabled)]) }
            }
            try await group.waitForAll()
        }
        #expect(try await store.events(limit: 100).map(\.seq) == Array(1...20))
        #expect(try await store.restore()?.polls == 20)
        try await store.close()
    }
}

/// A plain connection to the store's file, for tampering with it behind the store's back.
func withRawConnection(_ dir: TemporaryDataDirectory, _ body: (SQLiteConnection) async throws -> Void) async throws {
    let db = try await SQLiteConnection.open(storage: .file(path: dir.databasePath))
    do { try await body(db) } catch {
        try await db.close()
        throw error
    }
    try await db.close()
}
