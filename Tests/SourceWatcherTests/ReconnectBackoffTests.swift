/// `ReconnectBackoff`: exponential growth, the cap, jitter bounds, and reset on success.
import Testing
@testable import SourceWatcher

@Suite struct ReconnectBackoffTests {
    private let start = MonotonicInstant(sinceOrigin: .seconds(1000))

    private func wait(after backoff: ReconnectBackoff) -> Duration? {
        backoff.notBefore.map { $0 - start }
    }

    @Test func firstAttemptIsAlwaysAllowed() {
        #expect(ReconnectBackoff().allowsAttempt(at: start))
    }

    @Test func waitDoublesPerFailureUpToTheCap() {
        var backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(1))
        var waits: [Duration] = []
        for _ in 0..<7 {
            backoff.failed(at: start, jitter: 0)
            waits.append(wait(after: backoff)!)
        }
        #expect(waits == [100, 200, 400, 800, 1000, 1000, 1000].map { Duration.milliseconds($0) })
        #expect(backoff.consecutiveFailures == 7)
    }

    @Test func manyFailuresDoNotOverflow() {
        var backoff = ReconnectBackoff(initial: .milliseconds(200), maximum: .seconds(10))
        for _ in 0..<200 { backoff.failed(at: start, jitter: 0.5) }
        #expect(wait(after: backoff) == .seconds(9))
    }

    @Test(arguments: [0.0, 0.25, 0.5, 1.0, -3.0, 7.0])
    func jitterShortensByAtMostAFifth(jitter: Double) throws {
        var backoff = ReconnectBackoff(initial: .seconds(1), maximum: .seconds(10))
        backoff.failed(at: start, jitter: jitter)
        let waited = try #require(wait(after: backoff))
        #expect(waited >= .milliseconds(800))
        #expect(waited <= .seconds(1))
    }

    @Test func attemptsAreRefusedUntilTheWaitIsOver() {
        var backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(1))
        backoff.failed(at: start, jitter: 0)
        #expect(!backoff.allowsAttempt(at: start))
        #expect(!backoff.allowsAttempt(at: start + .milliseconds(99)))
        #expect(backoff.allowsAttempt(at: start + .milliseconds(100)))
    }

    /// A failure from before a read began never stops that read's first attempt: the next
    /// poll must reach a broker that answers again, whatever the backoff grew to.
    @Test func aReadThatBeganAfterTheFailureMayTryOnce() {
        var backoff = ReconnectBackoff(initial: .seconds(8), maximum: .seconds(10))
        backoff.failed(at: start, jitter: 0)
        #expect(!backoff.allowsAttempt(at: start + .seconds(5), readStartedAt: start))
        #expect(!backoff.allowsAttempt(at: start + .seconds(5), readStartedAt: start - .seconds(1)))
        #expect(backoff.allowsAttempt(at: start + .seconds(5), readStartedAt: start + .seconds(4)))
        // Without a read (a one-off call) the window alone decides.
        #expect(!backoff.allowsAttempt(at: start + .seconds(5)))
    }

    @Test func successResetsTheSequence() {
        var backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(1))
        backoff.failed(at: start, jitter: 0)
        backoff.failed(at: start, jitter: 0)
        backoff.succeeded()
        #expect(backoff.allowsAttempt(at: start))
        #expect(backoff.consecutiveFailures == 0)
        backoff.failed(at: start, jitter: 0)
        #expect(wait(after: backoff) == .milliseconds(100))
    }
}
