/// Scrape latency while polls run (issue 12 item 4): `/metrics` served on a loopback port by
/// the daemon's own application (`buildApplication`, the router and server the daemon runs),
/// a simulated poll publishing a new snapshot without pause, and concurrent scrapers, half
/// asking for gzip, each timing its scrapes from request to last body byte. The same run
/// against the route as it was before (render and gzip in every scrape) gives the comparison.
import Foundation
import Hummingbird
import Logging
import MetricsExporter
import NIOCore

/// One timed scrape.
struct ScrapeSample: Sendable {
    var gzip: Bool
    var milliseconds: Double
    var bodyBytes: Int
}

/// The poll loop's side: builds the next snapshot (every topic's counters moved, as a poll
/// moves them) and publishes it, over and over until stopped. On a thread of its own, as the
/// daemon publishes on a Dispatch thread, off the threads that run the HTTP handlers.
final class SimulatedPolls: @unchecked Sendable {
    // @unchecked: `stopped` and `publishMilliseconds` are guarded by `lock`.
    private let lock = NSLock()
    private var stopped = false
    private var publishMilliseconds: [Double] = []
    /// Between publishes; zero keeps a render always running.
    private let pause: Duration

    init(pause: Duration) { self.pause = pause }

    func run(from base: MetricsSnapshot, publish: @escaping @Sendable (MetricsSnapshot) -> Void) -> Task<Void, Never> {
        // The returned task ends when the thread does, so `stop` can await it.
        let finished = NSCondition()
        nonisolated(unsafe) var done = false
        Thread {
            var step: Int64 = 0
            let clock = ContinuousClock()
            while !self.lock.withLock({ self.stopped }) {
                step += 1
                var next = base
                for index in next.topics.indices {
                    next.topics[index].sourceOffsets = (next.topics[index].sourceOffsets ?? 0) + step
                    next.topics[index].proxiedRecords += Double(step)
                }
                let elapsed = clock.measure { publish(next) }
                self.lock.withLock { self.publishMilliseconds.append(elapsed.milliseconds) }
                if self.pause > .zero {
                    Thread.sleep(forTimeInterval: Double(self.pause.components.seconds) + Double(self.pause.components.attoseconds) / 1e18)
                }
            }
            finished.withLock { done = true; finished.broadcast() }
        }.start()
        return Task.detached {
            while !finished.withLock({ done }) { try? await Task.sleep(for: .milliseconds(5)) }
        }
    }

    /// Stops the loop and returns the time each publish took (render, and gzip when made at publish).
    func stop(_ task: Task<Void, Never>) async -> [Double] {
        lock.withLock { stopped = true }
        await task.value
        return lock.withLock { publishMilliseconds }
    }
}

/// The `/metrics` route before issue 12: the snapshot swapped under a lock, and every scrape
/// rendering the page and compressing it.
final class SnapshotBox: @unchecked Sendable {
    // @unchecked: `snapshot` is guarded by `lock`.
    private let lock = NSLock()
    private var snapshot: MetricsSnapshot
    init(_ snapshot: MetricsSnapshot) { self.snapshot = snapshot }
    func publish(_ new: MetricsSnapshot) { lock.withLock { snapshot = new } }
    func latest() -> MetricsSnapshot { lock.withLock { snapshot } }
}

