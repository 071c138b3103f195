/// Where the HTTP side reads the poll loop's latest results: the `ExporterStateProvider`
/// protocol the routes depend on, and `ExporterState`, which renders each snapshot the poll
/// loop publishes into a `RenderedMetricsPage` once and swaps it in whole.
import NIOConcurrencyHelpers
import NIOCore

/// What the routes read. Synchronous on purpose: a scrape must never wait for a poll, so an
/// implementation hands back what it already holds, without I/O and without awaiting an
/// actor that might be busy polling (CONTRACT §4: a hung broker delays polls, never scrapes).
public protocol ExporterStateProvider: Sendable {
    /// The latest published snapshot (`MetricsSnapshot.beforeFirstPoll` until the first poll).
    func latestSnapshot() -> MetricsSnapshot
    /// The latest published snapshot with its `/metrics` page, already rendered.
    func latestMetricsPage() -> RenderedMetricsPage
}

/// The shared page. A publish renders (and, while gzip scrapers are around, compresses) the
/// new page on the publisher's thread, outside the lock scrapes take, then swaps a reference:
/// a scrape holds that lock only to copy the reference, so it never waits on a render, a poll
/// or another scrape, and it sees the old page or the new one, never a mix.
public final class ExporterState: ExporterStateProvider {
    private let current: NIOLockedValueBox<RenderedMetricsPage>
    /// Serialises publishes (the poll loop's full publish and its cluster-health publish) so a
    /// slower render cannot swap its page in after a newer one; scrapes never take it.
    private let publishing: NIOLockedValueBox<Publishing>
    private let render: @Sendable (MetricsSnapshot) -> [UInt8]
    private let compress: @Sendable (ByteBuffer) -> ByteBuffer?

    /// How long gzip demand is remembered, in publishes. Prometheus always asks for gzip, but
    /// scrapes less often than the daemon publishes (two publishes per 5 s poll against a 15 s
    /// or 60 s scrape interval), so "the last page was gzipped" would miss most of its scrapes;
    /// 32 publishes cover a scrape interval of 80 s at the default poll interval.
    static let gzipDemandMemory = 32

    private struct Publishing {
        /// Publishes since a scrape last asked for gzip; at `gzipDemandMemory` or more, pages
        /// are compressed only when asked.
        var publishesSinceGzipAsked = ExporterState.gzipDemandMemory
    }

    public convenience init(initial: MetricsSnapshot = .beforeFirstPoll) {
        self.init(initial: initial, render: MetricsPage.render, compress: PageCompression.gzip)
    }

    /// `render` and `compress` are the page's renderer and `PageCompression.gzip`, or counting
    /// stand-ins in tests.
    init(
        initial: MetricsSnapshot,
        render: @escaping @Sendable (MetricsSnapshot) -> [UInt8],
        compress: @escaping @Sendable (ByteBuffer) -> ByteBuffer?
    ) {
        self.render = render
        self.compress = compress
        publishing = NIOLockedValueBox(Publishing())
        current = NIOLockedValueBox(
            RenderedMetricsPage(snapshot: initial, plain: ByteBuffer(bytes: render(initial)), gzipNow: false, compress: compress))
    }

    /// Called by the poll loop after each poll; later scrapes see the new page. Renders on the
    /// caller's thread: the poll loop pays for the page once instead of every scrape paying.
    public func publish(_ newSnapshot: MetricsSnapshot) {
        publishing.withLockedValue { publishing in
            if current.withLockedValue({ $0 }).gzipWasAsked {
                publishing.publishesSinceGzipAsked = 0
            } else {
                publishing.publishesSinceGzipAsked += 1
            }
            let page = RenderedMetricsPage(
                snapshot: newSnapshot, plain: ByteBuffer(bytes: render(newSnapshot)),
                gzipNow: publishing.publishesSinceGzipAsked < Self.gzipDemandMemory, compress: compress)
            current.withLockedValue { $0 = page }
        }
    }

    public func latestSnapshot() -> MetricsSnapshot {
        latestMetricsPage().snapshot
    }

    public func latestMetricsPage() -> RenderedMetricsPage {
        current.withLockedValue { $0 }
    }
}
