/// What the audit reads from the store (CONTRACT §8 "persisted history"): per topic the times
/// of its latest INITIATED and COMPLETED events, and the stored accounting (the post-migration
/// counters). One query set, run by the daemon's own store (`MigrationStore.auditHistory()`)
/// and by the read-only store `exporterd audit` opens beside a running daemon
/// (`ReadOnlyMigrationStore`).
import Diagnostics
import Foundation
import SQLiteNIO

struct StoreHistory: Sendable {
    /// Per topic, its latest INITIATED and COMPLETED events.
    var initiated: [String: Date] = [:]
    var completed: [String: Date] = [:]
    /// The last committed accounting; nil when no poll was ever committed.
    var accounting: AccountingSnapshot?

    func audit(topic: String) -> AuditHistory {
        AuditHistory(
            initiatedAt: initiated[topic], completedAt: completed[topic],
            postMigrationRecords: accounting?.topics[topic]?.storedPostMigrationRecords)
    }

    /// Runs inside a read transaction on `db`; reads nothing but the events and the
    /// `accounting` document.
    static func read(_ db: SQLiteConnection, path: String) async throws(MigrationStoreError) -> StoreHistory {
        let op = "read audit history"
        var history = StoreHistory()
        let rows = try await MigrationStore.run(db, """
            SELECT seq, event FROM events WHERE seq IN (
                SELECT MAX(seq) FROM events WHERE type IN ('INITIATED', 'COMPLETED') GROUP BY topic, type)
            ORDER BY seq
            """, path: path, operation: op)
        for row in rows {
            let seq = Int64(row.column("seq")?.integer ?? 0)
            let event: MigrationEvent
            do {
                event = try JSONDecoder().decode(MigrationEvent.self, from: Data((row.column("event")?.string ?? "").utf8))
            } catch {
                throw .corruptEvent(seq: seq, path: path, reason: StoredState.describe(error))
            }
            switch event.type {
            case .initiated: history.initiated[event.topic] = event.at
            case .completed: history.completed[event.topic] = event.at
            default: break
            }
        }
        let documents = try await MigrationStore.run(
            db, "SELECT json FROM documents WHERE name = ?1", [.text(StoredDocumentName.accounting)], path: path, operation: op)
        if let json = documents.first?.column("json")?.string {
            do {
                history.accounting = try JSONDecoder().decode(AccountingSnapshot.self, from: Data(json.utf8))
            } catch {
                throw .corrupt(document: StoredDocumentName.accounting, path: path, reason: StoredState.describe(error))
            }
        }
        return history
    }
}

extension MigrationStore {
    /// The audit's history from the daemon's own connection, in one read transaction.
    func auditHistory() async throws(MigrationStoreError) -> StoreHistory {
        let path = self.path
        return try await transaction("read audit history", begin: "BEGIN") { (db) async throws(MigrationStoreError) in
            try await StoreHistory.read(db, path: path)
        }
    }
}
