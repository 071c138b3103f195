/// One published `/metrics` answer: a snapshot together with its page, rendered once when the
/// poll loop publishes it and then handed to every scrape as is. The gzip form is made at most
/// once per page: at publish when gzip scrapers are around, else by the first scrape that asks.
import NIOConcurrencyHelpers
import NIOCore

public final class RenderedMetricsPage: Sendable {
    /// The snapshot the page shows; `/readyz`, `/` and `/api/v1/status` read it from here, so
    /// every route answers from the same publish.
    public let snapshot: MetricsSnapshot
    /// The page, Prometheus text format 0.0.4. A `ByteBuffer` so that each scrape shares these
    /// bytes instead of copying them.
    public let plain: ByteBuffer
    private let gzip: NIOLockedValueBox<GzipForm>
    private let compress: @Sendable (ByteBuffer) -> ByteBuffer?

    private struct GzipForm {
        var compression: Compression
        /// A scrape asked for it, which a compression made at publish does not tell.
        var asked = false
    }

    /// Where the gzip form stands. `nil` in `.done` means zlib failed: the plain page is sent.
    private enum Compression {
        case notStarted
        case running(Task<ByteBuffer?, Never>)
        case done(ByteBuffer?)
    }

    /// - Parameters:
    ///   - gzipNow: compress before returning, for a page whose gzip form will surely be asked for.
    ///   - compress: `PageCompression.gzip`; tests count its calls.
    init(
        snapshot: MetricsSnapshot, plain: ByteBuffer, gzipNow: Bool,
        compress: @escaping @Sendable (ByteBuffer) -> ByteBuffer?
    ) {
        self.snapshot = snapshot
        self.plain = plain
        self.compress = compress
        gzip = NIOLockedValueBox(GzipForm(compression: gzipNow ? .done(compress(plain)) : .notStarted))
    }

    /// The page gzip-compressed, or nil when zlib failed. Concurrent first callers await one
    /// compression rather than each making their own, and none of them holds a thread while
    /// waiting: the lock is held only to read or set the state.
    public func gzipped() async -> ByteBuffer? {
        let (ready, running): (ByteBuffer??, Task<ByteBuffer?, Never>?) = gzip.withLockedValue { form in
            form.asked = true
            switch form.compression {
            case .done(let bytes):
                return (.some(bytes), nil)
            case .running(let task):
                return (nil, task)
            case .notStarted:
                let plain = self.plain
                let compress = self.compress
                let task = Task.detached { compress(plain) }
                form.compression = .running(task)
                return (nil, task)
            }
        }
        if let ready { return ready }
        let bytes = await running!.value
        gzip.withLockedValue { $0.compression = .done(bytes) }
        return bytes
    }

    /// A scrape asked for the gzip form of this page: the next pages are compressed at publish.
    var gzipWasAsked: Bool {
        gzip.withLockedValue { $0.asked }
    }
}
