/// The audit's view of the store: `ReadOnlyMigrationStore` reads the history while the daemon
/// holds the store open (no lock taken, nothing written), sees the daemon's later commits,
/// and refuses a missing or newer store; plus `--since` parsing.
import Foundation
import SQLiteNIO
import Testing
@testable import Diagnostics
@testable import exporterd

@Suite struct AuditStoreTests {
    static func accounting(postMigrationRecords: Int64) -> AccountingSnapshot {
        var topic = TopicSnapshot(topic: "orders")
        topic.postMigration.setBaseline(10)
        _ = topic.postMigration.observe(sourceOffsets: 10 + postMigrationRecords, at: Date(timeIntervalSince1970: 1_795_000_000))
        return AccountingSnapshot(topics: ["orders": topic, "payments": TopicSnapshot(topic: "payments")])
    }

    @Test func readsTheHistoryWhileTheDaemonHoldsTheStore() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let daemon = try await MigrationStore.open(dataDirectory: dir.path)
        try await daemon.commitPoll(documents: [StoredDocumentName.accounting: Self.accounting(postMigrationRecords: 3)], events: [
            event("orders", .initiated, from: .proxy, to: .migrating, at: 1000),
            event("orders", .completed, from: .migrating, to: .complete, at: 1060),
            event("payments", .enabled, from: .reject, to: .proxy, at: 1100),
        ])

        let reader = try await ReadOnlyMigrationStore.open(dataDirectory: dir.path)
        let history = try await reader.history()
        #expect(history.audit(topic: "orders") == AuditHistory(
            initiatedAt: Date(timeIntervalSince1970: 1000), completedAt: Date(timeIntervalSince1970: 1060), postMigrationRecords: 3))
        #expect(history.audit(topic: "payments") == AuditHistory())
        #expect(history.audit(topic: "unknown") == AuditHistory())

        // The daemon goes on committing beside the reader; the reader sees the new poll.
        try await daemon.commitPoll(documents: [StoredDocumentName.accounting: Self.accounting(postMigrationRecords: 5)], events: [
            event("orders", .initiated, from: .proxy, to: .migrating, at: 2000),
        ])
        let later = try await reader.history()
        #expect(later.audit(topic: "orders").postMigrationRecords == 5)
        #expect(later.audit(topic: "orders").initiatedAt == Date(timeIntervalSince1970: 2000))  // the latest one

        // The reader took no lock: the daemon still holds data_dir against a second daemon.
        await #expect(throws: MigrationStoreError.self) { try await MigrationStore.open(dataDirectory: dir.path) }
        // And the daemon's own audit read gives the same history.
        #expect(try await daemon.auditHistory().audit(topic: "orders") == later.audit(topic: "orders"))
        await reader.close()
        try await daemon.close()
    }

    @Test func readingWritesNothing() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let daemon = try await MigrationStore.open(dataDirectory: dir.path)
        try await daemon.commitPoll(documents: [StoredDocumentName.accounting: Self.accounting(postMigrationRecords: 1)],
                                    events: [event("orders", .completed, from: .migrating, to: .complete)])
        try await daemon.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: dir.databasePath))
        let reader = try await ReadOnlyMigrationStore.open(dataDirectory: dir.path)
        _ = try await reader.history()
        await reader.close()
        let after = try Data(contentsOf: URL(fileURLWithPath: dir.databasePath))
        #expect(before == after)
        // A daemon can still take data_dir afterwards: no lock was left behind.
        let again = try await MigrationStore.open(dataDirectory: dir.path)
        try await again.close()
    }

    @Test func aMissingStoreIsAnErrorNamingThePath() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        do {
            _ = try await ReadOnlyMigrationStore.open(dataDirectory: dir.path)
            Issue.record("opened a store that does not exist")
        } catch {
            #expect("\(error)".contains(dir.databasePath))
            #expect("\(error)".contains("no store here"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path))  // and nothing was created
    }

    @Test func aNewerStoreIsRefused() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        let daemon = try await MigrationStore.open(dataDirectory: dir.path)
        try await daemon.close()
        let db = try await SQLiteConnection.open(storage: .file(path: dir.databasePath))
        _ = try await db.query("UPDATE schema_version SET version = 99")
        try await db.close()
        await #expect(throws: MigrationStoreError.newerSchema(path: dir.databasePath, found: 99, supported: StoreSchema.currentVersion)) {
            _ = try await ReadOnlyMigrationStore.open(dataDirectory: dir.path)
        }
    }

    @Test func notAStoreIsRefused() async throws {
        let dir = TemporaryDataDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        try Data("not sqlite at all, just text".utf8).write(to: URL(fileURLWithPath: dir.databasePath))
        await #expect(throws: MigrationStoreError.self) { _ = try await ReadOnlyMigrationStore.open(dataDirectory: dir.path) }
    }

    @Test func uriKeepsOddPathsOneFile() {
        #expect(ReadOnlyMigrationStore.uri(readOnly: "/srv/data/exporterd.sqlite") == "file:/srv/data/exporterd.sqlite?mode=ro")
        #expect(ReadOnlyMigrationStore.uri(readOnly: "/srv/a?mode=rwc#x/exporterd.sqlite")
            == "file:/srv/a%3Fmode=rwc%23x/exporterd.sqlite?mode=ro")
    }

    @Test func sinceWindow() {
        #expect(AuditWindow.parse("7d") == 604_800)
        #expect(AuditWindow.parse("2w") == 1_209_600)
        #expect(AuditWindow.parse("36h") == 129_600)
        #expect(AuditWindow.parse("1h30m") == 5400)
        #expect(AuditWindow.parse("90s") == 90)
        for bad in ["", "7", "d", "-1d", "0s", "7days", "abc"] {
            #expect(AuditWindow.parse(bad) == nil, "\(bad)")
        }
    }
}
