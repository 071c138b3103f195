/// Why a TLS connection to a broker failed, in the operator's terms (untrusted certificate,
/// wrong hostname, client certificate refused), read from what swift-nio-ssl reports. Carries
/// BoringSSL reason names and host names only: never certificate contents or key material.
import NIOSSL

public enum TLSFailure: Sendable, Equatable, CustomStringConvertible {
    /// The broker's certificate chain does not lead to a trusted root (or is expired, or
    /// otherwise invalid).
    case untrustedCertificate(trustRoots: TLSSettings.TrustRoots)
    /// The certificate is trusted but names neither the host we connected to (DNS SAN) nor,
    /// for an IP address, that address (IP SAN).
    case hostnameMismatch(host: String)
    /// The broker ended the handshake over our client certificate: none was sent and it
    /// requires one, or it does not trust the one we sent.
    case clientCertificateRefused(presented: Bool, alert: String)
    /// The peer does not speak TLS on this port (a plaintext listener, usually).
    case notTLS
    /// The broker closed the connection before the handshake ended.
    case closedDuringHandshake
    /// The broker accepted the TCP connection but the handshake did not end in time.
    case handshakeTimedOut(after: Duration)
    case handshakeFailed(reason: String)

    public var description: String {
        switch self {
        case .untrustedCertificate(let roots): "the broker's certificate is not trusted by \(roots)"
        case .hostnameMismatch(let host): "the broker's certificate is not valid for \(host) (hostname verification)"
        case .clientCertificateRefused(false, let alert): "the broker requires a client certificate (mTLS) and none is configured (\(alert))"
        case .clientCertificateRefused(true, let alert): "the broker refused the client certificate (\(alert))"
        case .notTLS: "the broker did not answer in TLS (is this a plaintext listener?)"
        case .closedDuringHandshake: "the broker closed the connection during the TLS handshake"
        case .handshakeTimedOut(let timeout): "the TLS handshake did not complete within \(timeout)"
        case .handshakeFailed(let reason): "TLS handshake failed: \(reason)"
        }
    }

    /// Maps an error swift-nio-ssl raised on a connection to `host`; nil for errors that are
    /// not about TLS.
    static func classify(_ error: any Error, host: String, settings: TLSSettings) -> TLSFailure? {
        if let extra = error as? NIOSSLExtraError {
            if extra == .failedToValidateHostname { return .hostnameMismatch(host: host) }
            return .handshakeFailed(reason: "\(extra)")
        }
        let reasons: String
        switch error {
        case let error as NIOSSLError:
            if case .uncleanShutdown = error { return nil }
            reasons = TLSSettings.errorCodes(error)
        case let error as BoringSSLError:
            reasons = TLSSettings.errorCodes(error)
        default:
            return nil
        }
        if reasons.contains("EOF during handshake") { return .closedDuringHandshake }
        if reasons.contains("CERTIFICATE_VERIFY_FAILED") { return .untrustedCertificate(trustRoots: settings.trustRoots) }
        if reasons.contains("WRONG_VERSION_NUMBER") || reasons.contains("PACKET_LENGTH_TOO_LONG") { return .notTLS }
        let clientCertificateAlerts = ["CERTIFICATE_REQUIRED", "BAD_CERTIFICATE", "UNKNOWN_CA", "CERTIFICATE_UNKNOWN",
                                       "ALERT_HANDSHAKE_FAILURE", "UNSUPPORTED_CERTIFICATE", "CERTIFICATE_EXPIRED",
                                       "ALERT_ACCESS_DENIED", "DECRYPT_ERROR"]
        if reasons.contains("ALERT"), clientCertificateAlerts.contains(where: reasons.contains) {
            return .clientCertificateRefused(presented: settings.presentsClientCertificate, alert: reasons)
        }
        return .handshakeFailed(reason: reasons)
    }

    /// A later error may say more than the first: a close during the handshake is often
    /// followed by the reason the peer's bytes did not parse.
    var isGeneric: Bool {
        switch self {
        case .closedDuringHandshake, .handshakeFailed: true
        default: false
        }
    }
}
