/// The reset-corrected proxied counters behind `kafka_migration_proxied_{records,bytes}_total`
/// (CONTRACT §4): per agent target and series (label set), the agent's last value and a running
/// total that survives agent restarts and, persisted as JSON, exporterd restarts. Restarts are
/// recognised per series, and from `process_start_time_seconds`; a series that goes missing
/// makes its agent incomplete for a few scrapes, never a restart by itself.
/// One source topic's corrected proxied totals, exact.
public typealias ProxiedCounts = (records: Int64, bytes: Int64)

public struct ProxiedCounterTotals: Sendable, Equatable {
    /// Consecutive scrapes a series may be missing (or NaN) before it is retired. Until then its
    /// agent is incomplete: its increments since the last scrape are unknown, and taking them
    /// for 0 would push the unproxied bound above the truth. A counter vanishes for good when
    /// the agent deletes it (a producer client gone, a label set expired), so waiting forever
    /// would suspend the accounting of every topic for good; three scrapes ride out a page cut
    /// at a line boundary or an agent rebuilding its registry, and cost three polls of delay.
    /// Retiring keeps its counted value in the total and takes fresh baselines for its topic
    /// (what it counted after its last scrape is lost, as in a restart).
    public static let retireAfterMissingScrapes = 3
    /// Retired series kept per agent so that one coming back continues rather than counts its
    /// whole value again; beyond this many the longest-gone are folded into the topic's total.
    static let retiredSeriesLimit = 4096
    /// `process_start_time_seconds` moving by more than this is a new process. Client
    /// libraries derive it from the boot time, which the kernel may report a second off.
    static let startTimeTolerance = 1.0

    /// Agent target → its counters.
    var agents: [String: AgentCounters]
    /// Source topics whose counters restarted since the last complete read handed to the
    /// accounting; persisted, so a restart seen while another agent is down (or just before
    /// exporterd stops) still takes fresh baselines when the read is complete again.
    var unreportedRestarts: Set<String>

    public init() {
        agents = [:]
        unreportedRestarts = []
    }

    /// Takes one page of `target`. `sourceTopics` maps destination topics to source topics;
    /// a series of an unmapped topic is not followed. A series seen for the first time counts
    /// its value as it is (CONTRACT §4); a known one adds what it counted since, or, when its
    /// value went down (it restarted), all of its new value.
    @discardableResult
    public mutating func observe(target: String, page: ProxiedCounterPage, sourceTopics: [String: String]) -> AgentObservation {
        var agent = agents[target] ?? AgentCounters()
        var observation = AgentObservation()
        agent.scrapes += 1
        if let start = page.processStartTime {
            if let previous = agent.processStartTime, abs(start - previous) > Self.startTimeTolerance {
                observation.processRestarted = true
                observation.restartedTopics.formUnion(agent.processRestarted(keeping: Set(page.series.keys)))
            }
            agent.processStartTime = start
        }
        observation.restartedTopics.formUnion(agent.reconcileLegacy(with: page, restarted: observation.processRestarted))

        for (series, value) in page.series {
            let mapped = sourceTopics[series.topic]
            guard var counter = agent.series[series] ?? mapped.map({ SeriesCounter(sourceTopic: $0) }) else { continue }
            if let mapped { counter.sourceTopic = mapped }
            switch value {
            case .count(let raw):
                if counter.observe(raw, scrape: agent.scrapes) { observation.restartedTopics.insert(counter.sourceTopic) }
            case .notANumber(let line):
                // Like a missing series; one of a topic no longer watched holds nothing up.
                guard mapped != nil, !counter.isRetired else { break }
                if counter.miss() {
                    observation.restartedTopics.insert(counter.sourceTopic)
                    observation.retired.append(series)
                } else {
                    observation.missing.append(MissingSeries(series: series, scrapes: counter.missingScrapes, notANumberLine: line))
                }
            }
            agent.series[series] = counter
        }
        for (series, var counter) in agent.series where page.series[series] == nil && sourceTopics[series.topic] != nil {
            guard !counter.isRetired else { continue }
            if counter.miss() {
                observation.restartedTopics.insert(counter.sourceTopic)
                observation.retired.append(series)
            } else {
                observation.missing.append(MissingSeries(series: series, scrapes: counter.missingScrapes, notANumberLine: nil))
            }
            agent.series[series] = counter
        }
        agent.settleLongestRetired(beyond: Self.retiredSeriesLimit)
        observation.missing.sort { $0.series.description < $1.series.description }
        agents[target] = agent
        unreportedRestarts.formUnion(observation.restartedTopics)
        return observation
    }

    /// The source topics that restarted since the last call, for a complete read.
    public mutating func takeUnreportedRestarts() -> Set<String> {
        defer { unreportedRestarts = [] }
        return unreportedRestarts
    }

