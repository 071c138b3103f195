/// Reads, from one proxy agent's parsed `/metrics` page, how many records and bytes it has
/// forwarded per topic (CONTRACT §2 `proxy_metrics`). The topic is the label the agent
/// writes: the destination topic name producers use.
public enum ProxiedCounters {
    /// Per destination topic, the sum over the agent's samples for that topic (an agent may
    /// split a topic by partition or client; exporterd wants the topic's total).
    public static func extract(from page: Exposition, names: ProxiedCounterNames = .init()) -> [String: TopicCounters] {
        var counters: [String: TopicCounters] = [:]
        for sample in samples(named: names.recordsMetric, in: page) {
            guard let topic = sample.labels[names.topicLabel] else { continue }
            counters[topic, default: TopicCounters()].records += sample.value
        }
        for sample in samples(named: names.bytesMetric, in: page) {
            guard let topic = sample.labels[names.topicLabel] else { continue }
            counters[topic, default: TopicCounters()].bytes += sample.value
        }
        return counters
    }

    /// Samples of the configured counter. When the page has none under that exact name, a
    /// counter written the other way is accepted: `x_total` configured, samples named `x`
    /// under `# TYPE x counter`; or `x` configured, samples `x_total` under `# TYPE x
    /// counter` (OpenMetrics). NaN and infinite values are not counts and are left out.
    static func samples(named name: String, in page: Exposition) -> [Sample] {
        func matching(_ wanted: String) -> [Sample] {
            page.samples.filter { $0.name == wanted && $0.value.isFinite }
        }
        let exact = matching(name)
        guard exact.isEmpty else { return exact }
        if name.hasSuffix("_total") {
            let family = String(name.dropLast(6))
            return page.types[family] == .counter ? matching(family) : []
        }
        return page.types[name] == .counter ? matching(name + "_total") : []
    }
}

/// Which metrics and label carry the agents' counters (`proxy_metrics` in the config).
public struct ProxiedCounterNames: Sendable, Equatable {
    public var recordsMetric: String
    public var bytesMetric: String
    public var topicLabel: String

    public init(
        recordsMetric: String = "kafka_proxy_produced_records_total",
        bytesMetric: String = "kafka_proxy_produced_bytes_total",
        topicLabel: String = "topic"
    ) {
        self.recordsMetric = recordsMetric
        self.bytesMetric = bytesMetric
        self.topicLabel = topicLabel
    }
}

/// Records and bytes of one topic.
public struct TopicCounters: Sendable, Equatable, Codable {
    public var records: Double
    public var bytes: Double

    public init(records: Double = 0, bytes: Double = 0) {
        self.records = records
        self.bytes = bytes
    }
}
