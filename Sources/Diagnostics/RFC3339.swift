/// The one RFC 3339 reader and writer for every timestamp exporterd prints or reads: event
/// times, `since`, the status API, stored documents. One place, so the API, the store and the
/// event stream can never disagree on a millisecond.
import Foundation

public enum RFC3339 {
    /// Reads RFC 3339 times (`2026-11-24T10:05:00Z`, `…00.123+01:00`): fractional seconds
    /// optional, any offset, `T`/`Z` in either case. A hand-written reader: a state document
    /// carries one `since` per topic, and Foundation's formatter took ~0.1 ms per call, 11 s
    /// for a 100,000-topic document.
    public static func date(from text: String) -> Date? {
        var text = text
        return text.withUTF8 { date(utf8: $0) }
    }

    /// The same on the bytes of a time as written (the state document's reader has no text).
    static func date(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        var reader = RFC3339Reader(bytes: bytes)
        return reader.date()
    }

    /// UTC, always three fractional digits (`2026-11-24T10:05:00.123Z`). Rounded to the nearest
    /// millisecond in integers: the formatter truncates, and 10:05:00.123 held in a Double is
    /// 10:05:00.12299…, which it would print as .122.
    public static func string(from date: Date) -> String {
        let scaled = (date.timeIntervalSince1970 * 1000).rounded()
        // A date no calendar prints (beyond ±292 million years) must not trap: clamp it.
        let milliseconds = Int64(exactly: scaled) ?? (scaled < 0 ? -253_402_300_800_000 : 253_402_300_799_999)
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (wholeSeconds, millis) = fraction < 0 ? (seconds - 1, fraction + 1000) : (seconds, fraction)
        let base = Date(timeIntervalSince1970: TimeInterval(wholeSeconds)).formatted(secondsStyle)  // "…T10:05:00Z"
        return base.dropLast() + "." + String(millis + 1000).dropFirst() + "Z"
    }

    private static let secondsStyle = Date.ISO8601FormatStyle(timeZone: .gmt)
}

/// RFC 3339 §5.6 `date-time`, read byte by byte.
private struct RFC3339Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func date() -> Date? {
        guard let year = digits(4), literal("-"), let month = digits(2), literal("-"), let day = digits(2),
              literal("T") || literal("t"),
              let hour = digits(2), literal(":"), let minute = digits(2), literal(":"), let second = digits(2)
        else { return nil }
        guard (1...12).contains(month), (1...Self.days(inMonth: month, of: year)).contains(day),
              hour <= 23, minute <= 59, second <= 60  // 60: a leap second, as RFC 3339 allows
        else { return nil }
        // Milliseconds, further digits dropped: every time exporterd writes has milliseconds,
        // and so did the formatter this reader replaced (stored `since` values compare equal).
        var milliseconds = 0
        if literal(".") {
            let start = position
            while position < bytes.count, let digit = Self.digit(bytes[position]) {
                if position - start < 3 { milliseconds = milliseconds * 10 + digit }
                position += 1
            }
            guard position > start else { return nil }
            for _ in min(position - start, 3)..<3 { milliseconds *= 10 }
        }
        var offsetSeconds = 0
        if literal("Z") || literal("z") {
            // UTC
        } else if let sign = sign(), let offsetHours = digits(2), literal(":"), let offsetMinutes = digits(2),
                  offsetHours <= 23, offsetMinutes <= 59 {
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard position == bytes.count else { return nil }
        let seconds = Self.daysSince1970(year: year, month: month, day: day) * 86_400
            + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1000)
    }

    private mutating func digits(_ count: Int) -> Int? {
        guard position + count <= bytes.count else { return nil }
        var value = 0
        for _ in 0..<count {
            guard let digit = Self.digit(bytes[position]) else { return nil }
            value = value * 10 + digit
            position += 1
        }
        return value
    }

    private mutating func literal(_ character: Unicode.Scalar) -> Bool {
        guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
        position += 1
        return true
    }

    private mutating func sign() -> Int? {
        if literal("+") { return 1 }
        if literal("-") { return -1 }
        return nil
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte &- UInt8(ascii: "0")) : nil
    }

    private static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    private static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
