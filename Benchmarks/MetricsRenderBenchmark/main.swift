/// Times `/metrics` rendering at the scale CONTRACT §4 promises to serve: 10,000 topics with
/// default settings, and 100,000 partitions with `export_partition_metrics` on. Not a test
/// (timings depend on the machine); run `swift run -c release MetricsRenderBenchmark [runs]`.
import Diagnostics
import Foundation
import MetricsExporter
import NIOCore

/// A realistic mix: states spread over all four, a few diagnostics firing, long-ish names.
func snapshot(topics topicCount: Int, partitionsPerTopic: Int, partitionMetrics: Bool) -> MetricsSnapshot {
    let states: [MigrationState] = [.reject, .proxy, .migrating, .complete]
    let since = Date(timeIntervalSince1970: 1_764_064_800)
    var topics: [TopicStatus] = []
    topics.reserveCapacity(topicCount)
    for index in 0..<topicCount {
        let state = states[index % states.count]
        var lags: [Int32: Int64] = [:]
        for partition in 0..<partitionsPerTopic { lags[Int32(partition)] = Int64(index % 97 + partition) }
        let name = "payments.eu-west.orders-\(index)"
        let diagnostics: Set<Diagnostic> = index % 50 == 0 ? [.unproxiedSourceWrites, .directSourceProducers] : []
        let offsets = Int64(1_000_000 + index * 37)
        topics.append(TopicStatus(
            topic: name, destinationTopic: name + "-v2", state: state,
            since: since.addingTimeInterval(Double(index)),
            sourceOffsets: offsets, destinationOffsets: offsets - 1_000,
            offsetLag: lags.values.reduce(0, +), partitionOffsetLags: lags,
            timeLagSeconds: Double(index % 300) / 7, proxiedRecords: Double(index) * 1_000,
            proxiedBytes: Double(index) * 180_000, unproxiedSourceRecords: Int64(index % 5),
            postMigrationSourceRecords: state == .complete ? Int64(index % 3) : 0,
            diagnostics: diagnostics, cutoverReady: state == .proxy && index % 2 == 0))
    }
    var histogram = PollDurationHistogram()
    for poll in 0..<1_000 { histogram.observe(seconds: Double(poll % 40) / 100) }
    let cluster = ClusterMetrics(
        up: true, watchedPartitions: topicCount * partitionsPerTopic, answeredPartitions: topicCount * partitionsPerTopic,
        lastSuccessfulPoll: since, pollDurations: histogram)
    return MetricsSnapshot(
        topics: topics, eventCounts: [.enabled: 40, .initiated: 12], source: cluster, destination: cluster,
        proxyTargets: (1...4).map { ProxyTargetMetrics(target: "http://agent-\($0):8080/metrics", up: true) },
        stateSourceUp: true, exportPartitionMetrics: partitionMetrics)
}

/// Median, min and max of `runs` timings of `work`, in milliseconds.
func time(runs: Int, _ work: () -> Void) -> (median: Double, min: Double, max: Double) {
    let clock = ContinuousClock()
    var milliseconds: [Double] = (0..<runs).map { _ in
        let (seconds, attoseconds) = clock.measure(work).components
        return (Double(seconds) + Double(attoseconds) / 1e18) * 1_000
    }
    milliseconds.sort()
    return (milliseconds[runs / 2], milliseconds.first!, milliseconds.last!)
}

func measure(_ label: String, _ snapshot: MetricsSnapshot, runs: Int) {
    var page: [UInt8] = []
    let render = time(runs: runs) { page = MetricsPage.render(snapshot) }
    let lines = page.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    print(String(
        format: "%@\n  render: median %.2f ms (min %.2f, max %.2f) over %d runs; %d bytes, %d lines",
        label, render.median, render.min, render.max, runs, page.count, lines))
    let buffer = ByteBuffer(bytes: page)
    var compressed = 0
    let gzip = time(runs: max(3, runs / 4)) { compressed = PageCompression.gzip(buffer)?.readableBytes ?? -1 }
    print(String(
        format: "  gzip (level 1): median %.2f ms (min %.2f, max %.2f); %d bytes",
        gzip.median, gzip.min, gzip.max, compressed))
}

let runs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 21
#if DEBUG
print("DEBUG build: numbers are not representative; use `swift run -c release MetricsRenderBenchmark`")
#endif
measure("10,000 topics x 10 partitions, partition metrics off",
        snapshot(topics: 10_000, partitionsPerTopic: 10, partitionMetrics: false), runs: runs)
measure("10,000 topics x 10 partitions = 100,000 partitions, partition metrics on",
        snapshot(topics: 10_000, partitionsPerTopic: 10, partitionMetrics: true), runs: runs)
