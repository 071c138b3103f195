/// The one RFC 3339 reader and writer for every timestamp exporterd prints or reads: event
/// times, `since`, the status API, stored documents. One place, so the API, the store and the
/// event stream can never disagree on a millisecond.
import Foundation

public enum RFC3339 {
    /// Reads RFC 3339 times with or without fractional seconds, any offset.
    public static func date(from text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
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
