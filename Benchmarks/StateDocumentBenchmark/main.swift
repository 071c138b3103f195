/// Times what one poll does with a big migration state document (issue 12: 100,000 entries in
/// under 200 ms): the JSON parse (what a poll pays when the document changed), the stability
/// step (every poll pays it), and the accounting's join of the document with every topic's
/// reads. Not a test (timings depend on the machine); run
/// `swift run -c release StateDocumentBenchmark [runs] [parse|stability|join]`: the optional
/// last argument runs that step alone (for `perf record`).
import AllocationCounter
import Diagnostics
import Foundation

/// A document as a controller writes it: every state, one in ten with its own timeout, and a
/// few reported events.
func document(entries: Int) -> Data {
    let states = ["REJECT", "PROXY", "MIGRATING", "COMPLETE"]
    var json = #"{"topics":["#
    json.reserveCapacity(entries * 110)
    for index in 0..<entries {
        if index > 0 { json += "," }
        json += #"{"topic":"payments.eu-west.orders-\#(index)","state":"\#(states[index % 4])","since":"2026-11-24T10:05:\#(String(format: "%02d", index % 60)).123Z""#
        if index % 10 == 0 { json += #","migration_timeout_seconds":3600"# }
        json += "}"
    }
    json += #"],"events":["#
    json += (0..<min(entries, 100)).map {
        #"{"topic":"payments.eu-west.orders-\#($0 * 4 + 2)","type":"INITIATED","at":"2026-11-24T10:05:00Z"}"#
    }.joined(separator: ",")
    json += "]}"
    return Data(json.utf8)
}

struct Timing {
    var min: Double
    var median: Double
    var max: Double

    var cells: String { String(format: "%7.1f %7.1f %7.1f", min, median, max) }
}

/// Min, median and max of `runs` timings of `work`, in milliseconds.
func time(runs: Int, _ work: () throws -> Void) rethrows -> Timing {
    let clock = ContinuousClock()
    var milliseconds: [Double] = []
    for _ in 0..<runs {
        let start = clock.now
        try work()
        let (seconds, attoseconds) = (clock.now - start).components
        milliseconds.append((Double(seconds) + Double(attoseconds) / 1e18) * 1_000)
    }
    milliseconds.sort()
    return Timing(min: milliseconds.first!, median: milliseconds[runs / 2], max: milliseconds.last!)
}

/// Heap allocations (malloc, calloc, realloc) one run of `work` makes; nil where not counted.
func allocations(_ work: () throws -> Void) rethrows -> UInt64? {
    guard allocation_counter_available() != 0 else {
        try work()
        return nil
    }
    let before = allocation_counter_count()
    try work()
    return allocation_counter_count() - before
}

func padded(_ text: String, to width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

let arguments = CommandLine.arguments.dropFirst()
let runs = arguments.first.flatMap(Int.init) ?? 7
let only = arguments.first { Int($0) == nil }
guard only == nil || ["parse", "stability", "join"].contains(only!) else {
    fatalError("usage: StateDocumentBenchmark [runs] [parse|stability|join]")
}
let now = Date(timeIntervalSince1970: 1_764_064_800)
print("StateDocumentBenchmark, \(runs) runs per step, times in ms (min median max)")
print("  entries      KiB |   parse min  median     max  allocs/parse | stability min median max | join min  median     max")
for entries in [1_000, 10_000, 100_000] {
    let data = document(entries: entries)
    guard let parsed = try? MigrationStateDocument(json: data), parsed.topics.count == entries else {
        fatalError("the generated document did not parse")
    }
    var parse: Timing?
    var parseAllocations: UInt64?
    if only == nil || only == "parse" {
        parse = try time(runs: runs) { _ = try MigrationStateDocument(json: data) }
        parseAllocations = try allocations { _ = try MigrationStateDocument(json: data) }
    }

    // A poll on unchanged content: the content (read afresh, so not the same buffer) compared
    // with the last, the parsed document acted on again.
    var stability: Timing?
    if only == nil || only == "stability" {
        var stable = StableStateDocument()
        _ = stable.read(data, at: now)
        _ = stable.read(data, at: now.addingTimeInterval(1))
        _ = stable.act(on: parsed)
        let reread = data.withUnsafeBytes { Data($0) }
        stability = time(runs: runs) {
            guard case .stable = stable.read(reread, at: now.addingTimeInterval(2)) else { fatalError("unchanged content was not stable") }
            _ = stable.act(on: parsed)
        }
    }

    // The accounting's join: every topic of the document watched, each read complete.
    var join: Timing?
    if only == nil || only == "join" {
        let reads = parsed.topics.map {
            TopicRead(topic: $0.topic, sourceReadAt: now, sourceHighWatermarks: [0: 100], destinationHighWatermarks: [0: 100])
        }
        let observation = PollObservation(
            at: now, proxied: ProxiedRead(readAt: now, recordsByTopic: [:]), stateDocument: parsed, topics: reads)
        var accounting = MigrationAccounting(configuration: AccountingConfiguration())
        _ = accounting.observe(observation)
        join = time(runs: runs) { _ = accounting.observe(observation) }
    }

    let skipped = "      -       -       -"
    print(String(format: "  %7d %8d | ", entries, data.count / 1024)
        + (parse?.cells ?? skipped) + " " + padded(parseAllocations.map { "\($0)" } ?? "-", to: 13) + " | "
        + (stability?.cells ?? skipped) + "    | " + (join?.cells ?? skipped))
}
