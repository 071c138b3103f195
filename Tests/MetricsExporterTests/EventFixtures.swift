/// Stored events for the API tests, rendered as the daemon renders them (CONTRACT §6), and an
/// in-memory `MigrationEventSource` standing in for the daemon's store.
import MetricsExporter

enum EventFixtures {
    static func enabled(_ seq: Int64, topic: String = "orders") -> EventPayload {
        EventPayload(
            seq: seq, topic: topic,
            json: #"{"seq":\#(seq),"at":"2026-11-24T10:05:00.123Z","topic":"\#(topic)","type":"ENABLED","from":"REJECT","to":"PROXY","details":{"offset_lag":12,"time_lag_seconds":0.5}}"#)
    }

    static func unproxied(_ seq: Int64, topic: String = "orders") -> EventPayload {
        EventPayload(
            seq: seq, topic: topic,
            json: #"{"seq":\#(seq),"at":"2026-11-24T10:06:00.000Z","topic":"\#(topic)","type":"UNPROXIED_WRITES_DETECTED","from":null,"to":null,"details":{"records":3,"increase":3}}"#)
    }

    /// 1…count, alternating between `orders` and `payments`.
    static func sequence(_ range: ClosedRange<Int64>) -> [EventPayload] {
        range.map { $0 % 2 == 0 ? unproxied($0, topic: "payments") : enabled($0) }
    }
}

/// The store: answers like the daemon's (seq > after, topic, limit, ascending). `onQuery`
/// runs before each answer, so a test can commit an event "while" the route reads.
actor FakeEventStore: MigrationEventSource {
    private(set) var stored: [EventPayload]
    private(set) var queries: [(after: Int64?, topic: String?, limit: Int)] = []
    private var onFirstQuery: (@Sendable (FakeEventStore) async -> Void)?

    init(_ events: [EventPayload] = [], onFirstQuery: (@Sendable (FakeEventStore) async -> Void)? = nil) {
        stored = events
        self.onFirstQuery = onFirstQuery
    }

    func append(_ events: [EventPayload]) {
        stored += events
    }

    func events(after: Int64?, topic: String?, limit: Int) async throws -> [EventPayload] {
        if let hook = onFirstQuery {
            onFirstQuery = nil
            await hook(self)
        }
        queries.append((after, topic, limit))
        return Array(stored.filter { $0.seq > (after ?? 0) && (topic == nil || $0.topic == topic) }.prefix(limit))
    }
}

struct FailingEventStore: MigrationEventSource {
    struct Unavailable: Error {}

    func events(after: Int64?, topic: String?, limit: Int) async throws -> [EventPayload] {
        throw Unavailable()
    }
}
