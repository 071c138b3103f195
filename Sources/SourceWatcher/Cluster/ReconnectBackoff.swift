/// When to try a broker again after a failed connect: exponential from `initial` to `maximum`,
/// with jitter so many exporters restarting together do not reconnect in lockstep.
public struct ReconnectBackoff: Sendable, Equatable {
    public let initial: Duration
    public let maximum: Duration
    public private(set) var consecutiveFailures = 0
    public private(set) var notBefore: ContinuousClock.Instant?

    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(10)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// May we try now?
    public func allowsAttempt(at now: ContinuousClock.Instant) -> Bool {
        guard let notBefore else { return true }
        return now >= notBefore
    }

    /// A connect failed at `now`; `jitter` in 0...1 scales the wait down by up to 20 %.
    public mutating func failed(at now: ContinuousClock.Instant, jitter: Double) {
        consecutiveFailures += 1
        let exponent = min(consecutiveFailures - 1, 16)
        var wait = initial * (1 << exponent)
        if wait > maximum { wait = maximum }
        wait = wait * (1.0 - 0.2 * min(max(jitter, 0), 1))
        notBefore = now + wait
    }

    public mutating func succeeded() {
        consecutiveFailures = 0
        notBefore = nil
    }
}
