/// A clock tests move by hand (CONTRACT-free test support): wall and monotonic time advance
/// together when time passes, the wall clock alone when it steps, and sleepers wake exactly
/// when the monotonic time reaches their deadline, so no test waits on a real-time window.
import struct Foundation.Date
import struct Foundation.TimeInterval
import NIOConcurrencyHelpers
import SourceWatcher

public final class ManualTimeSource: TimeSource {
    private struct Sleeper {
        let id: UInt64
        let deadline: MonotonicInstant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var wall: Date
        var monotonic: MonotonicInstant
        var sleepers: [Sleeper] = []
        var cancelledBeforeSleeping: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state: NIOLockedValueBox<State>

    public init(wall: Date = Date(timeIntervalSince1970: 1_795_000_000),
                monotonic: MonotonicInstant = MonotonicInstant(sinceOrigin: .seconds(1_000))) {
        state = NIOLockedValueBox(State(wall: wall, monotonic: monotonic))
    }

    public func wallNow() -> Date { state.withLockedValue { $0.wall } }

    public func monotonicNow() -> MonotonicInstant { state.withLockedValue { $0.monotonic } }

    /// Time passes: both clocks move on by `duration`, and sleepers whose deadline is reached wake.
    public func advance(by duration: Duration) {
        let woken = state.withLockedValue { state -> [Sleeper] in
            state.monotonic = state.monotonic.advanced(by: duration)
            state.wall = state.wall.addingTimeInterval(Self.seconds(duration))
            let due = state.sleepers.filter { $0.deadline <= state.monotonic }
            state.sleepers.removeAll { $0.deadline <= state.monotonic }
            return due
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// The wall clock steps (NTP, `date -s`) while no time passes.
    public func stepWallClock(by seconds: TimeInterval) {
        state.withLockedValue { $0.wall = $0.wall.addingTimeInterval(seconds) }
    }

    /// Tasks asleep on this clock right now.
    public var sleeperCount: Int { state.withLockedValue { $0.sleepers.count } }

    public func sleep(until deadline: MonotonicInstant) async throws {
        let id = state.withLockedValue { state -> UInt64 in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Start { case sleep, wake, cancel }
                let start = state.withLockedValue { state -> Start in
                    if state.cancelledBeforeSleeping.remove(id) != nil { return .cancel }
                    if state.monotonic >= deadline { return .wake }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return .sleep
                }
                switch start {
                case .sleep: break
                case .wake: continuation.resume()
                case .cancel: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let sleeper = state.withLockedValue { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelledBeforeSleeping.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