    /// The series of `target` missing (or NaN) on its last page and not retired yet: while
    /// there are any, the agent is incomplete.
    public func missingSeries(of target: String) -> [MissingSeries] {
        guard let agent = agents[target] else { return [] }
        return agent.series.compactMap { series, counter in
            counter.missingScrapes > 0 && !counter.isRetired
                ? MissingSeries(series: series, scrapes: counter.missingScrapes, notANumberLine: nil) : nil
        }.sorted { $0.series.description < $1.series.description }
    }

    /// Per source topic, the corrected totals summed over agents and series, exactly.
    /// It walks every series of every agent: take it once per poll.
    /// Sums saturate at Int64.max (no agent gets near it; nothing may trap on input).
    public var countsBySourceTopic: [String: ProxiedCounts] {
        var sums: [String: ProxiedCounts] = [:]
        func add(_ topic: String, _ counter: CounterKind, _ value: Int64) {
            var sum = sums[topic] ?? (0, 0)
            switch counter {
            case .records: sum.records = sum.records.saturatingAdding(value)
            case .bytes: sum.bytes = sum.bytes.saturatingAdding(value)
            }
            sums[topic] = sum
        }
        for agent in agents.values {
            for (series, counter) in agent.series { add(counter.sourceTopic, series.counter, counter.total) }
            for settled in agent.settled.values {
                add(settled.sourceTopic, .records, settled.records)
                add(settled.sourceTopic, .bytes, settled.bytes)
            }
            for legacy in agent.legacy.values {
                add(legacy.sourceTopic, .records, legacy.records.total)
                add(legacy.sourceTopic, .bytes, legacy.bytes.total)
            }
        }
        return sums
    }

    /// Proxied records per source topic, exactly, for the accounting.
    public var recordsBySourceTopic: [String: Int64] {
        countsBySourceTopic.mapValues(\.records)
    }

    /// Per source topic, the corrected totals as exported.
    public var totalsBySourceTopic: [String: TopicCounters] {
        countsBySourceTopic.mapValues { TopicCounters(records: Double($0.records), bytes: Double($0.bytes)) }
    }

    /// The corrected totals of one source topic; zero when no agent reported it.
    public func totals(forSourceTopic topic: String) -> TopicCounters {
        totalsBySourceTopic[topic] ?? TopicCounters()
    }
}

/// What one page of one agent changed.
public struct AgentObservation: Sendable, Equatable {
    /// Source topics with a series that restarted or was retired: fresh baselines.
    public var restartedTopics: Set<String> = []
    /// `process_start_time_seconds` moved: the whole agent restarted.
    public var processRestarted = false
    /// Series missing or NaN on this page, not retired yet: the agent is incomplete.
    public var missing: [MissingSeries] = []
    /// Series retired by this page.
    public var retired: [CounterSeries] = []

    public var isComplete: Bool { missing.isEmpty }
}

/// A series of ours that the last page did not give a value for.
public struct MissingSeries: Sendable, Equatable, CustomStringConvertible {
    public var series: CounterSeries
    /// Consecutive scrapes it has been missing.
    public var scrapes: Int
    /// The page had it as NaN, on this line.
    public var notANumberLine: Int?

    public var description: String {
        let what = notANumberLine.map { "is NaN on line \($0)" } ?? "is missing from the page"
        return "\(series) \(what) (\(scrapes) of \(ProxiedCounterTotals.retireAfterMissingScrapes) scrapes before it is retired)"
    }
}

/// One agent's counters.
struct AgentCounters: Sendable, Equatable {
    var processStartTime: Double?
    /// Pages taken from this agent; orders retired series by when they were last seen.
    var scrapes: Int64 = 0
    var series: [CounterSeries: SeriesCounter] = [:]
    /// Destination topic → counted values no live series carries any more.
    var settled: [String: SettledCounts] = [:]
    /// Destination topic → a topic-level counter from a document written before series were
    /// followed, waiting for the agent's next page to be matched with its series.
    var legacy: [String: LegacyTopicCounters] = [:]

    /// A new process counts every series from 0. Series it does not show (yet) are folded into
    /// their topic's settled total: should they come back, all of their value is new anyway.
    /// Returns the source topics affected.
    mutating func processRestarted(keeping present: Set<CounterSeries>) -> Set<String> {
        var topics: Set<String> = []
        for (key, counter) in series {
            topics.insert(counter.sourceTopic)
            if present.contains(key) {
                series[key]?.restartFromZero()
            } else {
                settle(key, counter)
                series[key] = nil
            }
        }
        return topics
    }

