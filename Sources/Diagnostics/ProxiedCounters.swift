/// Reads, from one proxy agent's `/metrics` page, the series of the two counters exporterd
/// counts (CONTRACT §2 `proxy_metrics`): strictly inside their families, tolerantly outside.
/// Every label set is its own series (an agent may split a topic by partition, client or
/// agent id); restarts are recognised per series by `ProxiedCounterTotals`.
public enum ProxiedCounters {
    /// The gauge client libraries (Go, Java, Python) write with the process' start time: when
    /// it changes, the agent restarted, even if its counters already passed their old values.
    public static let processStartMetric = "process_start_time_seconds"

    /// Parses `bytes` and reads the counters. Throws when a line of our families does not
    /// parse, a value of ours is not a count (negative, infinite, fractional, or too large
    /// for a Double to hold exactly), or one series appears twice with different values.
    public static func read(utf8 bytes: UnsafeBufferPointer<UInt8>, names: ProxiedCounterNames = .init())
        throws(ProxiedPageError) -> ProxiedCounterPage {
        let page: ScopedExposition
        do {
            page = try ExpositionParser.parse(utf8: bytes, scope: names.scope)
        } catch {
            throw .syntax(error)
        }
        return try read(page, names: names)
    }

    public static func read(_ text: String, names: ProxiedCounterNames = .init()) throws(ProxiedPageError) -> ProxiedCounterPage {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(ProxiedPageError) in try read(utf8: bytes, names: names) }
        }
        return try result.get()
    }

    static func read(_ page: ScopedExposition, names: ProxiedCounterNames) throws(ProxiedPageError) -> ProxiedCounterPage {
        var result = ProxiedCounterPage()
        result.skippedLines = page.skippedLines
        result.firstSkipped = page.firstSkipped
        var lines: [CounterSeries: Int] = [:]
        for counter in CounterKind.allCases {
            let name = countedName(names.metric(counter), in: page)
            for numbered in page.samples where numbered.sample.name == name {
                guard let topic = numbered.sample.labels[names.topicLabel] else { continue }  // not a topic's count
                let series = CounterSeries(counter: counter, topic: topic, labels: numbered.sample.labels)
                let value = try SeriesValue(numbered.sample.value, line: numbered.line, series: series)
                if let existing = result.series[series] {
                    // The same series twice is one series; twice with two values is no count at all.
                    guard existing.sameValue(as: value) else {
                        throw .conflictingDuplicate(line: numbered.line, firstLine: lines[series] ?? 0, series: series)
                    }
                    continue
                }
                result.series[series] = value
                lines[series] = numbered.line
            }
        }
        result.processStartTime = page.samples.first {
            $0.sample.name == processStartMetric && $0.sample.labels.isEmpty && $0.sample.value.isFinite
        }?.sample.value
        return result
    }

    /// The sample name that carries `configured`'s counts on this page: the configured name
    /// when any sample has it, else the other spelling of a counter (`x_total` configured and
    /// `x` written, or the reverse) when the page types that family as a counter. Never
    /// `_created`: a creation time, not a count.
    static func countedName(_ configured: String, in page: ScopedExposition) -> String {
        guard !page.samples.contains(where: { $0.sample.name == configured }) else { return configured }
        let base = configured.hasSuffix("_total") ? String(configured.dropLast(6)) : configured
        let other = configured.hasSuffix("_total") ? base : configured + "_total"
        let isCounter = page.types[base] == .counter || page.types[base + "_total"] == .counter
        return isCounter ? other : configured
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

    func metric(_ counter: CounterKind) -> String {
        switch counter {
        case .records: recordsMetric
        case .bytes: bytesMetric
        }
    }

    /// Our families in every spelling a writer may use (`x`, `x_total`, `x_created`) are read
    /// strictly; the process start time leniently.
    var scope: ExpositionScope {
        var strict: Set<String> = []
        for counter in CounterKind.allCases {
            let name = metric(counter)
            let base = name.hasSuffix("_total") ? String(name.dropLast(6)) : name
            strict.formUnion([base, base + "_total", base + "_created"])
        }
        return ExpositionScope(strictNames: strict, lenientNames: [ProxiedCounters.processStartMetric])
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
