/// When to try a broker again after a failed connect: exponential from `initial` to `maximum`,
/// with jitter so many exporters restarting together do not reconnect in lockstep.
///
/// The backoff keeps one read from hammering a dead broker (its leaders, its retry and the
/// reads running beside it fail fast), but it never stops a read's first attempt at a broker
/// when the failure happened before that read began: polls are `poll_interval` apart already,
/// and a broker that answers again must be seen by the next poll (CONTRACT §4 cluster_up).
public struct ReconnectBackoff: Sendable, Equatable {
    public let initial: Duration
    public let maximum: Duration
    public private(set) var consecutiveFailures = 0
    public private(set) var notBefore: MonotonicInstant?
    public private(set) var lastFailureAt: MonotonicInstant?

    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(10)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// May a read that began at `readStartedAt` try now?
    public func allowsAttempt(at now: MonotonicInstant, readStartedAt: MonotonicInstant? = nil) -> Bool {
        guard let notBefore else { return true }
        if now >= notBefore { return true }
        if let readStartedAt, let lastFailureAt, lastFailureAt < readStartedAt { return true }
        return false
    }

    /// A connect failed at `now`; `jitter` in 0...1 scales the wait down by up to 20 %.
    public mutating func failed(at now: MonotonicInstant, jitter: Double) {
        consecutiveFailures += 1
        let exponent = min(consecutiveFailures - 1, 16)
        var wait = initial * (1 << exponent)
        if wait > maximum { wait = maximum }
        wait = wait * (1.0 - 0.2 * min(max(jitter, 0), 1))
        notBefore = now.advanced(by: wait)
        lastFailureAt = now
    }

    public mutating func succeeded() {
        consecutiveFailures = 0
        notBefore = nil
        lastFailureAt = nil
    }
}
