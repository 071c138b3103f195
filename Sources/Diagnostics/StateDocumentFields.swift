/// The state document's fields as written, before any check: what `StateDocumentJSON` reads
/// and `MigrationStateDocument(json:)` checks, so that each problem is reported with the entry's
/// index and field name.

/// One `topics[]` entry, every field optional.
struct RawTopic {
    var topic: String?
    var state: String?
    var since: String?
    var migrationTimeoutSeconds: SecondsValue?
}

struct RawEvent {
    var topic: String?
    var type: String?
    var at: String?
}

struct RawDocument {
    var topics: [RawTopic]?
    var events: [RawEvent]?
}

/// A number of seconds as JSON writes it (`300`) or as text (`"300"`): YAML documents reach
/// this model with every scalar as the text written, so that a topic named `on` or `0123` stays
/// that name, and their numbers arrive as text.
enum SecondsValue {
    case number(Double)
    case text(String)

    var seconds: Double? {
        switch self {
        case .number(let value): value
        // Decimal notation only: `Double` alone would also take "nan", "inf" and hex floats.
        case .text(let text):
            text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "+" || $0 == "-") })
                ? Double(text) : nil
        }
    }

    var text: String {
        switch self {
        case .number(let value): "\(value)"
        case .text(let text): text
        }
    }
}
