/// `web_config_file` (CONTRACT §2): the exporter's own HTTP protection in the shape of
/// Prometheus' `web-config.yml` — `tls_server_config` (`cert_file`, `key_file`, optional
/// `client_ca_file` and `client_auth_type`) and `basic_auth_users` (user: bcrypt hash) — so
/// operators reuse the file their other exporters read. Read and checked at load (every
/// certificate and key parsed, a TLS context made), so a bad file is a config error, exit 2.
/// The file is read once; a changed file takes effect at the next start.
import Foundation
import MetricsExporter
import NIOSSL

struct WebConfig: Equatable {
    enum ClientAuth: String, Equatable {
        case none = "NoClientCert"
        case verifyIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerify = "RequireAndVerifyClientCert"
    }

    struct TLSServer: Equatable {
        var certFile: String
        var keyFile: String
        var clientCAFile: String?
        var clientAuth: ClientAuth = .none
    }

    var file: String
    var tls: TLSServer?
    /// User name → bcrypt hash; empty serves without authentication.
    var basicAuthUsers: [String: String] = [:]

    /// A certificate or key file is a few KiB; the cap keeps a wrong path from being read whole.
    static let pemLimit = 1024 * 1024

    static func parse(yaml: String, file: String, baseDirectory: URL) throws(ConfigError) -> WebConfig {
        do {
            return try parseFields(yaml: yaml, file: file, baseDirectory: baseDirectory)
        } catch {
            throw .webConfig(file: file, ConfigErrorBox(error))
        }
    }

    private static func parseFields(yaml: String, file: String, baseDirectory: URL) throws(ConfigError) -> WebConfig {
        var root = try ConfigNode.parse(yaml: yaml, file: file)
        var config = WebConfig(file: file)
        var tlsNode = try root.child("tls_server_config")
        if tlsNode.isPresent {
            let cert = try tlsNode.child("cert_file").requiredString()
            let key = try tlsNode.child("key_file").requiredString()
            let clientCA = try tlsNode.child("client_ca_file").string()
            let authNode = try tlsNode.child("client_auth_type")
            let auth = try authNode.oneOf([
                "NoClientCert": ClientAuth.none, "VerifyClientCertIfGiven": .verifyIfGiven,
                "RequireAndVerifyClientCert": .requireAndVerify,
            ])
            try tlsNode.finish()
            var server = TLSServer(
                certFile: ConfigLoader.resolve(cert, against: baseDirectory),
                keyFile: ConfigLoader.resolve(key, against: baseDirectory),
                clientCAFile: clientCA.map { ConfigLoader.resolve($0, against: baseDirectory) })
            // Prometheus' rule: a client CA without a type means clients must present a certificate.
            server.clientAuth = auth ?? (clientCA == nil ? .none : .requireAndVerify)
            if server.clientAuth != .none, clientCA == nil {
                throw .missing(path: "tls_server_config.client_ca_file")
            }
            config.tls = server
        }
        let usersNode = try root.child("basic_auth_users")
        if usersNode.isPresent {
            guard case .mapping(let mapping)? = usersNode.node else {
                throw .wrongType(path: usersNode.path, expected: "a mapping of user names to bcrypt hashes", line: nil)
            }
            for (key, value) in mapping {
                guard let user = key.string, !user.isEmpty else {
                    throw .wrongType(path: usersNode.path, expected: "user names as text", line: key.mark?.line)
                }
                let path = "\(usersNode.path).\(user)"
                guard let hash = value.string, isBcryptHash(hash) else {
                    // The hash is not echoed: it is not the password, but it is offline-guessable.
                    throw .wrongType(path: path, expected: "a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters)", line: value.mark?.line)
                }
                config.basicAuthUsers[user] = hash
            }
        }
        try root.finish()
        _ = try config.serverOptions()
        return config
    }

    static func isBcryptHash(_ text: String) -> Bool {
        text.utf8.count == 60 && ["$2a$", "$2b$", "$2y$"].contains(where: text.hasPrefix)
    }

    /// The server's TLS and users, every file read and parsed now.
    func serverOptions() throws(ConfigError) -> WebServerOptions {
        var options = WebServerOptions()
        if !basicAuthUsers.isEmpty { options.users = BasicAuthUsers(hashes: basicAuthUsers) }
        guard let tls else { return options }
        let chain = try Self.certificates(tls.certFile, key: "tls_server_config.cert_file")
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: try Self.pem(tls.keyFile, key: "tls_server_config.key_file"), format: .pem)
        } catch let error as ConfigError {
            throw error
        } catch {
            // NIOSSL's error names no secret; the key's bytes are never shown.
            throw .unavailable(path: "tls_server_config.key_file", reason: "\(tls.keyFile) holds no readable PEM private key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        if let caFile = tls.clientCAFile {
            configuration.trustRoots = .certificates(try Self.certificates(caFile, key: "tls_server_config.client_ca_file"))
        }
        switch tls.clientAuth {
        case .none: configuration.certificateVerification = .none
        case .verifyIfGiven: configuration.certificateVerification = .optionalVerification
        case .requireAndVerify: configuration.certificateVerification = .noHostnameVerification
        }
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw .unavailable(path: "tls_server_config", reason: "the certificate and key do not make a TLS server: \(error)")
        }
        options.tls = configuration
        return options
    }

    private static func pem(_ path: String, key: String) throws(ConfigError) -> [UInt8] {
        do {
            return Array(try BoundedFile.read(path, limit: pemLimit))
        } catch {
            throw .unavailable(path: key, reason: "cannot read \(path): \(error.reason)")
        }
    }

    private static func certificates(_ path: String, key: String) throws(ConfigError) -> [NIOSSLCertificate] {
        let bytes = try pem(path, key: key)
        let list = try? NIOSSLCertificate.fromPEMBytes(bytes)
        guard let list, !list.isEmpty else {
            throw .unavailable(path: key, reason: "\(path) holds no readable PEM certificate")
        }
        return list
    }
}
