/// What one poll allocates, counted by ordo-one/benchmark's malloc interposer, at each size of
/// the cost curve: `readOffsets` of a live broker's topics (one cluster's poll; the daemon
/// makes two, source and destination) and one `/metrics` render of a snapshot that size
/// (the daemon renders twice per poll, see docs/performance.md). With
/// `COST_CURVE_GROWTH_POLLS=N` one more benchmark polls the smallest size N times in a row:
/// `malloc − free` per poll and the resident peak show whether anything grows per poll.
///
/// Environment: COST_CURVE_BOOTSTRAP (HOST:PORT; without it only the render is measured),
/// COST_CURVE_PARTITIONS (comma-separated sizes, topics `bench-000`… of 1,000 partitions each,
/// as scripts/cost-curve creates them).
import Benchmark
import Foundation
import MetricsExporter
import SourceWatcher

let environment = ProcessInfo.processInfo.environment
let sizes = (environment["COST_CURVE_PARTITIONS"] ?? "1000,10000").split(separator: ",").compactMap { Int($0) }
let growthPolls = environment["COST_CURVE_GROWTH_POLLS"].flatMap { Int($0) } ?? 0

func benchTopics(partitions: Int) -> [String] {
    (0..<max(1, partitions / 1_000)).map { String(format: "bench-%03d", $0) }
}

func cluster(at bootstrap: String) -> KafkaCluster {
    let parts = bootstrap.split(separator: ":")
    return KafkaCluster(
        name: "source", bootstrapBrokers: [BrokerAddress(host: String(parts[0]), port: parts.count > 1 ? Int(parts[1]) ?? 9092 : 9092)],
        settings: ConnectionSettings(requestTimeout: .seconds(60)))
}

/// Thrown from a benchmark when the poll did not read every partition: a partial answer's
/// allocations would not be a poll's.
struct IncompletePoll: Error, CustomStringConvertible {
    var partitions: Int
    var answered: Int
    var description: String { "readOffsets answered \(answered) of \(partitions) partitions" }
}

let metrics: [BenchmarkMetric] = [.mallocCountTotal, .mallocBytesCount, .mallocFreeDelta, .wallClock, .cpuTotal, .peakMemoryResident]

let benchmarks: @Sendable () -> Void = {
    for partitions in sizes {
        if let bootstrap = environment["COST_CURVE_BOOTSTRAP"] {
            let topics = benchTopics(partitions: partitions)
            let shared = cluster(at: bootstrap)
            Benchmark(
                "readOffsets \(partitions)",
                configuration: .init(metrics: metrics, warmupIterations: 2, maxDuration: .seconds(20), maxIterations: partitions >= 100_000 ? 10 : 50)
            ) { benchmark async throws in
                let offsets = await shared.readOffsets(of: topics)
                guard offsets.isComplete, offsets.answeredPartitionCount == partitions else {
                    throw IncompletePoll(partitions: partitions, answered: offsets.answeredPartitionCount)
                }
                blackHole(offsets)
            }
        }
        let page = snapshot(topics: max(1, partitions / 1_000), partitionsPerTopic: min(partitions, 1_000), partitionMetrics: true)
        Benchmark(
            "render \(partitions)",
            configuration: .init(metrics: metrics, warmupIterations: 1, maxDuration: .seconds(20), maxIterations: partitions >= 100_000 ? 10 : 50)
        ) { _ in
            blackHole(MetricsPage.render(page))
        }
    }
    if growthPolls > 0, let bootstrap = environment["COST_CURVE_BOOTSTRAP"], let smallest = sizes.min() {
        let topics = benchTopics(partitions: smallest)
        let shared = cluster(at: bootstrap)
        Benchmark(
            "readOffsets \(smallest) x \(growthPolls) polls",
            configuration: .init(metrics: metrics, warmupIterations: 10, maxDuration: .seconds(3_600), maxIterations: growthPolls)
        ) { _ async throws in
            let offsets = await shared.readOffsets(of: topics)
            guard offsets.isComplete else { throw IncompletePoll(partitions: smallest, answered: offsets.answeredPartitionCount) }
            blackHole(offsets)
        }
    }
}
