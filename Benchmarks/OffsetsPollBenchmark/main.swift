/// Times exporterd's high-watermark poll (`KafkaCluster.readOffsets`) against a running broker,
/// in steady state as the daemon runs it: connections and metadata warm, one ListOffsets per
/// leader. Prints one JSON object: seconds per run, partitions read, completeness.
/// Driven by scripts/bench-offsets, which compares it with kafka-python and confluent-kafka.
import Foundation
import SourceWatcher

let arguments = CommandLine.arguments.dropFirst()
func value(_ flag: String) -> String? {
    guard let index = arguments.firstIndex(of: flag), arguments.index(after: index) < arguments.endIndex else { return nil }
    return arguments[arguments.index(after: index)]
}
guard let bootstrap = value("--bootstrap"), let topicList = value("--topics") else {
    FileHandle.standardError.write(Data("usage: OffsetsPollBenchmark --bootstrap HOST:PORT --topics a,b [--runs 5]\n".utf8))
    exit(2)
}
let runs = Int(value("--runs") ?? "5") ?? 5
let parts = bootstrap.split(separator: ":")
let cluster = KafkaCluster(
    name: "source", bootstrapBrokers: [BrokerAddress(host: String(parts[0]), port: Int(parts[1]) ?? 9092)],
    settings: ConnectionSettings(requestTimeout: .seconds(60)))
let topics = topicList.split(separator: ",").map(String.init)

/// CPU seconds this process has used: the client's own share of a poll, apart from the time
/// spent waiting for the broker.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

let warmUp = await cluster.readOffsets(of: topics)
var seconds: [Double] = []
var last = warmUp
let cpuBefore = cpuSeconds()
for _ in 0..<runs {
    let clock = ContinuousClock()
    let started = clock.now
    last = await cluster.readOffsets(of: topics)
    let elapsed = clock.now - started
    seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
await cluster.shutdown()
let sum = last.topics.values.compactMap(\.highWatermarkSum).reduce(0, +)
let result: [String: Any] = [
    "seconds": seconds, "client_cpu_seconds_per_poll": (cpuSeconds() - cpuBefore) / Double(runs), "partitions": last.answeredPartitionCount,
    "complete": last.isComplete, "high_watermark_sum": sum,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
