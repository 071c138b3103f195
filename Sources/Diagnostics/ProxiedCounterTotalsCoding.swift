/// The persisted form of `ProxiedCounterTotals` (a JSON document in the store). Format 2
/// follows series; a daemon upgraded in place still finds the format-1 document of the
/// version before (topic-level counters under `entries`) and keeps its totals: each such
/// counter is matched with the agent's series at its next page (`reconcileLegacy`).
import Foundation

extension ProxiedCounterTotals: Codable {
    static let format = 2

    private enum Key: String, CodingKey {
        case format, agents, unreportedRestarts
        case entries  // format 1
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        if container.contains(.entries) {
            let old = try container.decode([String: [String: FormatOneEntry]].self, forKey: .entries)
            agents = try old.mapValues { topics in
                var agent = AgentCounters()
                agent.legacy = try topics.mapValues { try $0.legacy(codingPath: container.codingPath + [Key.entries]) }
                return agent
            }
            unreportedRestarts = []
            return
        }
        let format = try container.decode(Int.self, forKey: .format)
        guard format == Self.format else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: container,
                                                   debugDescription: "proxied totals format \(format), this version reads \(Self.format) and 1")
        }
        agents = try container.decode([String: StoredAgent].self, forKey: .agents).mapValues(\.counters)
        unreportedRestarts = try container.decode(Set<String>.self, forKey: .unreportedRestarts)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(Self.format, forKey: .format)
        try container.encode(agents.mapValues(StoredAgent.init), forKey: .agents)
        try container.encode(unreportedRestarts.sorted(), forKey: .unreportedRestarts)
    }
}

/// One agent as stored: series as a list (their keys are label sets, not strings).
private struct StoredAgent: Codable {
    struct Series: Codable {
        var series: CounterSeries
        var counter: SeriesCounter
    }
    struct Legacy: Codable {
        var sourceTopic: String
        var recordsLastRaw: Int64
        var recordsTotal: Int64
        var bytesLastRaw: Int64
        var bytesTotal: Int64
    }
    var processStartTime: Double?
    var scrapes: Int64
    var series: [Series]
    var settled: [String: SettledCounts]
    var legacy: [String: Legacy]

    init(_ agent: AgentCounters) {
        processStartTime = agent.processStartTime
        scrapes = agent.scrapes
        series = agent.series.map { Series(series: $0.key, counter: $0.value) }
        settled = agent.settled
        legacy = agent.legacy.mapValues {
            Legacy(sourceTopic: $0.sourceTopic, recordsLastRaw: $0.records.lastRaw, recordsTotal: $0.records.total,
                   bytesLastRaw: $0.bytes.lastRaw, bytesTotal: $0.bytes.total)
        }
    }

    var counters: AgentCounters {
        var agent = AgentCounters()
        agent.processStartTime = processStartTime
        agent.scrapes = scrapes
        agent.series = Dictionary(series.map { ($0.series, $0.counter) }, uniquingKeysWith: { first, _ in first })
        agent.settled = settled
        agent.legacy = legacy.mapValues {
            LegacyTopicCounters(sourceTopic: $0.sourceTopic, records: .init(lastRaw: $0.recordsLastRaw, total: $0.recordsTotal),
                                bytes: .init(lastRaw: $0.bytesLastRaw, total: $0.bytesTotal))
        }
        return agent
    }
}

/// Format 1: per agent and destination topic, `{"sourceTopic", "records": {"lastRaw",
/// "total"}, "bytes": {…}}` with float values.
private struct FormatOneEntry: Decodable {
    struct Counter: Decodable {
        var lastRaw: Double
        var total: Double
    }
    var sourceTopic: String
    var records: Counter
    var bytes: Counter

    func legacy(codingPath: [any CodingKey]) throws -> LegacyTopicCounters {
        func count(_ value: Double) throws -> Int64 {
            // Whole, non-negative and within Int64; anything else is a corrupt document, not a trap.
            guard value >= 0, let count = Int64(exactly: value.rounded()) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "proxied counter \(value) is not a count"))
            }
            return count
        }
        return LegacyTopicCounters(
            sourceTopic: sourceTopic,
            records: .init(lastRaw: try count(records.lastRaw), total: try count(records.total)),
            bytes: .init(lastRaw: try count(bytes.lastRaw), total: try count(bytes.total)))
    }
}
