/// Errors of the migration store (`data_dir/exporterd.sqlite`). Each carries the database path
/// and SQLite's own message, so a log line alone tells the operator which file and what went
/// wrong, without a debugger.
import Foundation

public enum MigrationStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `data_dir` does not exist and could not be created (permissions, a file in the way, …).
    case cannotCreateDirectory(path: String, reason: String)
    /// The database could not be opened or set up: not an SQLite file, unreadable, WAL refused,
    /// a migration failed. The daemon cannot persist anything, so it must not start.
    case cannotOpen(path: String, reason: String)
    /// The file was written by a newer exporterd; opening it with this one could lose data.
    case newerSchema(path: String, found: Int, supported: Int)
    /// A statement failed after the store was open (disk full, I/O error, …). The poll's
    /// transaction was rolled back, so the stored state is still the previous poll's.
    case sqlite(path: String, operation: String, reason: String)
    /// A stored document is not valid JSON for the type asked for. See `MigrationStore` for
    /// what the daemon does then.
    case corrupt(document: String, path: String, reason: String)
    /// A stored event row does not decode.
    case corruptEvent(seq: Int64, path: String, reason: String)
    /// A document the daemon handed in could not be encoded to JSON (a programming error).
    case cannotEncode(document: String, reason: String)
    /// The store was used after `close()`.
    case closed(path: String)

    public var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let reason):
            "cannot create data directory \(path): \(reason)"
        case .cannotOpen(let path, let reason):
            "cannot open store \(path): \(reason)"
        case .newerSchema(let path, let found, let supported):
            "store \(path) has schema version \(found), this exporterd supports up to \(supported)"
        case .sqlite(let path, let operation, let reason):
            "store \(path): \(operation) failed: \(reason)"
        case .corrupt(let document, let path, let reason):
            "store \(path): document \"\(document)\" is corrupt: \(reason)"
        case .corruptEvent(let seq, let path, let reason):
            "store \(path): event \(seq) is corrupt: \(reason)"
        case .cannotEncode(let document, let reason):
            "cannot encode document \"\(document)\": \(reason)"
        case .closed(let path):
            "store \(path) is closed"
        }
    }
}
