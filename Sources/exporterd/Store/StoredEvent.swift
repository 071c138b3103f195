/// A migration event with the sequence number the store gave it, and its JSON form as the API
/// and the SSE stream send it (CONTRACT §6):
/// `{"seq": 12, "at": "2026-11-24T10:05:00.123Z", "topic": "payments", "type": "INITIATED",
///   "from": "PROXY", "to": "MIGRATING", "details": {...}}`.
import Diagnostics
import Foundation

public struct StoredEvent: Sendable, Hashable {
    /// Strictly increasing from 1, without gaps, across restarts.
    public var seq: Int64
    public var event: MigrationEvent

    public init(seq: Int64, event: MigrationEvent) {
        self.seq = seq
        self.event = event
    }
}

extension StoredEvent: Encodable {
    private enum Key: String, CodingKey {
        case seq, at, topic, type, from, to, details
    }

    /// Written field by field, in the contract's order, because the synthesized form of
    /// `MigrationEvent` would give `at` as a number, omit null `from`/`to` and wrap each detail
    /// in its enum case.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(RFC3339.string(from: event.at), forKey: .at)
        try container.encode(event.topic, forKey: .topic)
        try container.encode(event.type.rawValue, forKey: .type)
        // Explicit nulls: clients tell diagnostic events from transitions by them.
        if let from = event.from { try container.encode(from.rawValue, forKey: .from) } else { try container.encodeNil(forKey: .from) }
        if let to = event.to { try container.encode(to.rawValue, forKey: .to) } else { try container.encodeNil(forKey: .to) }
        var details = container.nestedContainer(keyedBy: DetailKey.self, forKey: .details)
        // Sorted so the same event always renders to the same bytes (golden files, ETags).
        for name in event.details.keys.sorted() {
            let key = DetailKey(name)
            switch event.details[name]! {
            case .integer(let value): try details.encode(value, forKey: key)
            case .seconds(let value): try details.encode(value, forKey: key)
            case .text(let value): try details.encode(value, forKey: key)
            }
        }
    }

    private struct DetailKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
