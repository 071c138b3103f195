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
    /// Sorted keys: the same event always renders to the same bytes, in the API and on SSE.
    init(stored: StoredEvent) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.init(seq: stored.seq, topic: stored.event.topic,
                  json: String(decoding: try encoder.encode(stored), as: UTF8.self))
    }
}
