/// `GET /api/v1/events/stream`: migration events as Server-Sent Events. Each client
/// subscribes to the `EventBroadcaster` first, then replays from the store everything after
/// its resume point (`Last-Event-ID` or `after`), then forwards live events, skipping any
/// `seq` it already sent: events committed while it replayed come once, in order.
///
/// A client slower than the events has a bounded buffer; when it overflows, its response ends
/// after what it holds, and its `EventSource` reconnects with `Last-Event-ID` and replays the
/// rest from the store. The poll loop never waits on a client.
import Hummingbird

struct EventStream: Sendable {
    let events: any MigrationEventSource
    let broadcaster: EventBroadcaster
    let heartbeatInterval: Duration

    /// Events read from the store per page while replaying.
    static let replayPage = EventsQuery.maxLimit

    private enum Item: Sendable {
        case event(EventPayload)
        case heartbeat
    }

    func body(for query: EventsQuery) -> ResponseBody {
        ResponseBody { writer in
            let (live, id) = broadcaster.subscribe()
            defer { broadcaster.unsubscribe(id) }
            // Live events and heartbeats into one bounded stream. Only a full buffer of events
            // ends it (the client resumes from the store); a heartbeat that finds it full is
            // just not needed.
            let (items, itemsContinuation) = AsyncStream.makeStream(
                of: Item.self, bufferingPolicy: .bufferingOldest(broadcaster.bufferSize))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in live {
                        if case .dropped = itemsContinuation.yield(.event(event)) { break }
                    }
                    itemsContinuation.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: heartbeatInterval)
                        itemsContinuation.yield(.heartbeat)
                    }
                }
                do {
                    try await writer.write(ByteBuffer(string: ": connected\n\n"))
                    var lastSent = query.after ?? 0
                    while true {
                        let page = try await events.events(after: lastSent, topic: query.topic, limit: Self.replayPage)
                        for event in page where event.seq > lastSent {
                            try await writer.write(Self.frame(event))
                            lastSent = event.seq
                        }
                        if page.count < Self.replayPage { break }
                    }
                    for await item in items {
                        switch item {
                        case .heartbeat:
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        case .event(let event):
                            guard event.seq > lastSent else { continue }
                            if let topic = query.topic, event.topic != topic { continue }
                            try await writer.write(Self.frame(event))
                            lastSent = event.seq
                        }
                    }
                    group.cancelAll()
                } catch {
                    group.cancelAll()
                    itemsContinuation.finish()
                    throw error
                }
            }
            try await writer.finish(nil)
        }
    }

    /// One SSE message: `id: <seq>\nevent: migration\ndata: <json>\n\n`. `data:` must be one
    /// line; a raw line break in JSON can only be whitespace between tokens (inside strings it
    /// is escaped), so it is replaced by a space.
    static func frame(_ event: EventPayload) -> ByteBuffer {
        var json = event.json
        if json.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            json = String(json.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
        }
        return ByteBuffer(string: "id: \(event.seq)\nevent: migration\ndata: \(json)\n\n")
    }
}
