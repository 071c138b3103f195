/// `/metrics` render and gzip timings on their own, without HTTP.
import Foundation
import MetricsExporter
import NIOCore

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

/// One point of the cost curve as JSON: per page kind (`topic` = partition metrics off,
/// `partition` = on) the median render and gzip milliseconds and the page's plain and gzip bytes.
func printCurvePoint(partitions: Int, runs: Int) {
    let perTopic = min(partitions, 1_000)
    var point: [String: Any] = ["partitions": partitions, "runs": runs]
    for (kind, partitionMetrics) in [("topic", false), ("partition", true)] {
        let page = snapshot(topics: max(1, partitions / perTopic), partitionsPerTopic: perTopic, partitionMetrics: partitionMetrics)
        var bytes: [UInt8] = []
        let render = time(runs: runs) { bytes = MetricsPage.render(page) }
        let buffer = ByteBuffer(bytes: bytes)
        var compressed = 0
        let gzip = time(runs: runs) { compressed = PageCompression.gzip(buffer)?.readableBytes ?? -1 }
        point[kind] = ["render_ms": render.median, "gzip_ms": gzip.median, "plain_bytes": bytes.count, "gzip_bytes": compressed]
    }
    let data = (try? JSONSerialization.data(withJSONObject: point, options: [.sortedKeys])) ?? Data()
    print(String(decoding: data, as: UTF8.self))
}
