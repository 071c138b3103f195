/// What a parsed Prometheus / OpenMetrics text page holds: its samples and the metadata
/// exporterd uses from it (types, to recognise counters written OpenMetrics style).
public struct Exposition: Sendable, Equatable {
    public var samples: [Sample]
    /// Metric family name (as on the `# TYPE` line) → type.
    public var types: [String: MetricType]
    /// Metric family name → unescaped `# HELP` text.
    public var help: [String: String]
    /// The page ended with OpenMetrics' `# EOF`.
    public var sawEOF: Bool

    public init(samples: [Sample] = [], types: [String: MetricType] = [:], help: [String: String] = [:], sawEOF: Bool = false) {
        self.samples = samples
        self.types = types
        self.help = help
        self.sawEOF = sawEOF
    }
}

/// One sample line.
public struct Sample: Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var value: Double
    /// As written: milliseconds in text format 0.0.4, seconds in OpenMetrics.
    public var timestamp: Double?

    public init(name: String, labels: [String: String] = [:], value: Double, timestamp: Double? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }

    /// Equal when names, labels and timestamps are equal and values are equal or both NaN
    /// (a page's NaN is the same NaN every time it is read).
    public static func == (lhs: Sample, rhs: Sample) -> Bool {
        lhs.name == rhs.name && lhs.labels == rhs.labels && lhs.timestamp == rhs.timestamp
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
    }
}

/// A `# TYPE` line's type: text format 0.0.4's five plus OpenMetrics' additions.
public enum MetricType: String, Sendable, CaseIterable {
    case counter, gauge, histogram, summary, untyped
    case unknown, gaugehistogram, info, stateset

    /// Types whose OpenMetrics families carry a `<name>_created` sample.
    var hasCreatedSample: Bool {
        switch self {
        case .counter, .histogram, .summary, .gaugehistogram: true
        default: false
        }
    }
}
