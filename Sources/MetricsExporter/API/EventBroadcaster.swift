/// Live fan-out of newly committed migration events to the SSE clients of
/// `/api/v1/events/stream`. The poll loop calls `publish` after each commit; it never waits on
/// a client: each subscriber has a bounded buffer, and a subscriber whose buffer is full has its
/// stream finished after what it already holds. That client then reconnects with
/// `Last-Event-ID` and replays the rest from the store, so it sees no gap and no duplicate;
/// nothing is ever dropped silently from the middle of a stream.
import NIOConcurrencyHelpers

public final class EventBroadcaster: Sendable {
    /// Identifies one subscription, for `unsubscribe`.
    public struct SubscriptionID: Sendable, Hashable {
        let value: UInt64
    }

    private struct Subscribers {
        var nextID: UInt64 = 0
        var continuations: [UInt64: AsyncStream<EventPayload>.Continuation] = [:]
        var finished = false
    }

    /// Events one subscriber may have waiting before its stream is finished.
    public let bufferSize: Int
    private let subscribers = NIOLockedValueBox(Subscribers())

    public init(bufferSize: Int = 1_000) {
        precondition(bufferSize > 0, "an event buffer holds at least one event")
        self.bufferSize = bufferSize
    }

    /// A new subscriber's stream: every event published from now on, in order, until the
    /// buffer overflows, `unsubscribe` or `finishAll`. Cancelling the consuming task (a
    /// client that went away) unsubscribes too.
    public func subscribe() -> (stream: AsyncStream<EventPayload>, id: SubscriptionID) {
        let (stream, continuation) = AsyncStream.makeStream(
            of: EventPayload.self, bufferingPolicy: .bufferingOldest(bufferSize))
        let id: UInt64? = subscribers.withLockedValue { subscribers in
            guard !subscribers.finished else { return nil }
            let id = subscribers.nextID
            subscribers.nextID += 1
            subscribers.continuations[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return (stream, SubscriptionID(value: .max))
        }
        continuation.onTermination = { [weak self] _ in
            self?.remove(id)
        }
        return (stream, SubscriptionID(value: id))
    }

    /// Ends a subscription (the client disconnected); its stream finishes.
    public func unsubscribe(_ id: SubscriptionID) {
        remove(id.value)?.finish()
    }

    /// Hands `events` to every subscriber without waiting. Subscribers whose buffer is full
    /// are removed and their streams finished once they have read what they hold.
    public func publish(_ events: [EventPayload]) {
        guard !events.isEmpty else { return }
        let overflowed: [AsyncStream<EventPayload>.Continuation] = subscribers.withLockedValue { subscribers in
            var overflowed: [AsyncStream<EventPayload>.Continuation] = []
            for (id, continuation) in subscribers.continuations {
                for event in events {
                    if case .enqueued = continuation.yield(event) { continue }
                    // Dropped (full) or already terminated: this stream must end here, before
                    // any gap, so the client resumes from the store.
                    subscribers.continuations[id] = nil
                    overflowed.append(continuation)
                    break
                }
            }
            return overflowed
        }
        // Outside the lock: `finish` runs `onTermination`, which takes it.
        for continuation in overflowed { continuation.finish() }
    }

    /// Finishes every stream and refuses new subscribers: for shutdown, so open SSE responses
    /// end and the HTTP server can stop.
    public func finishAll() {
        let all = subscribers.withLockedValue { subscribers in
            subscribers.finished = true
            defer { subscribers.continuations = [:] }
            return Array(subscribers.continuations.values)
        }
        for continuation in all { continuation.finish() }
    }

    /// Subscribers currently connected.
    public var subscriberCount: Int {
        subscribers.withLockedValue { $0.continuations.count }
    }

    @discardableResult
    private func remove(_ id: UInt64) -> AsyncStream<EventPayload>.Continuation? {
        subscribers.withLockedValue { $0.continuations.removeValue(forKey: id) }
    }
}
