/// The users of `web_config_file`'s `basic_auth_users` (Prometheus web-config shape: user name →
/// bcrypt hash) and the check of one `Authorization: Basic` header against them.
///
/// bcrypt is slow on purpose (~50-100 ms at cost 10), and Prometheus sends the same credentials
/// on every scrape, so a successful check is remembered: by the SHA-256 of user, password and
/// hash, never the password itself, in a small bounded set compared in constant time. A wrong
/// password is never remembered, so every guess pays the full bcrypt cost. At most
/// `verificationLimit` bcrypt checks wait or run at once; past that a request that is not
/// remembered is refused without one, so a flood of guesses queues no unbounded work (and
/// remembered scrapes never wait behind it).
import Crypto
import Foundation
import HummingbirdBcrypt
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

public final class BasicAuthUsers: Sendable {
    /// User name → bcrypt hash.
    public let hashes: [String: String]
    /// Verified credentials kept at most; past it the oldest is forgotten (and re-verified on
    /// its next use). A few scrapers and browsers need a handful.
    public let cacheLimit: Int
    public let verificationLimit: Int
    private let verifying = NIOLockedValueBox(0)
    private let verified = NIOLockedValueBox<[[UInt8]]>([])
    /// Checked when the user is unknown, so an unknown user costs the same bcrypt round as a
    /// known one and the timing does not tell which user names exist.
    private let decoyHash: String

    public init(hashes: [String: String], cacheLimit: Int = 64, verificationLimit: Int = 16) {
        self.hashes = hashes
        self.cacheLimit = cacheLimit
        self.verificationLimit = verificationLimit
        self.decoyHash = hashes.values.first ?? Bcrypt.hash("exporterd decoy", cost: 4)
    }

    /// Whether `authorization` (the header's value) names a user with the right password.
    public func allows(authorization: String?) async -> Bool {
        guard let authorization, let (user, password) = Self.basicCredentials(authorization) else { return false }
        let hash = hashes[user]
        let key = Array(SHA256.hash(data: Data("\(user)\u{0}\(password)\u{0}\(hash ?? "")".utf8)))
        if hash != nil, isRemembered(key) { return true }
        let checked = hash ?? decoyHash
        let admitted = verifying.withLockedValue { count in
            guard count < verificationLimit else { return false }
            count += 1
            return true
        }
        guard admitted else { return false }
        defer { verifying.withLockedValue { $0 -= 1 } }
        // Off the cooperative pool: a burst of wrong guesses must not stall the scrapes' tasks.
        let matches = (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: checked) }) ?? false
        guard hash != nil, matches else { return false }
        remember(key)
        return true
    }

    /// Verified credentials currently remembered.
    var rememberedCount: Int { verified.withLockedValue { $0.count } }

    private func isRemembered(_ key: [UInt8]) -> Bool {
        verified.withLockedValue { entries in
            // Every entry compared whole, whatever matches: no early exit on the secret's digest.
            var found = false
            for entry in entries where Self.constantTimeEqual(entry, key) { found = true }
            return found
        }
    }

    private func remember(_ key: [UInt8]) {
        verified.withLockedValue { entries in
            if entries.contains(where: { Self.constantTimeEqual($0, key) }) { return }
            entries.append(key)
            if entries.count > cacheLimit { entries.removeFirst(entries.count - cacheLimit) }
        }
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) { difference |= a ^ b }
        return difference == 0
    }

    /// `Basic base64(user:password)` split at the first colon (RFC 7617), or nil when malformed.
    static func basicCredentials(_ header: String) -> (String, String)? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
