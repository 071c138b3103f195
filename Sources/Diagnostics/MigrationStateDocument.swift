/// The migration state document (CONTRACT §3) as a model, and its JSON reading. YAML documents
/// are converted to this same model by the layer that reads them; nothing here does I/O.
import Foundation

/// One topic's entry in the document.
public struct TopicStateReport: Sendable, Hashable, Codable {
    public var topic: String
    public var state: MigrationState
    public var since: Date
    /// nil: the configured default applies.
    public var migrationTimeoutSeconds: Double?

    public init(topic: String, state: MigrationState, since: Date, migrationTimeoutSeconds: Double? = nil) {
        self.topic = topic
        self.state = state
        self.since = since
        self.migrationTimeoutSeconds = migrationTimeoutSeconds
    }
}

/// An event the state source itself reports; its reason wins over the one exporterd infers
/// for the same transition.
public struct ReportedEvent: Sendable, Hashable, Codable {
    public var topic: String
    public var type: MigrationEventType
    public var at: Date

    public init(topic: String, type: MigrationEventType, at: Date) {
        self.topic = topic
        self.type = type
        self.at = at
    }
}

public struct MigrationStateDocument: Sendable, Hashable, Codable {
    public var topics: [TopicStateReport]
    public var events: [ReportedEvent]

    public init(topics: [TopicStateReport], events: [ReportedEvent] = []) {
        self.topics = topics
        self.events = events
    }

    /// The topic's entry, or nil when the document does not list it (it is then REJECT).
    public func report(for topic: String) -> TopicStateReport? {
        topics.last { $0.topic == topic }
    }
}

/// Why a document was refused. Each case names where in the document the problem is, so the
/// operator can fix the controller's output without guessing.
public enum MigrationStateDocumentError: Error, Hashable, CustomStringConvertible {
    case notJSON(String)
    case missingTopics
    case missingField(list: String, index: Int, field: String)
    case invalidField(list: String, index: Int, field: String, value: String, expected: String)
    case wrongType(path: String, expected: String)
    /// One topic with two entries: which one holds is anybody's guess, so neither is taken.
    case duplicateTopic(topic: String, index: Int, firstIndex: Int)

    public var description: String {
        switch self {
        case .notJSON(let reason): "migration state document is not valid JSON: \(reason)"
        case .missingTopics: "migration state document: missing \"topics\" list"
        case .missingField(let list, let index, let field): "\(list)[\(index)].\(field): missing"
        case .invalidField(let list, let index, let field, let value, let expected):
            "\(list)[\(index)].\(field): invalid value \"\(value)\", expected \(expected)"
        case .wrongType(let path, let expected): "\(path): expected \(expected)"
        case .duplicateTopic(let topic, let index, let firstIndex):
            "topics[\(index)].topic: topic \"\(topic)\" is listed twice (also topics[\(firstIndex)])"
        }
    }
}

extension MigrationStateDocument {
    /// Reads a JSON document. Fields are first taken loosely (all optional) so that every
    /// problem can be reported with the topic index and field name rather than a decoder path.
    public init(json data: Data) throws(MigrationStateDocumentError) {
        let raw: RawDocument
        do {
            raw = try JSONDecoder().decode(RawDocument.self, from: data)
        } catch let error as DecodingError {
            throw Self.translate(error)
        } catch {
            throw .notJSON(String(describing: error))
        }
        guard let rawTopics = raw.topics else { throw .missingTopics }
        var topics: [TopicStateReport] = []
        var firstIndex: [String: Int] = [:]
        for (index, entry) in rawTopics.enumerated() {
            guard let topic = entry.topic else { throw .missingField(list: "topics", index: index, field: "topic") }
            if let first = firstIndex[topic] { throw .duplicateTopic(topic: topic, index: index, firstIndex: first) }
            firstIndex[topic] = index
            guard let stateText = entry.state else { throw .missingField(list: "topics", index: index, field: "state") }
            guard let state = MigrationState(rawValue: stateText) else {
                throw .invalidField(
                    list: "topics", index: index, field: "state", value: stateText,
                    expected: "REJECT, PROXY, MIGRATING or COMPLETE")
            }
            guard let sinceText = entry.since else { throw .missingField(list: "topics", index: index, field: "since") }
            guard let since = RFC3339.date(from: sinceText) else {
                throw .invalidField(
                    list: "topics", index: index, field: "since", value: sinceText, expected: "an RFC 3339 time")
            }
            var timeoutSeconds: Double?
            if let timeout = entry.migration_timeout_seconds {
                guard let seconds = timeout.seconds, seconds > 0, seconds.isFinite else {
                    throw .invalidField(
                        list: "topics", index: index, field: "migration_timeout_seconds", value: timeout.text,
                        expected: "a positive number of seconds")
                }
                timeoutSeconds = seconds
            }
            topics.append(TopicStateReport(topic: topic, state: state, since: since, migrationTimeoutSeconds: timeoutSeconds))
        }
        var events: [ReportedEvent] = []
        for (index, entry) in (raw.events ?? []).enumerated() {
            guard let topic = entry.topic else { throw .missingField(list: "events", index: index, field: "topic") }
            guard let typeText = entry.type else { throw .missingField(list: "events", index: index, field: "type") }
            guard let type = MigrationEventType(rawValue: typeText) else {
                throw .invalidField(
                    list: "events", index: index, field: "type", value: typeText, expected: "a §6 event type")
            }
            guard let atText = entry.at else { throw .missingField(list: "events", index: index, field: "at") }
            guard let at = RFC3339.date(from: atText) else {
                throw .invalidField(list: "events", index: index, field: "at", value: atText, expected: "an RFC 3339 time")
            }
            events.append(ReportedEvent(topic: topic, type: type, at: at))
        }
        self.init(topics: topics, events: events)
    }

    private static func translate(_ error: DecodingError) -> MigrationStateDocumentError {
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return .wrongType(path: path(context.codingPath), expected: "\(type)")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .notJSON(context.debugDescription)
        case .dataCorrupted(let context):
            return .wrongType(path: path(context.codingPath), expected: context.debugDescription)
        case .keyNotFound(let key, let context):
            return .wrongType(path: path(context.codingPath + [key]), expected: "a value")
        @unknown default:
            return .notJSON(String(describing: error))
        }
    }

    /// `topics[2].state`, the way the config errors spell paths.
    private static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "document" : text
    }
}

private struct RawDocument: Decodable {
    var topics: [RawTopic]?
    var events: [RawEvent]?
}

private struct RawTopic: Decodable {
    var topic: String?
    var state: String?
    var since: String?
    var migration_timeout_seconds: SecondsValue?
}

/// A number of seconds as JSON writes it (`300`) or as text (`"300"`): YAML documents reach
/// this model with every scalar as the text written, so that a topic named `on` or `0123` stays
/// that name, and their numbers arrive as text.
private enum SecondsValue: Decodable {
    case number(Double)
    case text(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

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

private struct RawEvent: Decodable {
    var topic: String?
    var type: String?
    var at: String?
}
