/// TLS for every connection to one cluster: whose certificates to trust, the client identity
/// for mTLS, and hostname verification, which is always on. Built once per cluster from PEM
/// text (read from env vars by the config), so every broker connection shares one
/// `NIOSSLContext`. Keeps no PEM text: the key lives only inside that context.
import NIOCore
import NIOSSL

public struct TLSSettings: Sendable, Equatable, CustomStringConvertible {
    /// Whose signature makes a broker certificate trusted.
    public enum TrustRoots: Sendable, Equatable, CustomStringConvertible {
        case system
        /// The CA certificates given as PEM (`tls_ca_cert_env`), and only those.
        case configuredCA(certificates: Int)

        public var description: String {
            switch self {
            case .system: "the system trust store"
            case .configuredCA(let count): count == 1 ? "the configured CA certificate" : "the \(count) configured CA certificates"
            }
        }
    }

    /// "source" or "destination": named in every TLS error.
    public let cluster: String
    public let trustRoots: TrustRoots
    public let presentsClientCertificate: Bool
    let context: NIOSSLContext

    /// `caPEM` nil trusts the system store. A client certificate (chain, leaf first) and its
    /// key go together. Errors say which input is wrong and why, never what it contains.
    public init(cluster: String, caPEM: String? = nil, clientCertificatePEM: String? = nil,
                clientKeyPEM: String? = nil) throws(TLSSettingsError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        configuration.minimumTLSVersion = .tlsv12
        // Closing a connection waits for the broker's close_notify up to this long. A broker
        // that stopped answering would otherwise hold a read (which discards a timed-out
        // connection) for swift-nio-ssl's default 5 s, past its request_timeout.
        configuration.shutdownTimeout = .milliseconds(100)
        if let caPEM {
            let roots = try Self.certificates(caPEM, input: .caCertificate, cluster: cluster)
            configuration.trustRoots = .certificates(roots)
            trustRoots = .configuredCA(certificates: roots.count)
        } else {
            configuration.trustRoots = .default
            trustRoots = .system
        }
        switch (clientCertificatePEM, clientKeyPEM) {
        case (nil, nil):
            presentsClientCertificate = false
        case (let certificatePEM?, let keyPEM?):
            let chain = try Self.certificates(certificatePEM, input: .clientCertificate, cluster: cluster)
            let key: NIOSSLPrivateKey
            do {
                key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
            } catch {
                throw TLSSettingsError(cluster: cluster, input: .clientKey, problem: .notAPrivateKey)
            }
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(key)
            presentsClientCertificate = true
        case (_?, nil):
            throw TLSSettingsError(cluster: cluster, input: .clientKey, problem: .missing)
        case (nil, _?):
            throw TLSSettingsError(cluster: cluster, input: .clientCertificate, problem: .missing)
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch NIOSSLError.failedToLoadPrivateKey where presentsClientCertificate {
            // Certificate and key each parsed; BoringSSL refuses their combination.
            throw TLSSettingsError(cluster: cluster, input: .clientKey, problem: .notTheCertificatesKey)
        } catch {
            throw TLSSettingsError(cluster: cluster, input: presentsClientCertificate ? .clientKey : .caCertificate,
                                   problem: .rejected(Self.errorCodes(error)))
        }
        self.cluster = cluster
    }

    /// The SNI name and the name the certificate must carry: the broker's hostname. An IP
    /// address goes in no SNI (TLS forbids it); swift-nio-ssl then checks the certificate's
    /// IP SANs against the address connected to.
    static func serverName(for host: String) -> String? {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if (try? SocketAddress(ipAddress: bare, port: 0)) != nil { return nil }
        return host
    }

    public var description: String {
        "TLS to the \(cluster) cluster, trusting \(trustRoots)" + (presentsClientCertificate ? ", with a client certificate" : "")
    }

    /// Settings are the same when they share one context: two loads of the same PEM build two.
    public static func == (lhs: TLSSettings, rhs: TLSSettings) -> Bool {
        lhs.context === rhs.context
    }

    private static func certificates(_ pem: String, input: TLSSettingsError.Input, cluster: String) throws(TLSSettingsError) -> [NIOSSLCertificate] {
        guard pem.contains("-----BEGIN CERTIFICATE-----") else {
            throw TLSSettingsError(cluster: cluster, input: input, problem: .noCertificate)
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
        } catch {
            throw TLSSettingsError(cluster: cluster, input: input, problem: .unparsableCertificate)
        }
        guard !certificates.isEmpty else {
            throw TLSSettingsError(cluster: cluster, input: input, problem: .noCertificate)
        }
        return certificates
    }

    /// BoringSSL's reason names (e.g. `KEY_VALUES_MISMATCH`): they say what failed and carry
    /// nothing of the inputs.
    static func errorCodes(_ error: any Error) -> String {
        let text = "\(error)"
        var names: [String] = []
        for match in text.matches(of: /OPENSSL_internal:([A-Z0-9_]+)/) where !names.contains(String(match.output.1)) {
            names.append(String(match.output.1))
        }
        // Without reason names (swift-nio-ssl's own errors), its description, less source paths.
        return names.isEmpty ? text.replacing(/\s+at \/[^\s\])]+/, with: "") : names.joined(separator: ", ")
    }
}

/// A TLS input that cannot be used, found when the settings are built (at config load).
public struct TLSSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Input: Sendable, Equatable, CustomStringConvertible {
        case caCertificate, clientCertificate, clientKey
        public var description: String {
            switch self {
            case .caCertificate: "CA certificate"
            case .clientCertificate: "client certificate"
            case .clientKey: "client private key"
            }
        }
    }

    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        case missing
        case noCertificate
        case unparsableCertificate
        case notAPrivateKey
        case notTheCertificatesKey
        case rejected(String)

        public var description: String {
            switch self {
            case .missing: "is missing (a client certificate and its key go together)"
            case .noCertificate: "holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)"
            case .unparsableCertificate: "holds a PEM block that is not a valid X.509 certificate"
            case .notAPrivateKey: "is not an unencrypted PEM private key"
            case .notTheCertificatesKey: "is not the private key of the client certificate"
            case .rejected(let reason): "is refused by the TLS library (\(reason))"
            }
        }
    }

    public var cluster: String
    public var input: Input
    public var problem: Problem

    public var description: String { "\(cluster) cluster TLS: the \(input) \(problem)" }
}
