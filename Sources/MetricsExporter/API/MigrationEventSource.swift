/// The migration events (CONTRACT §6) as the HTTP side sees them: already rendered to their
/// JSON object by the daemon, which owns the store in `data_dir`. MetricsExporter never decodes
/// them; it embeds `json` verbatim in `/api/v1/events` and in the SSE `data:` lines.

/// One stored event.
public struct EventPayload: Sendable, Equatable {
    /// The event's `seq`: strictly increasing from 1, the SSE `id:`.
    public let seq: Int64
    /// The event's source topic, for the `topic` filter.
    public let topic: String
    /// The §6 JSON object, one line, exactly as the API serves it.
    public let json: String

    public init(seq: Int64, topic: String, json: String) {
        self.seq = seq
        self.topic = topic
        self.json = json
    }
}

/// Where the routes read stored events: implemented by the daemon over its store.
public protocol MigrationEventSource: Sendable {
    /// Events with `seq > after` (all when nil), only `topic`'s when given, ascending by `seq`,
    /// at most `limit` of them.
    func events(after: Int64?, topic: String?, limit: Int) async throws -> [EventPayload]
}

/// No events at all: what the routes read when the daemon wires no store (route tests, tools).
public struct NoMigrationEvents: MigrationEventSource {
    public init() {}

    public func events(after: Int64?, topic: String?, limit: Int) async throws -> [EventPayload] {
        []
    }
}
