/// What the audit reads from the store (CONTRACT §8 "persisted history"): per topic the times
/// of its latest INITIATED and COMPLETED events, and the stored accounting (the post-migration
/// counters). One query set, run by the daemon's own store (`MigrationStore.auditHistory()`)
/// and by the read-only store `exporterd audit` opens beside a running daemon.
import Diagnostics
import Foundation
import Logging
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

/// The store opened read-only, for `exporterd audit` while the daemon runs: no lock on
/// data_dir (the daemon holds it), no schema migration, no pragma that writes, and SQLite's
/// `mode=ro` so that nothing this connection does can change the file. WAL lets it read the
/// last committed poll while the daemon commits the next.
actor ReadOnlyMigrationStore {
    nonisolated let path: String
    private var connection: SQLiteConnection?

    private init(path: String, connection: SQLiteConnection) {
        self.path = path
        self.connection = connection
    }

    /// Opens `data_dir/exporterd.sqlite`; `.cannotOpen` when it does not exist (the daemon never
    /// ran there) or is no exporterd store, `.newerSchema` when a newer exporterd wrote it.
    static func open(dataDirectory: String, logger: Logger = Logger(label: "exporterd.store")) async throws(MigrationStoreError) -> ReadOnlyMigrationStore {
        let directory = URL(fileURLWithPath: dataDirectory, isDirectory: true)
        let path = directory.appendingPathComponent(MigrationStore.fileName).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw .cannotOpen(path: path, reason: "no store here: exporterd run has not used this data_dir")
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: uri(readOnly: path)), logger: logger)
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        do throws(MigrationStoreError) {
            let rows = try await MigrationStore.run(connection, "SELECT version FROM schema_version", path: path, operation: "read schema version")
            let version = Int(rows.first?.column("version")?.integer ?? 0)
            if version > StoreSchema.currentVersion {
                throw MigrationStoreError.newerSchema(path: path, found: version, supported: StoreSchema.currentVersion)
            }
            guard version >= 1 else { throw MigrationStoreError.cannotOpen(path: path, reason: "the store was never set up (schema version 0)") }
        } catch {
            try? await connection.close()
            switch error {
            case .newerSchema, .cannotOpen: throw error
            default: throw .cannotOpen(path: path, reason: "\(error)")
            }
        }
        return ReadOnlyMigrationStore(path: path, connection: connection)
    }

    /// A SQLite URI naming the file read-only. Characters with a meaning in a URI are
    /// percent-encoded so that a data_dir containing `?` or `#` cannot add parameters.
    static func uri(readOnly path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path) + "?mode=ro"
    }

    func history() async throws(MigrationStoreError) -> StoreHistory {
        guard let db = connection else { throw .closed(path: path) }
        let path = self.path
        _ = try await MigrationStore.run(db, "BEGIN", path: path, operation: "read audit history")
        do throws(MigrationStoreError) {
            let history = try await StoreHistory.read(db, path: path)
            _ = try await MigrationStore.run(db, "COMMIT", path: path, operation: "read audit history")
            return history
        } catch {
            _ = try? await MigrationStore.run(db, "ROLLBACK", path: path, operation: "read audit history")
            throw error
        }
    }

    func close() async {
        guard let connection else { return }
        self.connection = nil
        try? await connection.close()
    }
}
