/// A small writer for the Prometheus text exposition format 0.0.4: HELP/TYPE lines, sample lines,
/// label-value escaping and number formatting, straight into a byte array.
///
/// Why not swift-prometheus (2.4.1)? Its `PrometheusCollectorRegistry` is built for code that
/// instruments itself: long-lived `Counter`/`Gauge` objects that are incremented or set in place.
/// exporterd is snapshot-driven instead — every poll replaces the whole picture — and that
/// fits the registry badly:
/// - its `Counter` only goes up by increments, while our counters arrive as absolute,
///   persisted totals (we would have to diff every counter against the registry's value);
/// - a topic that stops being watched must lose all its series, which means tracking and
///   unregistering some 20 metric objects per topic ourselves;
/// - `emit` walks dictionaries, so the page order changes from run to run and a golden file
///   cannot be compared byte for byte;
/// - setting ~200,000 series through a lock per poll, then emitting, costs more than writing
///   the page once from a value.
/// Rendering straight from `MetricsSnapshot` makes the page a pure function of the snapshot:
/// deterministic, with nothing to unregister, and cheap (see Benchmarks/MetricsRenderBenchmark).
enum MetricType: String {
    case counter, gauge, histogram
}

/// One metric family's fixed description: name, type and HELP text.
struct MetricFamily {
    let name: String
    let type: MetricType
    let help: String
    /// The name as bytes, converted once: it starts each of up to 100,000 lines.
    let nameBytes: [UInt8]

    init(name: String, type: MetricType, help: String) {
        self.name = name
        self.type = type
        self.help = help
        self.nameBytes = Array(name.utf8)
    }
}

/// A label pair `name="value"` rendered once, escaped, and reused on every line that carries it.
struct LabelPair {
    let bytes: [UInt8]

    init(_ name: String, _ value: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count + value.utf8.count + 3)
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: "="))
        bytes.append(UInt8(ascii: "\""))
        ExpositionWriter.appendEscapedLabelValue(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        self.bytes = bytes
    }
}

struct ExpositionWriter {
    private(set) var bytes: [UInt8] = []
    /// The family whose HELP/TYPE lines wait for its first sample: a family with no sample
    /// (partition lags switched off, every topic COMPLETE) leaves no trace on the page.
    private var pendingHeader: MetricFamily?

    init(reservingCapacity capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Starts a family; every sample of it must follow before the next `begin`.
    mutating func begin(_ family: MetricFamily) {
        pendingHeader = family
    }

    private mutating func writePendingHeader() {
        guard let family = pendingHeader else { return }
        pendingHeader = nil
        header(family)
    }

    private mutating func header(_ family: MetricFamily) {
        append("# HELP ")
        append(family.name)
        append(" ")
        // HELP text escapes only backslash and line feed (quotes stay as they are).
        for byte in family.help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            default: bytes.append(byte)
            }
        }
        append("\n# TYPE ")
        append(family.name)
        append(" ")
        append(family.type.rawValue)
        bytes.append(UInt8(ascii: "\n"))
    }

    // MARK: Samples. Overloads by label count rather than variadics, so a sample line allocates nothing.

    mutating func sample(_ name: [UInt8], _ value: SampleValue) {
        writePendingHeader()
        bytes.append(contentsOf: name)
        bytes.append(UInt8(ascii: " "))
        finish(value)
    }

    mutating func sample(_ name: [UInt8], _ label: LabelPair, _ value: SampleValue) {
        writePendingHeader()
        bytes.append(contentsOf: name)
        bytes.append(UInt8(ascii: "{"))
        bytes.append(contentsOf: label.bytes)
        bytes.append(UInt8(ascii: "}"))
        bytes.append(UInt8(ascii: " "))
        finish(value)
    }

    mutating func sample(_ name: [UInt8], _ first: LabelPair, _ second: LabelPair, _ value: SampleValue) {
        writePendingHeader()
        bytes.append(contentsOf: name)
        bytes.append(UInt8(ascii: "{"))
        bytes.append(contentsOf: first.bytes)
        bytes.append(UInt8(ascii: ","))
        bytes.append(contentsOf: second.bytes)
        bytes.append(UInt8(ascii: "}"))
        bytes.append(UInt8(ascii: " "))
        finish(value)
    }

    /// A sample whose second label is an integer (a partition number), written without
    /// building a `LabelPair` for each of up to 100,000 partitions.
    mutating func sample(
        _ name: [UInt8], _ first: LabelPair, integerLabel: String, _ labelValue: Int64, _ value: SampleValue
    ) {
        writePendingHeader()
        bytes.append(contentsOf: name)
        bytes.append(UInt8(ascii: "{"))
        bytes.append(contentsOf: first.bytes)
        bytes.append(UInt8(ascii: ","))
        append(integerLabel)
        append("=\"")
        appendInteger(labelValue)
        append("\"} ")
        finish(value)
    }

    private mutating func finish(_ value: SampleValue) {
        switch value {
        case .integer(let integer): appendInteger(integer)
        case .double(let double): appendDouble(double)
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    // MARK: Bytes

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Decimal digits without going through `String`, since most of the page is integers:
    /// appended least significant first, then turned around in place.
    private mutating func appendInteger(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // Magnitude as UInt64 so Int64.min does not overflow.
        var magnitude = value.magnitude
        let start = bytes.endIndex
        repeat {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// Go's ParseFloat (what Prometheus uses) reads Swift's shortest round-trip form, except
    /// for the special values, which the format spells `NaN`, `+Inf` and `-Inf`. Whole numbers
    /// (timestamps, counters kept as Double) are written without a trailing `.0`.
    private mutating func appendDouble(_ value: Double) {
        if value.isNaN {
            append("NaN")
        } else if value.isInfinite {
            append(value > 0 ? "+Inf" : "-Inf")
        } else if value == value.rounded(), value.magnitude < 1e15 {
            appendInteger(Int64(value))
        } else {
            append(value.description)
        }
    }

    /// Label values escape backslash, double quote and line feed (format 0.0.4); everything
    /// else, any UTF-8 included, is written as it is.
    static func appendEscapedLabelValue(_ value: String, to bytes: inout [UInt8]) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            default: bytes.append(byte)
            }
        }
    }
}

/// A sample's value: integers are kept exact rather than passed through Double.
enum SampleValue {
    case integer(Int64)
    case double(Double)

    static func flag(_ on: Bool) -> SampleValue { .integer(on ? 1 : 0) }
    static func count(_ value: Int) -> SampleValue { .integer(Int64(value)) }
    static func count(_ value: UInt64) -> SampleValue { .integer(Int64(clamping: value)) }
}
