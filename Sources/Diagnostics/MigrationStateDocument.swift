/// The migration state document (CONTRACT §3) as a model, and its checks (the JSON itself is
/// read by `StateDocumentJSON`). YAML documents are converted to this same model by the layer
/// that reads them; nothing here does I/O.
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

public struct MigrationStateDocument: Sendable, Hashable {
    public private(set) var topics: [TopicStateReport]
    public private(set) var events: [ReportedEvent]
    /// Every poll looks each watched topic up: a scan per topic made a 100,000-entry document
    /// cost ~40 s per poll, so the lookups are indexed once per document.
    private var reportIndex: [String: Int] = [:]
    private var eventsByTopic: [String: [ReportedEvent]] = [:]

    public init(topics: [TopicStateReport], events: [ReportedEvent] = []) {
        self.topics = []
        self.events = events
        reportIndex.reserveCapacity(topics.count)
        for event in events { eventsByTopic[event.topic, default: []].append(event) }
        append(topics)
    }

    /// `reportIndex`: each topic's position in `topics`, every topic listed once.
    init(topics: [TopicStateReport], reportIndex: [String: Int], events: [ReportedEvent]) {
        self.topics = topics
        self.events = events
        self.reportIndex = reportIndex
        for event in events { eventsByTopic[event.topic, default: []].append(event) }
    }

    /// The topic's entry, or nil when the document does not list it (it is then REJECT). A
    /// topic listed twice (only possible for carried-over entries) answers with its last entry.
    public func report(for topic: String) -> TopicStateReport? {
        reportIndex[topic].map { topics[$0] }
    }

    /// The document's events for `topic`, in document order.
    public func events(for topic: String) -> [ReportedEvent] {
        eventsByTopic[topic] ?? []
    }

    /// Adds entries after the listed ones (`StableStateDocument` carries vanishing topics so).
    public mutating func append(_ reports: [TopicStateReport]) {
        // Even an empty reserve copies a list shared with another document: 100,000 entries
        // copied on every poll that carries nothing over.
        guard !reports.isEmpty else { return }
        topics.reserveCapacity(topics.count + reports.count)
        for report in reports {
            reportIndex[report.topic] = topics.count
            topics.append(report)
        }
    }

    // The indexes are derived from the lists: equality and hashing are the lists'.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.topics == rhs.topics && lhs.events == rhs.events
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(topics)
        hasher.combine(events)
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
    /// Reads a JSON document. Each entry is checked as it is read, so that every problem is
    /// reported with the list, entry index and field name rather than a decoder path; a document
    /// that is not JSON at all is refused before any entry's problem is reported.
    public init(json data: Data) throws(MigrationStateDocumentError) {
        let raw = try StateDocumentJSON.read(data)
        guard let topics = raw.topics else { throw .missingTopics }
        // The index every poll's lookups use is also what finds a topic listed twice.
        var reportIndex: [String: Int] = [:]
        reportIndex.reserveCapacity(topics.entries.count)
        for (index, report) in topics.entries.enumerated() {
            if let first = reportIndex.updateValue(index, forKey: report.topic) {
                throw .duplicateTopic(topic: report.topic, index: index, firstIndex: first)
            }
        }
        if let problem = topics.problem {
            if let topic = problem.topic, let first = reportIndex[topic] {
                throw .duplicateTopic(topic: topic, index: problem.index, firstIndex: first)
            }
            throw problem.error
        }
        let events = raw.events ?? CheckedEntries()
        if let problem = events.problem { throw problem.error }
        self.init(topics: topics.entries, reportIndex: reportIndex, events: events.entries)
    }
}
