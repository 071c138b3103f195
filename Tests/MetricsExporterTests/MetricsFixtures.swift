/// Fixed snapshots shared by the page, golden, promtool and route tests: one topic in each of
/// the four states plus a topic whose state is not known yet, with diagnostics, partition
/// lags and poll histograms filled in, all at fixed times so the page is byte-for-byte stable.
import Diagnostics
import Foundation
@testable import MetricsExporter

enum MetricsFixtures {
    /// 2026-11-24T10:00:00Z.
    static let tenOClock = Date(timeIntervalSince1970: 1_764_064_800)

    static let orders = TopicStatus(
        topic: "orders", destinationTopic: "orders", state: .proxy,
        since: tenOClock, sourceOffsets: 12_000, destinationOffsets: 11_950, offsetLag: 50,
        partitionOffsetLags: [0: 20, 2: 0, 1: 30], timeLagSeconds: 1.25,
        proxiedRecords: 9_000, proxiedBytes: 1_843_200,
        unproxiedSourceRecords: 3, diagnostics: [.unproxiedSourceWrites], cutoverReady: false,
        directProducersCheck: .checked)

    static let payments = TopicStatus(
        topic: "payments.eu", destinationTopic: "payments-eu", state: .migrating,
        since: tenOClock.addingTimeInterval(300), sourceOffsets: 500, destinationOffsets: 400, offsetLag: 100,
        partitionOffsetLags: [0: 100], timeLagSeconds: 42.5,
        proxiedRecords: 480, proxiedBytes: 96_000,
        diagnostics: [.migrationStalled, .migrationTimeoutRisk, .directSourceProducers],
        directProducers: [ProducerInfo(producerId: 4_001, producerEpoch: 2, lastTimestampMs: 1_764_065_100_250, partition: 0)],
        directProducersCheck: .checked)

    /// COMPLETE with a stale lag and partition lags set on purpose: the page must still leave them out.
    static let audit = TopicStatus(
        topic: "audit", destinationTopic: "audit", state: .complete,
        since: tenOClock.addingTimeInterval(-3_600), sourceOffsets: 7_010, destinationOffsets: 9_000, offsetLag: 7,
        partitionOffsetLags: [0: 7], timeLagSeconds: 3,
        proxiedRecords: 7_000, proxiedBytes: 700_000,
        postMigrationSourceRecords: 10, diagnostics: [.postMigrationSourceWrites],
        directProducersCheck: .unsupported)

    static let inventory = TopicStatus(
        topic: "inventory", destinationTopic: "inventory", state: .reject,
        sourceOffsets: 250, destinationOffsets: 250, offsetLag: 0, partitionOffsetLags: [0: 0, 1: 0],
        timeLagSeconds: 0)

    static let clicks = TopicStatus(
        topic: "clicks", destinationTopic: "clicks", state: .proxy,
        since: tenOClock.addingTimeInterval(60.5), sourceOffsets: 80, destinationOffsets: 80, offsetLag: 0,
        partitionOffsetLags: [0: 0], timeLagSeconds: 0,
        proxiedRecords: 80, proxiedBytes: 8_000, cutoverReady: true)

    /// Listed by the mapping but the state source has not answered yet: nothing read so far.
    static let fresh = TopicStatus(topic: "fresh", destinationTopic: "fresh-dst", state: nil)

    static func histogram(_ observations: [Double]) -> PollDurationHistogram {
        var histogram = PollDurationHistogram()
        for seconds in observations { histogram.observe(seconds: seconds) }
        return histogram
    }

    static let golden = MetricsSnapshot(
        topics: [orders, payments, audit, inventory, clicks, fresh],
        eventCounts: [.enabled: 3, .initiated: 2, .completed: 1, .unproxiedWritesDetected: 1],
        source: ClusterMetrics(
            up: true, watchedPartitions: 9, answeredPartitions: 9,
            lastSuccessfulPoll: tenOClock.addingTimeInterval(600),
            pollDurations: histogram([0.0078125, 0.015625, 0.015625, 0.25, 1])),
        destination: ClusterMetrics(
            up: false, watchedPartitions: 9, answeredPartitions: 7,
            lastSuccessfulPoll: tenOClock.addingTimeInterval(595),
            pollDurations: histogram([0.03, 12.5])),
        proxyTargets: [
            ProxyTargetMetrics(target: "http://agent-1:8080/metrics", up: true),
            ProxyTargetMetrics(target: "http://agent-2:8080/metrics", up: false),
        ],
        stateSourceUp: true,
        store: StoreHealth(up: false, commitFailures: 2),
        exportPartitionMetrics: true,
        version: "0.1.0")
}
