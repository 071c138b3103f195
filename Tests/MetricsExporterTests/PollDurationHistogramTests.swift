/// Bucket placement of poll durations.
import Testing
@testable import MetricsExporter

@Suite struct PollDurationHistogramTests {
    @Test func boundsAreInclusiveAndOverflowGoesToInf() {
        var histogram = PollDurationHistogram(upperBounds: [0.1, 1])
        histogram.observe(seconds: 0.1)
        histogram.observe(seconds: 0.5)
        histogram.observe(.seconds(90))
        #expect(histogram.bucketCounts == [1, 1, 1])
        #expect(histogram.cumulativeBuckets.map(\.count) == [1, 2])
        #expect(histogram.count == 3)
        #expect(abs(histogram.sum - 90.6) < 1e-9)
    }

    @Test func durationsKeepSubsecondPrecision() {
        var histogram = PollDurationHistogram()
        histogram.observe(.milliseconds(250))
        #expect(histogram.sum == 0.25)
        #expect(histogram.cumulativeBuckets.first { $0.upperBound == 0.25 }?.count == 1)
    }
}
