/// How exporterd's HTTP reads (agent targets, the state URL) prove who they are and whom they
/// trust: an `Authorization` header (basic auth or a bearer token) and a TLS configuration
/// with a CA, every secret taken from the env vars the config names. Resolved once at load (a
/// missing variable or an unreadable CA is a config error naming the key and the variable,
/// never its value) and applied to each request.
import AsyncHTTPClient
import Foundation
import NIOSSL

struct HTTPAccess: Sendable {
    /// The whole `Authorization` header value; never logged.
    var authorization: String?
    /// Trusting only the CA from env; nil keeps AsyncHTTPClient's default (the system store).
    var tlsConfiguration: TLSConfiguration?

    init(authorization: String? = nil, tlsConfiguration: TLSConfiguration? = nil) {
        self.authorization = authorization
        self.tlsConfiguration = tlsConfiguration
    }

    func apply(to request: inout HTTPClientRequest) {
        if let authorization { request.headers.replaceOrAdd(name: "Authorization", value: authorization) }
        if let tlsConfiguration { request.tlsConfiguration = tlsConfiguration }
    }

    static func agents(_ settings: ProxyMetricsSettings, environment: [String: String]) throws(ConfigError) -> HTTPAccess {
        var access = HTTPAccess()
        if let userVariable = settings.basicAuthUsernameEnv, let passwordVariable = settings.basicAuthPasswordEnv {
            let user = try value(of: userVariable, key: "proxy_metrics.basic_auth_username_env", environment)
            let password = try value(of: passwordVariable, key: "proxy_metrics.basic_auth_password_env", environment)
            if user.contains(":") {
                throw .conflict(path: "proxy_metrics.basic_auth_username_env",
                                reason: "the user name in \(userVariable) contains a colon, which basic auth cannot carry")
            }
            access.authorization = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
        if let tokenVariable = settings.bearerTokenEnv {
            access.authorization = "Bearer " + (try value(of: tokenVariable, key: "proxy_metrics.bearer_token_env", environment))
        }
        if let caVariable = settings.tlsCACertEnv {
            access.tlsConfiguration = try trusting(caVariable, key: "proxy_metrics.tls_ca_cert_env", environment)
        }
        return access
    }

    static func stateSource(_ settings: MigrationStateSettings, environment: [String: String]) throws(ConfigError) -> HTTPAccess {
        var access = HTTPAccess()
        if case .url(_, let tokenVariable?) = settings.location {
            access.authorization = "Bearer " + (try value(of: tokenVariable, key: "migration_state.bearer_token_env", environment))
        }
        if let caVariable = settings.tlsCACertEnv {
            access.tlsConfiguration = try trusting(caVariable, key: "migration_state.tls_ca_cert_env", environment)
        }
        return access
    }

    private static func value(of variable: String, key: String, _ environment: [String: String]) throws(ConfigError) -> String {
        guard let value = environment[variable] else { throw .envUnset(path: key, variable: variable) }
        // A header cannot carry a line break; saying so beats a request that fails obscurely.
        if value.isEmpty || value.contains(where: { $0.isNewline }) {
            throw .conflict(path: key, reason: "environment variable \(variable) is empty or holds a line break")
        }
        return value
    }

    /// A client configuration whose only trust roots are the PEM certificates in `variable`;
    /// hostname verification stays on.
    private static func trusting(_ variable: String, key: String, _ environment: [String: String]) throws(ConfigError) -> TLSConfiguration {
        guard let pem = environment[variable] else { throw .envUnset(path: key, variable: variable) }
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)), !certificates.isEmpty else {
            throw .conflict(path: key, reason: "environment variable \(variable) holds no readable PEM certificate")
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(certificates)
        return configuration
    }
}
