/// Reads a request's `Accept-Encoding` to decide whether `/metrics` goes out gzip-compressed
/// (RFC 9110 §12.5.3: codings with optional `q` weights; `q=0` means "not acceptable").
enum AcceptEncoding {
    /// True when one of the header values lists `gzip` (or `x-gzip`, its old alias) with a
    /// non-zero weight. A `*` is not taken as a request for gzip: Prometheus always names gzip,
    /// and an uncompressed answer is never wrong.
    static func allowsGzip(_ headerValues: [String]) -> Bool {
        for value in headerValues {
            for element in value.split(separator: ",") {
                let parts = element.split(separator: ";")
                guard let coding = parts.first?.trimmingSpaces().lowercased(),
                    coding == "gzip" || coding == "x-gzip"
                else { continue }
                if weight(parts.dropFirst()) > 0 { return true }
            }
        }
        return false
    }

    /// The `q` parameter, 1 when absent; an unreadable weight counts as 0 so a garbled
    /// header falls back to the plain page.
    private static func weight(_ parameters: ArraySlice<Substring>) -> Double {
        for parameter in parameters {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingSpaces().lowercased() == "q" else { continue }
            return Double(pair[1].trimmingSpaces()) ?? 0
        }
        return 1
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return self[start...end]
    }
}
