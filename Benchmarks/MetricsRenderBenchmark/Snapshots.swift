/// The snapshot both benchmarks render: topics spread over the four states, a few
/// diagnostics firing, long-ish names, and `partitionsPerTopic` partition lags each.
import Diagnostics
import Foundation
import MetricsExporter

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
