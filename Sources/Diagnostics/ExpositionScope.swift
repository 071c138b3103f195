/// Reading a page strictly for a few metric families and tolerantly for everything else: what
/// an agent's page needs, since its library writes hundreds of families exporterd never reads
/// and a flaw in one of those must not blind the proxied accounting (issue 8 item 3).

/// The families a scoped parse reads.
public struct ExpositionScope: Sendable, Equatable {
    /// Names whose lines (samples, `# TYPE`, `# HELP`) must parse: an error on one of them
    /// fails the page.
    public var strictNames: Set<String>
    /// Names whose samples are kept when they parse and skipped like any other line when
    /// they do not (e.g. `process_start_time_seconds`).
    public var lenientNames: Set<String>

    public init(strictNames: Set<String>, lenientNames: Set<String> = []) {
        self.strictNames = strictNames
        self.lenientNames = lenientNames
    }
}

/// One sample and the line it was on, so a later check can name the line.
public struct NumberedSample: Sendable, Equatable {
    public var sample: Sample
    public var line: Int

    public init(_ sample: Sample, line: Int) {
        self.sample = sample
        self.line = line
    }
}

/// What a scoped parse kept.
public struct ScopedExposition: Sendable, Equatable {
    /// Samples of the scope's names, in page order. `_created` samples are kept: whether a
    /// name counts is the reader's business.
    public var samples: [NumberedSample] = []
    /// `# TYPE` of the strict names.
    public var types: [String: MetricType] = [:]
    public var sawEOF = false
    /// Lines outside the strict names that did not parse, and the first of them.
    public var skippedLines = 0
    public var firstSkipped: ExpositionError?

    public init() {}
}
