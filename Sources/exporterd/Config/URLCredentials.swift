/// Credentials written into a URL (`https://user:secret@host/…`): found without trusting a URL
/// parser (a malformed URL must be caught too), and blanked out of anything shown.
enum URLCredentials {
    /// The authority part: between `scheme://` and the first `/`, `?` or `#`.
    private static func authorityRange(_ url: String) -> Range<String.Index>? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let end = rest.firstIndex(where: { "/?#".contains($0) }) ?? url.endIndex
        return schemeEnd.upperBound..<end
    }

    static func contains(_ url: String) -> Bool {
        guard let authority = authorityRange(url) else { return false }
        return url[authority].contains("@")
    }

    /// `url` with everything before the authority's last `@` replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard let authority = authorityRange(url), let at = url[authority].lastIndex(of: "@") else { return url }
        return String(url[..<authority.lowerBound]) + "***" + String(url[at...])
    }
}
