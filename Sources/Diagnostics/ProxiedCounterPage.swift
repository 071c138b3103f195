/// One agent page as the proxied accounting reads it: every series of the two counters with a
/// checked whole-number value, and why a page could not be read (naming the line).

/// Which of the two configured counters a series belongs to.
public enum CounterKind: String, Sendable, Codable, CaseIterable {
    case records, bytes
}

/// One series of our counters: its label set, which includes the topic.
public struct CounterSeries: Sendable, Hashable, Codable, CustomStringConvertible {
    public var counter: CounterKind
    /// The topic label's value: the destination topic producers write to.
    public var topic: String
    public var labels: [String: String]

    public init(counter: CounterKind, topic: String, labels: [String: String]) {
        self.counter = counter
        self.topic = topic
        self.labels = labels
    }

    /// `records{partition="0",topic="orders"}`: labels sorted, values escaped for a log line.
    public var description: String {
        let labels = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(ExpositionError.shown($0.value))\"" }
        return "\(counter.rawValue){\(labels.joined(separator: ","))}"
    }
}

/// A series' value on one page.
public enum SeriesValue: Sendable, Equatable {
    case count(Int64)
    /// NaN: the library has no value for it right now. Like a series missing from the page.
    case notANumber(line: Int)

    /// Above this a Double no longer holds every whole number, so the agent's count would be
    /// rounded by the text format itself (2^53 − 1, JavaScript's MAX_SAFE_INTEGER).
    public static let largestExactCount: Double = 9_007_199_254_740_991

    init(_ value: Double, line: Int, series: CounterSeries) throws(ProxiedPageError) {
        if value.isNaN {
            self = .notANumber(line: line)
            return
        }
        let problem: ProxiedPageError.ValueProblem? =
            if !value.isFinite { .notFinite }
            else if value < 0 { .negative }
            else if value > Self.largestExactCount { .beyondExactRange }
            else if value != value.rounded(.towardZero) { .notWhole }
            else { nil }
        if let problem { throw .invalidValue(line: line, series: series, value: value, problem: problem) }
        self = .count(Int64(value))  // whole and within ±2^53: exact, cannot trap
    }

    func sameValue(as other: SeriesValue) -> Bool {
        switch (self, other) {
        case let (.count(a), .count(b)): a == b
        case (.notANumber, .notANumber): true
        default: false
        }
    }
}

/// The counters one agent page holds.
public struct ProxiedCounterPage: Sendable, Equatable {
    public var series: [CounterSeries: SeriesValue] = [:]
    /// `process_start_time_seconds`, when the page has it.
    public var processStartTime: Double?
    /// Lines of other families that did not parse (skipped), and the first of them.
    public var skippedLines = 0
    public var firstSkipped: ExpositionError?

    public init() {}

    /// A page with one series per topic labelled only with `topicLabel`.
    public init(countersByTopic: [String: TopicCounters], topicLabel: String = "topic", processStartTime: Double? = nil) {
        for (topic, counters) in countersByTopic {
            let labels = [topicLabel: topic]
            series[CounterSeries(counter: .records, topic: topic, labels: labels)] = .count(Int64(exactly: counters.records) ?? 0)
            series[CounterSeries(counter: .bytes, topic: topic, labels: labels)] = .count(Int64(exactly: counters.bytes) ?? 0)
        }
        self.processStartTime = processStartTime
    }

    /// Per destination topic, the sum of the page's countable series.
    public var countersByTopic: [String: TopicCounters] {
        var sums: [String: TopicCounters] = [:]
        for case let (series, .count(value)) in series {
            switch series.counter {
            case .records: sums[series.topic, default: TopicCounters()].records += Double(value)
            case .bytes: sums[series.topic, default: TopicCounters()].bytes += Double(value)
            }
        }
        return sums
    }
}

/// Why an agent page gives no counts this poll: the agent is then incomplete (CONTRACT §5
/// proxy_counters_incomplete) and the reason, with its line, shows in the log and the status API.
public enum ProxiedPageError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum ValueProblem: String, Sendable {
        case notFinite = "is not finite"
        case negative = "is negative"
        case notWhole = "is not a whole number"
        case beyondExactRange = "is beyond 2^53, where a float no longer holds every count exactly"
    }

    /// A line of our counters' families does not parse, or the page is no exposition at all.
    case syntax(ExpositionError)
    /// A value of our counters is not a count.
    case invalidValue(line: Int, series: CounterSeries, value: Double, problem: ValueProblem)
    /// One series twice on the page with two different values.
    case conflictingDuplicate(line: Int, firstLine: Int, series: CounterSeries)

    public var line: Int {
        switch self {
        case let .syntax(error): error.line
        case let .invalidValue(line, _, _, _), let .conflictingDuplicate(line, _, _): line
        }
    }

    public var description: String {
        switch self {
        case let .syntax(error):
            "\(error)"
        case let .invalidValue(line, series, value, problem):
            "line \(line): \(series) value \(value) \(problem.rawValue)"
        case let .conflictingDuplicate(line, firstLine, series):
            "line \(line): \(series) appears again with another value than on line \(firstLine)"
        }
    }
}
