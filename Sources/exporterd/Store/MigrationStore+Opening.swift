/// Opening the store: the data_dir lock, the connection settings that make a commit durable,
/// and the schema migrations (`StoreSchema`).
import Foundation
import SQLiteNIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MigrationStore {
    /// `mkdir -p` with reasons a person reads ("/srv/x is not a directory", "permission
    /// denied") rather than Foundation's "NSCocoaErrorDomain error 512".
    static func createDataDirectory(_ path: String) throws(MigrationStoreError) {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var prefix = ""
        for component in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o755) == 0 { continue }
            let code = errno
            var status = stat()
            if stat(prefix, &status) == 0 {  // there already (EEXIST, or a parent we may not write)
                guard (status.st_mode & S_IFMT) == S_IFDIR else {
                    throw .cannotCreateDirectory(path: path, reason: "\(prefix) is not a directory")
                }
                continue
            }
            throw .cannotCreateDirectory(path: path, reason: "\(prefix): \(OSErrorText.describe(code))")
        }
    }

    /// Takes an exclusive, non-blocking `flock` on the lock file and returns its descriptor.
    /// A second exporterd on the same data_dir would interleave its polls with ours and break the
    /// sequence numbers; SQLite's own locks would only make it wait.
    static func lockDataDirectory(_ lockPath: String, database: String) throws(MigrationStoreError) -> Int32 {
        let descriptor = openDescriptor(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: database, reason: "cannot open lock file \(lockPath): \(OSErrorText.describe(errno))")
        }
        // A lock we just released can still be held for a moment by a child process that was
        // being spawned (it shares the descriptor between fork and exec, O_CLOEXEC or not), so
        // an occupied lock is retried for a second before it means "another exporterd".
        var attempts = 0
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0, errno == EWOULDBLOCK, attempts < 20 {
            attempts += 1
            usleep(50_000)
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK
                ? "another exporterd is using this data_dir (\(lockPath) is locked)"
                : "cannot lock \(lockPath): \(OSErrorText.describe(errno))"
            closeDescriptor(descriptor)
            throw .cannotOpen(path: database, reason: reason)
        }
        return descriptor
    }

    /// Sets the connection up and migrates the schema; returns the last stored sequence number.
    /// Every failure here is `.cannotOpen` (or `.newerSchema`): the daemon cannot run on it.
    static func prepare(_ db: SQLiteConnection, path: String) async throws(MigrationStoreError) -> Int64 {
        do throws(MigrationStoreError) {
            // WAL: readers (the API) never block the poll's commit. The pragma answers the mode
            // actually in force, which stays "delete" on file systems without shared memory.
            let mode = try await run(db, "PRAGMA journal_mode = WAL", path: path, operation: "set WAL")
                .first?.column("journal_mode")?.string
            guard mode?.lowercased() == "wal" else {
                throw MigrationStoreError.cannotOpen(path: path, reason: "journal_mode WAL refused (got \(mode ?? "nothing"))")
            }
            // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power loss.
            _ = try await run(db, "PRAGMA synchronous = FULL", path: path, operation: "set synchronous")
            try await migrate(db, path: path)
            return Int64(try await run(db, "SELECT COALESCE(MAX(seq), 0) AS seq FROM events", path: path, operation: "read last seq")
                .first?.column("seq")?.integer ?? 0)
        } catch {
            switch error {
            case .cannotOpen, .newerSchema: throw error
            // "file is not a database", I/O errors, …: all mean this file cannot be used.
            default: throw .cannotOpen(path: path, reason: "\(error)")
            }
        }
    }

    /// Brings the schema to `StoreSchema.currentVersion`, one transaction per migration.
    private static func migrate(_ db: SQLiteConnection, path: String) async throws(MigrationStoreError) {
        let op = "migrate schema"
        _ = try await run(db, "BEGIN IMMEDIATE", path: path, operation: op)
        do throws(MigrationStoreError) {
            _ = try await run(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", path: path, operation: op)
            if try await run(db, "SELECT version FROM schema_version", path: path, operation: op).isEmpty {
                _ = try await run(db, "INSERT INTO schema_version (version) VALUES (0)", path: path, operation: op)
            }
            _ = try await run(db, "COMMIT", path: path, operation: op)
        } catch {
            _ = try? await run(db, "ROLLBACK", path: path, operation: op)
            throw error
        }
        while true {
            _ = try await run(db, "BEGIN IMMEDIATE", path: path, operation: op)
            do throws(MigrationStoreError) {
                let version = try await run(db, "SELECT version FROM schema_version", path: path, operation: op)
                    .first?.column("version")?.integer ?? 0
                if version > StoreSchema.currentVersion {
                    throw MigrationStoreError.newerSchema(path: path, found: Int(version), supported: StoreSchema.currentVersion)
                }
                if version == StoreSchema.currentVersion {
                    _ = try await run(db, "COMMIT", path: path, operation: op)
                    return
                }
                for statement in StoreSchema.migrations[Int(version)] {
                    _ = try await run(db, statement, path: path, operation: "migrate schema to \(version + 1)")
                }
                _ = try await run(db, "UPDATE schema_version SET version = ?1", [.integer(version + 1)], path: path, operation: op)
                _ = try await run(db, "COMMIT", path: path, operation: op)
            } catch {
                _ = try? await run(db, "ROLLBACK", path: path, operation: op)
                throw error
            }
        }
    }
}

// Qualified because the actor's own `close()` and `open(…)` would shadow the C functions.
#if canImport(Glibc)
func closeDescriptor(_ descriptor: Int32) { _ = Glibc.close(descriptor) }
func openDescriptor(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Glibc.open(path, flags, mode) }
#elseif canImport(Darwin)
func closeDescriptor(_ descriptor: Int32) { _ = Darwin.close(descriptor) }
func openDescriptor(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Darwin.open(path, flags, mode) }
#endif
