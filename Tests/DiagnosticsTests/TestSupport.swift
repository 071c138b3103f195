/// Test doubles for the accounting: a seeded random source, a ground-truth simulation of a
/// topic's producers and agents, and a driver that turns readable test steps into polls.
import Foundation
@testable import Diagnostics

let epoch = Date(timeIntervalSince1970: 1_795_000_000)

/// SplitMix64: small, fast, and the same sequence on every platform for a given seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What really happened on one topic: every record appended to the source, whether it went
/// through the proxy, and when the agent that forwarded it published it in its counter.
struct ProducerSimulation {
    struct ProxiedRecord {
        var appendedAt: TimeInterval
        var publishedAt: TimeInterval
        var agent: Int
        var partition: Int32
    }
    struct DirectRecord {
        var appendedAt: TimeInterval
        var partition: Int32
    }

    var partitions: Int32 = 3
    var proxied: [ProxiedRecord] = []
    var direct: [DirectRecord] = []

    mutating func proxy(at time: TimeInterval, publishDelay: TimeInterval, agent: Int = 0, partition: Int32 = 0) {
        proxied.append(ProxiedRecord(appendedAt: time, publishedAt: time + publishDelay, agent: agent, partition: partition))
    }

    mutating func writeDirectly(at time: TimeInterval, partition: Int32 = 0) {
        direct.append(DirectRecord(appendedAt: time, partition: partition))
    }

    /// High watermarks at `time`: every record appended at or before it.
    func highWatermarks(at time: TimeInterval) -> [Int32: Int64] {
        var result: [Int32: Int64] = [:]
        for partition in 0..<partitions { result[partition] = 0 }
        for record in proxied where record.appendedAt <= time { result[record.partition, default: 0] += 1 }
        for record in direct where record.appendedAt <= time { result[record.partition, default: 0] += 1 }
        return result
    }

    /// One agent's counter at `time`.
    func agentCounter(_ agent: Int, at time: TimeInterval) -> Int64 {
        Int64(proxied.count { $0.agent == agent && $0.publishedAt <= time })
    }

    /// What the agents' scrape returns at `time`, summed over agents.
    func proxiedTotal(at time: TimeInterval, agents: Int = 1) -> Int64 {
        (0..<agents).reduce(0) { $0 + agentCounter($1, at: time) }
    }

    /// Proxied records appended (acknowledged) at or before `time`, published or not: A(t).
    func proxiedAppended(at time: TimeInterval) -> Int64 {
        Int64(proxied.count { $0.appendedAt <= time })
    }

    /// Unproxied records appended in (after, upTo].
    func directRecords(after: TimeInterval, upTo: TimeInterval) -> Int64 {
        Int64(direct.count { $0.appendedAt > after && $0.appendedAt <= upTo })
    }
}

/// Drives one topic poll by poll with readable steps. Agents are read at the poll time, the
/// source 0.1 s later, as the I/O layer does.
struct TopicDriver {
    enum Report {
        case listed(MigrationState, since: Date? = nil, timeout: Double? = nil)
        case unlisted
        case down
    }

    var accounting: TopicAccounting
    var clock: Date = epoch
    var step: TimeInterval = 5
    /// The driver is one process: a restart is a new driver restoring the snapshot.
    var previousPollAt: Date?
    let topic = "orders"
    private var lastState: MigrationState?
    private var stateSince: Date = epoch

    init(_ configuration: AccountingConfiguration = AccountingConfiguration()) {
        accounting = TopicAccounting(topic: "orders", configuration: configuration)
    }

    @discardableResult
    mutating func poll(
        _ report: Report, source: [Int32: Int64]?, destination: [Int32: Int64]?? = .none, proxied: Int64? = 0,
        timeLag: Double? = 0, events: [ReportedEvent] = [], restarted: Bool = false
    ) -> TopicOutcome {
        var stateReport: TopicStateReport?
        if case .listed(let state, let since, let timeout) = report {
            if state != lastState {
                lastState = state
                stateSince = since ?? clock
            } else if let since {
                stateSince = since
            }
            stateReport = TopicStateReport(topic: topic, state: state, since: stateSince, migrationTimeoutSeconds: timeout)
        }
        let stateSourceUp: Bool
        if case .down = report { stateSourceUp = false } else { stateSourceUp = true }
        let read = TopicRead(
            topic: topic, sourceReadAt: clock.addingTimeInterval(0.1), sourceHighWatermarks: source,
            destinationHighWatermarks: destination ?? source, timeLagSeconds: timeLag)
        let poll = TopicPoll(
            at: clock, read: read, proxiedRecords: proxied, proxiedReadAt: proxied == nil ? nil : clock,
            proxiedCountersRestarted: restarted, stateSourceUp: stateSourceUp, report: stateReport,
            reportedEvents: events, previousPollAt: previousPollAt)
        let outcome = accounting.observe(poll)
        previousPollAt = clock
        clock = clock.addingTimeInterval(step)
        return outcome
    }
}

extension TopicOutcome {
    var eventTypes: [MigrationEventType] { events.map(\.type) }
}
