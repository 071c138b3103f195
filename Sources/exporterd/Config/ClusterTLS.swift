/// Turns a cluster's `use_tls`, `tls_ca_cert_env` and `mtls_client_*_env` into the
/// `TLSSettings` its connections share, reading the PEM text from the named env vars at load
/// time, so a bad certificate or key is a config error (exit 2) with its key path, named by
/// variable and never by content.
import SourceWatcher

enum ClusterTLS {
    /// Builds the TLS settings of both clusters in place. Expects `validate` to have checked
    /// that every named variable is set.
    static func resolve(_ config: inout ExporterConfig, environment: [String: String]) throws(ConfigError) {
        if let source = config.source {
            config.source?.tls = try settings(for: source, cluster: "source", environment: environment)
        }
        if let destination = config.destination {
            config.destination?.tls = try settings(for: destination, cluster: "destination", environment: environment)
        }
    }

    static func settings(for cluster: ClusterSettings, cluster name: String, environment: [String: String]) throws(ConfigError) -> TLSSettings? {
        guard let credentials = cluster.credentials else { return nil }
        let path = "\(name).credentials"
        guard credentials.useTLS else {
            // A CA or client certificate without use_tls would otherwise connect in plaintext,
            // which is not what whoever wrote it expects.
            for case let (key, _?) in [("tls_ca_cert_env", credentials.tlsCACertEnv),
                                       ("mtls_client_cert_env", credentials.mtlsClientCertEnv)] {
                throw .conflict(path: "\(path).\(key)", reason: "set, but use_tls is not true")
            }
            return nil
        }
        let variables: [TLSSettingsError.Input: (key: String, variable: String?)] = [
            .caCertificate: ("tls_ca_cert_env", credentials.tlsCACertEnv),
            .clientCertificate: ("mtls_client_cert_env", credentials.mtlsClientCertEnv),
            .clientKey: ("mtls_client_key_env", credentials.mtlsClientKeyEnv),
        ]
        func value(_ input: TLSSettingsError.Input) throws(ConfigError) -> String? {
            guard let entry = variables[input], let variable = entry.variable else { return nil }
            guard let text = environment[variable] else {
                throw .envUnset(path: "\(path).\(entry.key)", variable: variable)
            }
            return text
        }
        let caPEM = try value(.caCertificate)
        let certificatePEM = try value(.clientCertificate)
        let keyPEM = try value(.clientKey)
        do {
            return try TLSSettings(cluster: name, caPEM: caPEM, clientCertificatePEM: certificatePEM, clientKeyPEM: keyPEM)
        } catch {
            guard let entry = variables[error.input], let variable = entry.variable else {
                throw .conflict(path: "\(path).use_tls", reason: "TLS cannot be set up: \(error)")
            }
            throw .invalidEnvValue(path: "\(path).\(entry.key)", variable: variable, reason: "\(error.problem)")
        }
    }
}
