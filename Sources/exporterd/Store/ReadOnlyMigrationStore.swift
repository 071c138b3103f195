/// The store opened read-only (`ReadOnlyMigrationStore`), for `exporterd audit` beside a
/// running daemon.
import Foundation
import Logging
import SQLiteNIO

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
