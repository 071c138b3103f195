/// A wall clock for tests that moves only when told or slept on: `sleep` advances it by the
/// time asked for and returns at once, then runs what the test scheduled "meanwhile" (a
/// writer finishing a file between two reads).
import Foundation

final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    private var meanwhile: [@Sendable () -> Void] = []
    private var slept: [Duration] = []

    init(_ start: Date = Date(timeIntervalSince1970: 1_795_514_400)) { current = start }

    /// Passed as `now:`.
    var now: @Sendable () -> Date { { [self] in lock.withLock { current } } }

    /// Passed as `sleep:`.
    var sleep: @Sendable (Duration) async -> Void {
        { [self] duration in
            let actions = lock.withLock {
                slept.append(duration)
                current += Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
                defer { meanwhile.removeAll() }
                return meanwhile
            }
            for action in actions { action() }
        }
    }

    func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }

    /// Runs `action` during the next sleep.
    func duringNextSleep(_ action: @escaping @Sendable () -> Void) { lock.withLock { meanwhile.append(action) } }

    var sleeps: [Duration] { lock.withLock { slept } }
}