    /// Matches each legacy topic counter with the page's series of that topic, once any is
    /// there: the topic's value then was `lastRaw` and its total `total`, so the series (which
    /// start as first sightings, at their full value) carry the rest when the sum did not go
    /// down; when it did, the agent restarted and all of the series' value is new.
    mutating func reconcileLegacy(with page: ProxiedCounterPage, restarted: Bool) -> Set<String> {
        guard !legacy.isEmpty else { return [] }
        var topics: Set<String> = []
        var sums: [String: (records: Int64, bytes: Int64)] = [:]
        for case let (series, .count(value)) in page.series {
            var sum = sums[series.topic] ?? (0, 0)
            switch series.counter {
            case .records: sum.records = sum.records.saturatingAdding(value)
            case .bytes: sum.bytes = sum.bytes.saturatingAdding(value)
            }
            sums[series.topic] = sum
        }
        for (topic, old) in legacy {
            guard let now = sums[topic] else {
                if restarted {  // whatever it shows later is new
                    settled[topic, default: SettledCounts(sourceTopic: old.sourceTopic)].add(records: old.records.total, bytes: old.bytes.total)
                    legacy[topic] = nil
                }
                continue
            }
            let wentDown = restarted || now.records < old.records.lastRaw || now.bytes < old.bytes.lastRaw
            if wentDown { topics.insert(old.sourceTopic) }
            settled[topic, default: SettledCounts(sourceTopic: old.sourceTopic)].add(
                records: wentDown ? old.records.total : max(0, old.records.total - old.records.lastRaw),
                bytes: wentDown ? old.bytes.total : max(0, old.bytes.total - old.bytes.lastRaw))
            legacy[topic] = nil
        }
        return topics
    }

    mutating func settleLongestRetired(beyond limit: Int) {
        let retired = series.filter(\.value.isRetired)
        guard retired.count > limit else { return }
        for (key, counter) in retired.sorted(by: { $0.value.lastSeen < $1.value.lastSeen }).prefix(retired.count - limit) {
            settle(key, counter)
            series[key] = nil
        }
    }

    private mutating func settle(_ key: CounterSeries, _ counter: SeriesCounter) {
        var settledCounts = settled[key.topic] ?? SettledCounts(sourceTopic: counter.sourceTopic)
        settledCounts.sourceTopic = counter.sourceTopic
        switch key.counter {
        case .records: settledCounts.add(records: counter.total, bytes: 0)
        case .bytes: settledCounts.add(records: 0, bytes: counter.total)
        }
        settled[key.topic] = settledCounts
    }
}

/// One series made monotonic across the agent's restarts.
struct SeriesCounter: Sendable, Equatable, Codable {
    /// Source topic its destination topic mapped to when last seen.
    var sourceTopic: String
    /// The agent's value at the last scrape that had one.
    var lastRaw: Int64 = 0
    /// What it counted, all restarts included, since exporterd first saw it.
    var total: Int64 = 0
    /// Consecutive scrapes without a value; retired at `retireAfterMissingScrapes`.
    var missingScrapes = 0
    /// The agent's scrape number when it last had a value.
    var lastSeen: Int64 = 0

    var isRetired: Bool { missingScrapes >= ProxiedCounterTotals.retireAfterMissingScrapes }

    /// A value below the last one means the series restarted from 0, so all of it is new.
    /// A new series starts at `lastRaw` 0: its first value counts as it is. Returns whether
    /// it restarted.
    mutating func observe(_ raw: Int64, scrape: Int64) -> Bool {
        let restarted = raw < lastRaw
        total = total.saturatingAdding(restarted ? raw : raw - lastRaw)
        lastRaw = raw
        missingScrapes = 0
        lastSeen = scrape
        return restarted
    }

    mutating func restartFromZero() {
        lastRaw = 0
    }

    /// One more scrape without a value. Returns whether that retires it.
    mutating func miss() -> Bool {
        missingScrapes += 1
        return missingScrapes == ProxiedCounterTotals.retireAfterMissingScrapes
    }
}

/// Counted values of a destination topic that no followed series carries.
struct SettledCounts: Sendable, Equatable, Codable {
    var sourceTopic: String
    var records: Int64 = 0
    var bytes: Int64 = 0

    mutating func add(records: Int64, bytes: Int64) {
        self.records = self.records.saturatingAdding(records)
        self.bytes = self.bytes.saturatingAdding(bytes)
    }
}

/// A topic-level counter as documents before per-series following stored it.
struct LegacyTopicCounters: Sendable, Equatable {
    struct Counter: Sendable, Equatable {
        var lastRaw: Int64
        var total: Int64
    }
    var sourceTopic: String
    var records: Counter
    var bytes: Counter
}

extension Int64 {
    func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