func perScrapeRenderingApplication(_ box: SnapshotBox, onServerRunning: @escaping @Sendable (any Channel) async -> Void, logger: Logger)
    -> some ApplicationProtocol
{
    let router = Router(context: BasicRequestContext.self)
    router.get("/metrics") { request, _ -> Response in
        let page = MetricsPage.render(box.latest())
        var headers: HTTPFields = [.contentType: MetricsPage.contentType, .vary: "Accept-Encoding"]
        var body = ByteBuffer(bytes: page)
        if request.headers[.acceptEncoding]?.contains("gzip") == true, let compressed = PageCompression.gzip(body) {
            body = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }
    return Application(
        router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: onServerRunning, logger: logger)
}

/// Runs `makeApplication`'s server, the polls and the scrapers; returns the scrapes and publish times.
func measureScrapes<App: ApplicationProtocol>(
    scrapers: Int, scrapesEach: Int, pause: Duration, base: MetricsSnapshot, publish: @escaping @Sendable (MetricsSnapshot) -> Void,
    makeApplication: (_ onServerRunning: @escaping @Sendable (any Channel) async -> Void) throws -> App
) async throws -> (scrapes: [ScrapeSample], publishes: [Double]) {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = try makeApplication { channel in
        continuation.yield(channel.localAddress?.port ?? 0)
        continuation.finish()
    }
    let server = Task { try await app.run() }
    defer { server.cancel() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next(), port > 0 else { throw ScrapeFailure.connect(port: 0, errno: 0) }

    // One gzip scrape before the polls start: the daemon has then seen gzip demand, as it has
    // after Prometheus' first scrape, so the pages measured are compressed at publish.
    _ = try ScrapeClient(port: port).scrape(gzip: true)
    let polls = SimulatedPolls(pause: pause)
    let pollTask = polls.run(from: base, publish: publish)
    let scrapes: [ScrapeSample]
    do {
        scrapes = try await scrapeConcurrently(port: port, scrapers: scrapers, scrapesEach: scrapesEach)
    } catch {
        _ = await polls.stop(pollTask)
        throw error
    }
    let publishes = await polls.stop(pollTask)
    server.cancel()
    _ = await server.result
    return (scrapes, publishes)
}

/// `scrapers` threads, each on its own keep-alive connection; even-numbered ones ask for gzip.
/// One unmeasured scrape each first, so connection setup is not timed.
func scrapeConcurrently(port: Int, scrapers: Int, scrapesEach: Int) async throws -> [ScrapeSample] {
    let lock = NSLock()
    nonisolated(unsafe) var samples: [ScrapeSample] = []
    nonisolated(unsafe) var failures: [any Error] = []
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        let group = DispatchGroup()
        for scraper in 0..<scrapers {
            group.enter()
            Thread {
                defer { group.leave() }
                let gzip = scraper % 2 == 0
                do {
                    let client = try ScrapeClient(port: port)
                    _ = try client.scrape(gzip: gzip)
                    let clock = ContinuousClock()
                    var mine: [ScrapeSample] = []
                    for _ in 0..<scrapesEach {
                        var answer = (bodyBytes: 0, gzipped: false)
                        let elapsed = try clock.measure { answer = try client.scrape(gzip: gzip) }
                        guard answer.gzipped == gzip else { throw ScrapeFailure.badAnswer(statusLine: "gzip asked \(gzip), got \(answer.gzipped)") }
                        mine.append(ScrapeSample(gzip: gzip, milliseconds: elapsed.milliseconds, bodyBytes: answer.bodyBytes))
                    }
                    lock.withLock { samples += mine }
                } catch {
                    lock.withLock { failures.append(error) }
                }
            }.start()
        }
        group.notify(queue: .global()) { done.resume() }
    }
    if let failure = lock.withLock({ failures.first }) { throw failure }
    return lock.withLock { samples }
}

/// Prints one table row per encoding: scrapes, body size, latency percentiles.
func printScrapeRows(_ label: String, _ samples: [ScrapeSample]) {
    for gzip in [true, false] {
        let times = samples.filter { $0.gzip == gzip }.map(\.milliseconds).sorted()
        guard !times.isEmpty else { continue }
        let bytes = samples.first { $0.gzip == gzip }!.bodyBytes
        print(
            column(label, 26), column(gzip ? "gzip" : "plain", 6),
            String(format: "%7d %12d %9.1f %9.1f %9.1f", times.count, bytes, percentile(times, 0.5), percentile(times, 0.99), times.last!))
    }
}

func printPublishes(_ label: String, _ milliseconds: [Double]) {
    let sorted = milliseconds.sorted()
    guard !sorted.isEmpty else { return print("  \(label): no publish finished during the scrapes") }
    print(String(
        format: "  %@: %d publishes during the scrapes, each %.1f ms median (max %.1f)",
        label, sorted.count, percentile(sorted, 0.5), sorted.last!))
}

func column(_ text: String, _ width: Int) -> String {
    text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0)
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return (Double(seconds) + Double(attoseconds) / 1e18) * 1_000
    }
}

func runScrapeBenchmark(scrapesEach: Int, baselineScrapesEach: Int, pause: Duration) async throws {
    let scrapers = 10
    let base = snapshot(topics: 10_000, partitionsPerTopic: 10, partitionMetrics: true)
    var logger = Logger(label: "scrape-benchmark")
    logger.logLevel = .critical  // closing the scrapers' connections at the end logs CancellationError
    print("\(scrapers) concurrent scrapers (5 gzip, 5 plain) of 10,000 topics x 10 partitions = 100,000 partitions,")
    print(
        "partition metrics on, while a simulated poll publishes a new snapshot "
            + (pause > .zero ? "every \(pause) after the last" : "without pause"))
    print(column("route", 26), column("coding", 6), "scrapes   body bytes    p50 ms    p99 ms    max ms")

    let state = ExporterState(initial: base)
    let now = try await measureScrapes(
        scrapers: scrapers, scrapesEach: scrapesEach, pause: pause, base: base, publish: { state.publish($0) }
    ) { onServerRunning in
        try buildApplication(
            state: state, host: "127.0.0.1", port: 0, options: WebServerOptions(), onServerRunning: onServerRunning, logger: logger)
    }
    printScrapeRows("page per snapshot (now)", now.scrapes)

    let box = SnapshotBox(base)
    let before = try await measureScrapes(
        scrapers: scrapers, scrapesEach: baselineScrapesEach, pause: pause, base: base, publish: { box.publish($0) }
    ) { onServerRunning in
        perScrapeRenderingApplication(box, onServerRunning: onServerRunning, logger: logger)
    }
    printScrapeRows("render per scrape (before)", before.scrapes)
    printPublishes("page per snapshot (now), render + gzip at publish", now.publishes)
    printPublishes("render per scrape (before), swap only", before.publishes)
}
