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

/// The hand-written reader agrees with Foundation's ISO 8601 formatter (the reader it replaced)
/// on every valid time, to the bit (milliseconds, as the formatter kept), and refuses what the
/// grammar refuses.
@Suite struct RFC3339ReaderTests {
    private func foundation(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    @Test func agreesWithFoundationOnGeneratedTimes() {
        // A fixed generator: the same 3,000 times on every run, leap days and offsets included.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let fractions = ["", ".0", ".5", ".05", ".123", ".999", ".9999", ".000001", ".1234567"]
        for _ in 0..<3_000 {
            let year = 1900 + next(300), month = 1 + next(12)
            // Valid calendar days only: Foundation rolls 2026-02-29 over to 1 March, which the
            // reader refuses (refusesWhatTheGrammarRefuses).
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let day = 1 + next(month == 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].contains(month) ? 30 : 31)
            let offset = next(3) == 0 ? "Z" : String(format: "%@%02d:%02d", next(2) == 0 ? "+" : "-", next(15), [0, 30, 45][next(3)])
            let text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, next(24), next(60), next(60))
                + fractions[next(fractions.count)] + offset
            #expect(RFC3339.date(from: text) == foundation(text), "\(text)")
        }
    }

    @Test(arguments: [
        "2026-11-24 10:05:00Z", "2026-11-24T10:05Z", "2026-11-24T10:05:00", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T10:60:00Z",
        "2026-11-24T10:05:00.Z", "2026-11-24T10:05:00+0100", "2026-11-24T10:05:00+24:00", "26-11-24T10:05:00Z",
        "2026-11-24T10:05:00Z ", " 2026-11-24T10:05:00Z", "2026-11-24T10:05:00ZZ", "", "２０２６-11-24T10:05:00Z",
    ])
    func refusesWhatTheGrammarRefuses(text: String) {
        #expect(RFC3339.date(from: text) == nil)
    }

    @Test func acceptsLowercaseSeparatorsAndLeapDays() {
        #expect(RFC3339.date(from: "2026-11-24t10:05:00z") == RFC3339.date(from: "2026-11-24T10:05:00Z"))
        #expect(RFC3339.date(from: "2024-02-29T00:00:00Z") == Date(timeIntervalSince1970: 1_709_164_800))
        #expect(RFC3339.date(from: "2000-02-29T00:00:00Z") != nil)
        #expect(RFC3339.date(from: "1900-02-29T00:00:00Z") == nil)
    }
}
