/// The reset-corrected proxied counters behind `kafka_migration_proxied_{records,bytes}_total`
/// (CONTRACT §4): per agent target and topic, the agent's last raw value and a running
/// total that survives agent restarts and, persisted as JSON, exporterd restarts.
public struct ProxiedCounterTotals: Sendable, Equatable, Codable {
    /// Agent target → destination topic → counters.
    private var entries: [String: [String: Entry]]

    private struct Entry: Sendable, Equatable, Codable {
        /// Source topic the destination topic mapped to when last seen.
        var sourceTopic: String
        var records: ResetCorrectedCounter
        var bytes: ResetCorrectedCounter
    }

    public init() {
        entries = [:]
    }

    /// Takes one scrape of `target`: `counters` by destination topic (from
    /// `ProxiedCounters.extract`), mapped to source topics with `sourceTopics`
    /// (destination → source); unmapped topics are ignored. A pair seen for the first time
    /// counts the agent's value as it is; a known pair adds what the agent counted since.
    /// A topic missing from this scrape keeps its last raw value.
    /// Returns the source topics whose counter went down on this agent (it restarted): records
    /// it acknowledged but had not published yet are lost from its counters, so unproxied
    /// accounting must take fresh baselines rather than count them as direct writes.
    @discardableResult
    public mutating func observe(target: String, counters: [String: TopicCounters], sourceTopics: [String: String]) -> Set<String> {
        var restarted: Set<String> = []
        for (destinationTopic, value) in counters {
            guard let sourceTopic = sourceTopics[destinationTopic] else { continue }
            if var entry = entries[target]?[destinationTopic] {
                entry.sourceTopic = sourceTopic
                if value.records < entry.records.lastRaw || value.bytes < entry.bytes.lastRaw { restarted.insert(sourceTopic) }
                entry.records.observe(value.records)
                entry.bytes.observe(value.bytes)
                entries[target, default: [:]][destinationTopic] = entry
            } else {
                entries[target, default: [:]][destinationTopic] = Entry(
                    sourceTopic: sourceTopic,
                    records: ResetCorrectedCounter(firstValue: value.records),
                    bytes: ResetCorrectedCounter(firstValue: value.bytes))
            }
        }
        return restarted
    }

    /// Per source topic, the corrected totals summed over agents (and over destination
    /// topics, should several map to one source topic).
    public var totalsBySourceTopic: [String: TopicCounters] {
        var totals: [String: TopicCounters] = [:]
        for byTopic in entries.values {
            for entry in byTopic.values {
                totals[entry.sourceTopic, default: TopicCounters()].records += entry.records.total
                totals[entry.sourceTopic, default: TopicCounters()].bytes += entry.bytes.total
            }
        }
        return totals
    }

    /// The corrected totals of one source topic; zero when no agent reported it.
    public func totals(forSourceTopic topic: String) -> TopicCounters {
        totalsBySourceTopic[topic] ?? TopicCounters()
    }
}

/// One agent counter made monotonic across the agent's restarts.
struct ResetCorrectedCounter: Sendable, Equatable, Codable {
    /// The agent's value at the last scrape.
    private(set) var lastRaw: Double
    /// What it counted, all restarts included, since exporterd first saw it.
    private(set) var total: Double

    /// First sighting: the agent's value as it is (CONTRACT §4).
    init(firstValue: Double) {
        lastRaw = firstValue
        total = firstValue
    }

    /// A value below the last one means the agent restarted and counts from 0 again, so
    /// all of it is new.
    mutating func observe(_ raw: Double) {
        total += raw >= lastRaw ? raw - lastRaw : raw
        lastRaw = raw
    }
}
