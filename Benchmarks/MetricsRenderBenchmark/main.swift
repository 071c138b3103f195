/// Times `/metrics` at the scale CONTRACT §4 promises to serve: 10,000 topics with default
/// settings, and 100,000 partitions with `export_partition_metrics` on. Not a test (timings
/// depend on the machine). `swift run -c release MetricsRenderBenchmark [runs]` times render
/// and gzip; `... MetricsRenderBenchmark scrape [scrapes-per-scraper] [pause-ms]` times concurrent
/// scrapes over HTTP while polls publish, without pause by default (ScrapeLatency.swift);
/// `... MetricsRenderBenchmark curve PARTITIONS [runs]` prints one JSON line for the cost curve
/// (scripts/cost-curve): render and gzip of a PARTITIONS-partition snapshot laid out as the
/// curve's brokers are (topics of 1,000 partitions), with partition metrics off and on.
import Foundation

#if DEBUG
print("DEBUG build: numbers are not representative; use `swift run -c release MetricsRenderBenchmark`")
#endif
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "scrape" {
    let scrapesEach = arguments.dropFirst().first.flatMap(Int.init) ?? 40
    let pauseMilliseconds = arguments.dropFirst(2).first.flatMap(Int.init) ?? 0
    do {
        try await runScrapeBenchmark(
            scrapesEach: scrapesEach, baselineScrapesEach: max(2, scrapesEach / 4), pause: .milliseconds(pauseMilliseconds))
    } catch {
        print("scrape benchmark failed: \(error)")
        exit(1)
    }
    exit(0)
}
if arguments.first == "curve", let partitions = arguments.dropFirst().first.flatMap(Int.init), partitions > 0 {
    let runs = arguments.dropFirst(2).first.flatMap(Int.init) ?? 5
    printCurvePoint(partitions: partitions, runs: runs)
    exit(0)
}
let runs = arguments.first.flatMap(Int.init) ?? 21
measure("10,000 topics x 10 partitions, partition metrics off",
        snapshot(topics: 10_000, partitionsPerTopic: 10, partitionMetrics: false), runs: runs)
measure("10,000 topics x 10 partitions = 100,000 partitions, partition metrics on",
        snapshot(topics: 10_000, partitionsPerTopic: 10, partitionMetrics: true), runs: runs)
