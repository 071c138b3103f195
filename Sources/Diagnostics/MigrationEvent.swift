/// Migration events (CONTRACT §6) as plain values. Sequence numbers and storage belong to the
/// persistence layer; this module only says what happened, to which topic, and when.
import Foundation

public enum MigrationEventType: String, Sendable, Hashable, Codable, CaseIterable {
    case enabled = "ENABLED"
    case disabled = "DISABLED"
    case initiated = "INITIATED"
    case completed = "COMPLETED"
    case aborted = "ABORTED"
    case timedOut = "TIMED_OUT"
    case unproxiedWritesDetected = "UNPROXIED_WRITES_DETECTED"
    case postMigrationWritesDetected = "POST_MIGRATION_WRITES_DETECTED"
    case directProducerDetected = "DIRECT_PRODUCER_DETECTED"
    case sourceTopicReset = "SOURCE_TOPIC_RESET"
    case invalidTransition = "INVALID_TRANSITION"

    /// Lifecycle events carry from/to; diagnostic events carry neither.
    var isTransition: Bool {
        switch self {
        case .enabled, .disabled, .initiated, .completed, .aborted, .timedOut, .invalidTransition: true
        default: false
        }
    }
}

/// One value in an event's `details` object. Kept to JSON scalars so the API can render it as is.
public enum EventDetail: Sendable, Hashable, Codable {
    case integer(Int64)
    case seconds(Double)
    case text(String)
}

public struct MigrationEvent: Sendable, Hashable, Codable {
    public var topic: String
    public var type: MigrationEventType
    /// nil for diagnostic events.
    public var from: MigrationState?
    /// nil for diagnostic events.
    public var to: MigrationState?
    public var at: Date
    /// What the operator needs at that moment: `offset_lag`, `time_lag_seconds`,
    /// `seconds_migrating`, `records`, `increase`, `previous_source_offsets`, …
    public var details: [String: EventDetail]

    public init(
        topic: String, type: MigrationEventType, from: MigrationState? = nil, to: MigrationState? = nil,
        at: Date, details: [String: EventDetail] = [:]
    ) {
        self.topic = topic
        self.type = type
        self.from = from
        self.to = to
        self.at = at
        self.details = details
    }
}
