/// The value behind `kafka_migration_poll_duration_seconds{cluster}`: a fixed-bucket histogram
/// the poll loop feeds one observation per poll cycle and copies into each `MetricsSnapshot`.
public struct PollDurationHistogram: Sendable, Hashable {
    /// Upper bounds in seconds. A healthy poll of a few thousand partitions takes tens of
    /// milliseconds; the default poll interval is 5 s and network steps time out after a few
    /// seconds, so the buckets are dense below a second and reach past a hung broker's timeout.
    public static let defaultUpperBounds: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    public let upperBounds: [Double]
    /// Observations per bucket, not cumulative; the last entry is the +Inf bucket's own.
    public private(set) var bucketCounts: [UInt64]
    public private(set) var sum: Double
    public private(set) var count: UInt64

    /// `upperBounds` must be strictly increasing and finite (+Inf is always added).
    public init(upperBounds: [Double] = Self.defaultUpperBounds) {
        precondition(zip(upperBounds, upperBounds.dropFirst()).allSatisfy { $0 < $1 }, "bounds must increase")
        precondition(upperBounds.allSatisfy(\.isFinite), "+Inf is implicit")
        self.upperBounds = upperBounds
        self.bucketCounts = Array(repeating: 0, count: upperBounds.count + 1)
        self.sum = 0
        self.count = 0
    }

    public mutating func observe(seconds: Double) {
        // `le` is inclusive: an observation equal to a bound belongs to that bucket.
        let index = upperBounds.firstIndex { seconds <= $0 } ?? upperBounds.count
        bucketCounts[index] += 1
        sum += seconds
        count += 1
    }

    public mutating func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        observe(seconds: Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// (upper bound, cumulative count) per finite bucket, as `_bucket{le}` shows them; the
    /// +Inf bucket equals `count`.
    public var cumulativeBuckets: [(upperBound: Double, count: UInt64)] {
        var running: UInt64 = 0
        return zip(upperBounds, bucketCounts).map { bound, inBucket in
            running += inBucket
            return (bound, running)
        }
    }
}
