/// A whole `MigrationWatch` on the test's clock: one fake broker per cluster, one local HTTP
/// agent and a state file listing "orders" as PROXY. A `ProducerWorld` holds the truth — when
/// each record was appended and when its agent publishes it — by the monotonic clock, so the
/// wall clock can step without changing what happened. The source broker may take time to
/// answer ListOffsets (the clock moves on inside its script) and reads the high watermark at
/// the end of that time, the worst case for the unproxied bound.
import Diagnostics
import Foundation
import Hummingbird
import Logging
import NIOCore
import SourceWatcher
import SourceWatcherTestSupport
import Testing
@testable import exporterd

/// Records appended to "orders", proxied or direct, by monotonic seconds since the start.
final class ProducerWorld: @unchecked Sendable {
    private let lock = NSLock()
    private var proxied: [(appendedAt: Double, publishedAt: Double)] = []
    private var direct: [Double] = []
    /// What happened in which order: "agents", "source ListOffsets", "destination ListOffsets".
    private var log: [String] = []

    func proxy(at time: Double, publishDelay: Double, count: Int = 1) {
        lock.withLock { proxied += Array(repeating: (time, time + publishDelay), count: count) }
    }

    func writeDirectly(at time: Double, count: Int = 1) {
        lock.withLock { direct += Array(repeating: time, count: count) }
    }

    func highWatermark(at time: Double) -> Int64 {
        lock.withLock { Int64(proxied.filter { $0.appendedAt <= time }.count + direct.filter { $0 <= time }.count) }
    }

    func published(at time: Double) -> Int64 {
        lock.withLock { Int64(proxied.filter { $0.publishedAt <= time }.count) }
    }

    func note(_ event: String) { lock.withLock { log.append(event) } }
    var events: [String] { lock.withLock { log } }
}

struct WatchHarness {
    let clock: ManualTimeSource
    let world: ProducerWorld
    let source: FakeKafkaBroker
    let destination: FakeKafkaBroker
    let start: MonotonicInstant
    var watch: MigrationWatch

    /// Seconds since the start by the monotonic clock.
    static func seconds(_ clock: ManualTimeSource, since start: MonotonicInstant) -> Double {
        let elapsed = clock.monotonicNow() - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    var now: Double { Self.seconds(clock, since: start) }

    /// Moves the clock on to `time` seconds after the start.
    func advance(to time: Double) {
        let gap = time - now
        if gap > 0 { clock.advance(by: .milliseconds(Int64((gap * 1000).rounded()))) }
    }

    mutating func poll() async -> MigrationWatch.Poll { await watch.poll() }

    /// The unproxied counter of "orders" after `poll`.
    static func unproxied(_ poll: MigrationWatch.Poll) -> Int64? {
        poll.outcome.topics.first { $0.topic == "orders" }?.unproxiedSourceRecords
    }

    /// Runs `body` with everything started; the source broker takes `sourceAnswerTime` to
    /// answer ListOffsets.
    static func with<T: Sendable>(
        publishDelay: Duration = .seconds(2), confirmPolls: Int = 1, sourceAnswerTime: Duration = .zero,
        _ body: (inout WatchHarness) async throws -> T
    ) async throws -> T {
        let clock = ManualTimeSource()
        let start = clock.monotonicNow()
        let world = ProducerWorld()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-watch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let statePath = directory.appendingPathComponent("state.yaml").path
        try Data("topics:\n  - {topic: orders, state: PROXY, since: 2026-11-24T10:00:00Z}\n".utf8)
            .write(to: URL(fileURLWithPath: statePath))

        let source = try await FakeKafkaBroker.start()
        let destination = try await FakeKafkaBroker.start()
        source.layout.addTopic("orders", leaders: [1], latest: [0])
        destination.layout.addTopic("orders", leaders: [1], latest: [0])
        source.script(.listOffsets) { header, body in
            clock.advance(by: sourceAnswerTime)
            let time = seconds(clock, since: start)
            world.note("source ListOffsets")
            source.layout.change(TopicPartition(topic: "orders", partition: 0)) { $0.latest = world.highWatermark(at: time) }
            return source.defaultReply(header: header, body: body)
        }
        // The replicator keeps up: no time lag to read with Fetch.
        destination.script(.listOffsets) { header, body in
            world.note("destination ListOffsets")
            let time = seconds(clock, since: start)
            destination.layout.change(TopicPartition(topic: "orders", partition: 0)) { $0.latest = world.highWatermark(at: time) }
            return destination.defaultReply(header: header, body: body)
        }
        var logger = Logger(label: "watch-harness")
        logger.logLevel = .critical
        do {
            let result = try await withLocalHTTPServer({ router in
                router.get("/metrics") { _, _ in
                    world.note("agents")
                    let value = world.published(at: seconds(clock, since: start))
                    return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string:
                        "kafka_proxy_produced_records_total{topic=\"orders\"} \(value)\nkafka_proxy_produced_bytes_total{topic=\"orders\"} \(value * 100)\n")))
                }
            }) { base in
                let delaySeconds = Double(publishDelay.components.seconds) + Double(publishDelay.components.attoseconds) / 1e18
                let watch = MigrationWatch(
                    source: KafkaCluster(name: "source", bootstrapBrokers: [source.address], clock: clock, logger: logger),
                    destination: KafkaCluster(name: "destination", bootstrapBrokers: [destination.address], clock: clock, logger: logger),
                    selection: TopicSelection(mappings: [TopicMapping(sourceTopic: "orders", destinationTopic: "orders")], regex: nil),
                    // Generous: a scrape that times out on a loaded machine would drop a poll the test counts on.
                    agents: ProxyAgents(settings: ProxyMetricsSettings(targets: [base + "/metrics"], timeout: .seconds(10)), client: .shared),
                    stateSource: MigrationStateSource(settings: MigrationStateSettings(location: .file(statePath)), client: .shared, environment: [:]),
                    accounting: MigrationAccounting(configuration: AccountingConfiguration(publishDelay: delaySeconds, confirmPolls: confirmPolls)),
                    proxiedTotals: ProxiedCounterTotals(), logger: logger, clock: clock)
                var harness = WatchHarness(clock: clock, world: world, source: source, destination: destination, start: start, watch: watch)
                let result = try await body(&harness)
                await harness.watch.source.shutdown()
                await harness.watch.destination.shutdown()
                return result
            }
            await source.stop()
            await destination.stop()
            return result
        } catch {
            await source.stop()
            await destination.stop()
            throw error
        }
    }
}
