/// Times `/metrics` rendering at the scale CONTRACT §4 promises to serve: 10,000 topics with
/// default settings, and 100,000 partitions with `export_partition_metrics` on. Not a test
/// (timings depend on the machine); run `swift run -c release MetricsRenderBenchmark [runs]`.
import Diagnostics
import Foundation
import MetricsExporter

/// A realistic mix: states spread over all four, a few diagnostics firing, long-ish names.
func snapshot(topics topicCount: Int, partitionsPerTopic: Int, partitionMetrics: Bool) -> MetricsSnapshot {
    let states: [MigrationState] = [.reject, .proxy, .migrating, .complete]
    let since = Date(timeIntervalSince1970: 1_764_064_800)
    var topics: [TopicMetrics] = []
    topics.reserveCapacity(topicCount)
    for index in 0..<topicCount {
        let state = states[index % states.count]
        var lags: [Int32: Int64] = [:]
        for partition in 0..<partitionsPerTopic { lags[Int32(partition)] = Int64(index % 97 + partition) }
        let name = "payments.eu-west.orders-\(index)"
        let diagnostics: Set<TopicDiagnostic> = index % 50 == 0 ? [.unproxiedSourceWrites, .directSourceProducers] : []
        let offsets = Int64(1_000_000 + index * 37)
        topics.append(TopicMetrics(
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

func measure(_ label: String, _ snapshot: MetricsSnapshot, runs: Int) {
    var seconds: [Double] = []
    var bytes = 0
    let clock = ContinuousClock()
    for _ in 0..<runs {
        var page: [UInt8] = []
        let elapsed = clock.measure { page = MetricsPage.render(snapshot) }
        bytes = page.count
        let (whole, attoseconds) = elapsed.components
        seconds.append(Double(whole) + Double(attoseconds) / 1e18)
    }
    seconds.sort()
    let median = seconds[seconds.count / 2]
    print(String(
        format: "%@: median %.2f ms, min %.2f ms, max %.2f ms over %d renders; %d bytes (%.1f MB), %d lines",
        label, median * 1_000, seconds.first! * 1_000, seconds.last! * 1_000, runs, bytes, Double(bytes) / 1e6,
        MetricsPage.render(snapshot).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }))
}

let runs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 21
#if DEBUG
print("DEBUG build: numbers are not representative; use `swift run -c release MetricsRenderBenchmark`")
#endif
measure("10,000 topics x 10 partitions, partition metrics off",
        snapshot(topics: 10_000, partitionsPerTopic: 10, partitionMetrics: false), runs: runs)
measure("10,000 topics x 10 partitions = 100,000 partitions, partition metrics on",
        snapshot(topics: 10_000, partitionsPerTopic: 10, partitionMetrics: true), runs: runs)
