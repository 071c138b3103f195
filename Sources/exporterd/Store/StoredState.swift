/// What `MigrationStore.restore()` hands back: the documents of the last committed poll as raw
/// JSON, decoded on demand so that one corrupt document does not take the others down with it.
import Foundation

/// Document names the daemon stores. Any other name works too; these are the ones it uses.
public enum StoredDocumentName {
    /// `AccountingSnapshot`: baselines and counters of every topic.
    public static let accounting = "accounting"
    /// `ProxiedCounterTotals`: the reset-corrected agent counters.
    public static let proxied = "proxied"
}

public struct StoredState: Sendable, Equatable {
    /// Document name → JSON, as the last committed poll left it.
    public var documents: [String: Data]
    /// How many polls were committed since the store was created.
    public var polls: Int64
    /// When the last poll was committed (wall clock of the daemon).
    public var committedAt: Date
    /// Sequence number of the last stored event; 0 when there is none.
    public var lastSequence: Int64
    /// The database file, for error messages.
    public var path: String

    /// The document `name` decoded as `T`; nil when it was never stored.
    ///
    /// Throws `.corrupt` when it does not decode. The daemon then logs that error, moves the
    /// blob aside with `MigrationStore.quarantine(document:reason:)` and starts that document
    /// fresh (as on first start: counters restart from the agents' values, baselines are taken
    /// anew). Refusing to start instead would blind operators in the middle of a migration for
    /// a problem that the next poll heals; the quarantined copy keeps the evidence.
    public func document<T: Decodable>(_ type: T.Type, named name: String) throws(MigrationStoreError) -> T? {
        guard let json = documents[name] else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: json)
        } catch {
            throw .corrupt(document: name, path: path, reason: Self.describe(error))
        }
    }

    /// DecodingError's own description is a wall of text; the path and debug text are what help.
    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context),
            DecodingError.keyNotFound(_, let context),
            DecodingError.typeMismatch(_, let context),
            DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "at \(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}
