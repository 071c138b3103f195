/// Times what one poll does with a big migration state document (issue 12: 100,000 entries in
/// under 200 ms): the JSON parse, the stability step, and the accounting's join of the document
/// with every topic's reads. Not a test (timings depend on the machine); run
/// `swift run -c release StateDocumentBenchmark [runs]`.
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

/// Median, min and max of `runs` timings of `work`, in milliseconds.
func time(runs: Int, _ work: () throws -> Void) rethrows -> (median: Double, min: Double, max: Double) {
    let clock = ContinuousClock()
    var milliseconds: [Double] = []
    for _ in 0..<runs {
        let start = clock.now
        try work()
        let (seconds, attoseconds) = (clock.now - start).components
        milliseconds.append((Double(seconds) + Double(attoseconds) / 1e18) * 1_000)
    }
    milliseconds.sort()
    return (milliseconds[runs / 2], milliseconds.first!, milliseconds.last!)
}

func report(_ label: String, _ timing: (median: Double, min: Double, max: Double), runs: Int) {
    print(String(format: "  %@: median %.1f ms (min %.1f, max %.1f) over %d runs", label, timing.median, timing.min, timing.max, runs))
}

let runs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 5
let now = Date(timeIntervalSince1970: 1_764_064_800)
for entries in [1_000, 10_000, 100_000] {
    let data = document(entries: entries)
    print("\(entries) entries (\(data.count / 1024) KiB):")
    var parsed: MigrationStateDocument?
    report("parse", try time(runs: runs) { parsed = try MigrationStateDocument(json: data) }, runs: runs)
    guard let parsed else { fatalError("the generated document did not parse") }

    var stability = StableStateDocument()
    _ = stability.read(data, at: now)
    _ = stability.read(data, at: now.addingTimeInterval(1))
    report("stability check + act", time(runs: runs) {
        if case .stable = stability.read(data, at: now.addingTimeInterval(2)) { _ = stability.act(on: parsed) }
    }, runs: runs)

    // The accounting's join: every topic of the document watched, each read complete.
    let reads = parsed.topics.map {
        TopicRead(topic: $0.topic, sourceReadAt: now, sourceHighWatermarks: [0: 100], destinationHighWatermarks: [0: 100])
    }
    let observation = PollObservation(
        at: now, proxied: ProxiedRead(readAt: now, recordsByTopic: [:]), stateDocument: parsed, topics: reads)
    var accounting = MigrationAccounting(configuration: AccountingConfiguration())
    _ = accounting.observe(observation)
    report("accounting poll (join + every topic)", time(runs: runs) { _ = accounting.observe(observation) }, runs: runs)
}
