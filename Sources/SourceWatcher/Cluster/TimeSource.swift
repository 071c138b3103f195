/// Time as exporterd reads it, injected so tests never wait on real windows: wall time for
/// stamps that leave the process (the accounting's read times, metrics, events) and a
/// monotonic reading for intervals (deadlines, reconnect backoff, metadata age, the poll
/// cadence), which a wall-clock step cannot move.
import struct Foundation.Date

/// A reading of a monotonic clock: a duration since an origin private to its `TimeSource`.
/// Readings of different sources are not comparable.
public struct MonotonicInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var sinceOrigin: Duration

    public init(sinceOrigin: Duration) {
        self.sinceOrigin = sinceOrigin
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.sinceOrigin < rhs.sinceOrigin
    }

    public func advanced(by duration: Duration) -> MonotonicInstant {
        MonotonicInstant(sinceOrigin: sinceOrigin + duration)
    }

    public static func + (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant {
        lhs.advanced(by: rhs)
    }

    public static func - (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant {
        lhs.advanced(by: .zero - rhs)
    }

    public static func - (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Duration {
        lhs.sinceOrigin - rhs.sinceOrigin
    }

    public var description: String { "monotonic+\(sinceOrigin)" }
}

public protocol TimeSource: Sendable {
    /// Wall-clock time: may step (NTP, an operator) by any amount in either direction.
    func wallNow() -> Date
    /// Monotonic time: never steps, includes time the machine was suspended.
    func monotonicNow() -> MonotonicInstant
    /// Returns once `monotonicNow() >= deadline`; throws `CancellationError` when cancelled.
    func sleep(until deadline: MonotonicInstant) async throws
}

extension TimeSource {
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: monotonicNow().advanced(by: duration))
    }
}

/// The machine's clocks: `Date()` and `ContinuousClock` (CLOCK_BOOTTIME on Linux, so it
/// advances through a suspend as the wall clock does, and the two only disagree on a step).
public struct SystemTimeSource: TimeSource {
    /// Initialised once, on first use, thread-safely (a global `let`).
    private static let origin = ContinuousClock.now

    public init() {}

    public func wallNow() -> Date { Date() }

    public func monotonicNow() -> MonotonicInstant {
        MonotonicInstant(sinceOrigin: ContinuousClock.now - Self.origin)
    }

    public func sleep(until deadline: MonotonicInstant) async throws {
        try await Task.sleep(until: Self.origin.advanced(by: deadline.sinceOrigin), clock: .continuous)
    }
}

/// The time one read of a cluster may take (`request_timeout`): the metadata refresh, the
/// requests to every leader and the retry of moved partitions all share it, so several
/// timeouts never add up, and a reconnect within the read is bounded by it too.
public struct ReadDeadline: Sendable, Hashable {
    /// When the read began: a connect failure from before this does not stop the read's own
    /// first attempt (see `ReconnectBackoff`).
    public let startedAt: MonotonicInstant
    public let expiresAt: MonotonicInstant

    public init(startedAt: MonotonicInstant, budget: Duration) {
        self.startedAt = startedAt
        self.expiresAt = startedAt.advanced(by: budget)
    }

    public var budget: Duration { expiresAt - startedAt }

    /// Time left at `now`; zero or negative once expired.
    public func remaining(at now: MonotonicInstant) -> Duration { expiresAt - now }
}
