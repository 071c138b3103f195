/// Where the HTTP side reads the poll loop's latest results: the `ExporterStateProvider`
/// protocol the routes depend on, and `ExporterState`, the lock-held snapshot the poll loop
/// publishes into after each poll.
import NIOConcurrencyHelpers

/// What the routes read. Synchronous on purpose: a scrape must never wait for a poll, so an
/// implementation hands back what it already holds, without I/O and without awaiting an
/// actor that might be busy polling (CONTRACT §4: a hung broker delays polls, never scrapes).
public protocol ExporterStateProvider: Sendable {
    /// The latest published snapshot (`MetricsSnapshot.beforeFirstPoll` until the first poll).
    func latestSnapshot() -> MetricsSnapshot
}

/// The shared snapshot. The lock is held only to swap or copy the value (a reference-count
/// bump: the snapshot's arrays are copy-on-write), never while polling or rendering.
public final class ExporterState: ExporterStateProvider {
    private let snapshot: NIOLockedValueBox<MetricsSnapshot>

    public init(initial: MetricsSnapshot = .beforeFirstPoll) {
        snapshot = NIOLockedValueBox(initial)
    }

    /// Called by the poll loop after each poll; later scrapes see the new page.
    public func publish(_ newSnapshot: MetricsSnapshot) {
        snapshot.withLockedValue { $0 = newSnapshot }
    }

    public func latestSnapshot() -> MetricsSnapshot {
        snapshot.withLockedValue { $0 }
    }
}
