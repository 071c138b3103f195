/// The event API's view of the store: `/api/v1/events` and SSE replays page through what the
/// store committed, rendered as CONTRACT §6 JSON once, here.
import Foundation
import MetricsExporter

struct StoreEventSource: MigrationEventSource {
    let store: MigrationStore

    func events(after: Int64?, topic: String?, limit: Int) async throws -> [EventPayload] {
        try await store.events(after: after, topic: topic, limit: limit).map(EventPayload.init(stored:))
    }
}

extension EventPayload {
    init(stored: StoredEvent) throws {
        self.init(seq: stored.seq, topic: stored.event.topic,
                  json: String(decoding: try JSONEncoder().encode(stored), as: UTF8.self))
    }
}
