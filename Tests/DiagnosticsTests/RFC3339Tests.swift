/// The one RFC 3339 formatter: milliseconds rounded, UTC, and no trap on absurd dates.
import Diagnostics
import Foundation
import Testing

@Suite struct RFC3339Tests {
    @Test(arguments: [
        (1_795_514_700.123, "2026-11-24T10:05:00.123Z"),
        (1_795_514_700.0, "2026-11-24T10:05:00.000Z"),
        (1_795_514_700.9996, "2026-11-24T10:05:01.000Z"),  // rounds into the next second
        (0.001, "1970-01-01T00:00:00.001Z"),
        (-0.5, "1969-12-31T23:59:59.500Z"),
    ])
    func rendersMillisecondsInUTC(seconds: Double, expected: String) {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test func readsWhatItWritesAndOtherOffsets() {
        let date = Date(timeIntervalSince1970: 1_795_514_700.123)
        #expect(RFC3339.date(from: RFC3339.string(from: date)).map { abs($0.timeIntervalSince(date)) < 0.0005 } == true)
        #expect(RFC3339.date(from: "2026-11-24T11:05:00+01:00") == Date(timeIntervalSince1970: 1_795_514_700))
        #expect(RFC3339.date(from: "2026-11-24 10:05") == nil)
    }

    @Test func absurdDatesDoNotTrap() {
        #expect(!RFC3339.string(from: Date(timeIntervalSince1970: 1e300)).isEmpty)
        #expect(!RFC3339.string(from: Date(timeIntervalSince1970: -1e300)).isEmpty)
        #expect(!RFC3339.string(from: .distantFuture).isEmpty)
    }
}
