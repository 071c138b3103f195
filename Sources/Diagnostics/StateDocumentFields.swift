/// The state document's entries as written, and the checks that turn each into its model value.
/// `StateDocumentJSON` reads an entry's fields, checks the entry as soon as its object closes
/// and keeps the checked value or the first problem, so that every problem is reported with the
/// entry's index and field name without a second pass over 100,000 loose entries.
import Foundation

/// An entry of one of the document's lists as written: its topic, if given, names it in a
/// problem, and `checked` turns it into its model value or its first problem.
protocol RawEntry {
    associatedtype Checked
    var topic: String? { get }
    func checked(index: Int) throws(MigrationStateDocumentError) -> Checked
}

/// One `topics[]` entry as written, every field optional.
struct RawTopic: RawEntry {
    var topic: String?
    var state: WrittenState?
    var since: WrittenTime?
    var migrationTimeoutSeconds: SecondsValue?

    /// The entry's model value, or its first problem in the order the fields are checked. An
    /// entry listed twice is reported by `MigrationStateDocument(json:)`, which sees them all.
    func checked(index: Int) throws(MigrationStateDocumentError) -> TopicStateReport {
        guard let topic else { throw .missingField(list: "topics", index: index, field: "topic") }
        guard let state else { throw .missingField(list: "topics", index: index, field: "state") }
        guard case .known(let migrationState) = state else {
            throw .invalidField(
                list: "topics", index: index, field: "state", value: state.text,
                expected: "REJECT, PROXY, MIGRATING or COMPLETE")
        }
        guard let since else { throw .missingField(list: "topics", index: index, field: "since") }
        guard case .time(let sinceTime) = since else {
            throw .invalidField(list: "topics", index: index, field: "since", value: since.text, expected: "an RFC 3339 time")
        }
        var timeoutSeconds: Double?
        if let timeout = migrationTimeoutSeconds {
            guard let seconds = timeout.seconds, seconds > 0, seconds.isFinite else {
                throw .invalidField(
                    list: "topics", index: index, field: "migration_timeout_seconds", value: timeout.text,
                    expected: "a positive number of seconds")
            }
            timeoutSeconds = seconds
        }
        return TopicStateReport(topic: topic, state: migrationState, since: sinceTime, migrationTimeoutSeconds: timeoutSeconds)
    }
}

/// One `events[]` entry as written, every field optional.
struct RawEvent: RawEntry {
    var topic: String?
    var type: String?
    var at: WrittenTime?

    func checked(index: Int) throws(MigrationStateDocumentError) -> ReportedEvent {
        guard let topic else { throw .missingField(list: "events", index: index, field: "topic") }
        guard let typeText = type else { throw .missingField(list: "events", index: index, field: "type") }
        guard let eventType = MigrationEventType(rawValue: typeText) else {
            throw .invalidField(list: "events", index: index, field: "type", value: typeText, expected: "a §6 event type")
        }
        guard let at else { throw .missingField(list: "events", index: index, field: "at") }
        guard case .time(let time) = at else {
            throw .invalidField(list: "events", index: index, field: "at", value: at.text, expected: "an RFC 3339 time")
        }
        return ReportedEvent(topic: topic, type: eventType, at: time)
    }
}

/// A `state` as written: one of the four states (recognised on the document's bytes, no text
/// made), or the text of anything else, for the error that names it.
enum WrittenState {
    case known(MigrationState)
    case unknown(String)

    var text: String {
        switch self {
        case .known(let state): state.rawValue
        case .unknown(let text): text
        }
    }
}

/// A time as written: read as RFC 3339 (on the document's bytes when it has no escapes), or the
/// text that is no such time.
enum WrittenTime {
    case time(Date)
    case invalid(String)

    var text: String {
        switch self {
        case .time(let date): RFC3339.string(from: date)
        case .invalid(let text): text
        }
    }
}

/// A list's entries, checked one by one as they are read: the model values of the entries
/// before the first problem, and that problem. Entries after it are still read (the document
/// must be valid JSON whatever else is wrong with it) but not checked: the first problem is
/// the one reported, as a check of the whole list in order would.
struct CheckedEntries<Entry> {
    var entries: [Entry] = []
    var problem: EntryProblem?

    mutating func append(index: Int, topic: String?, _ check: () throws(MigrationStateDocumentError) -> Entry) {
        guard problem == nil else { return }
        do throws(MigrationStateDocumentError) {
            entries.append(try check())
        } catch {
            problem = EntryProblem(index: index, topic: topic, error: error)
        }
    }
}

struct EntryProblem {
    var index: Int
    /// The entry's topic: listed twice, the entry is reported as such before its other problems.
    var topic: String?
    var error: MigrationStateDocumentError
}

struct RawDocument {
    /// nil when the document has no `topics` list (or it is `null`).
    var topics: CheckedEntries<TopicStateReport>?
    var events: CheckedEntries<ReportedEvent>?
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
