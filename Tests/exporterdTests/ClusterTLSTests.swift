import Foundation
import SourceWatcher
import Testing
@testable import exporterd

/// `use_tls`, `tls_ca_cert_env` and `mtls_client_*_env` become one `TLSSettings` per cluster at
/// load; PEM problems are config errors naming key and variable, never the value. Certificates
/// are made with `openssl` when it is installed (scripts/lab install); the tests that need one
/// are skipped, saying so, without it.
@Suite struct ClusterTLSTests {
    func cluster(_ credentials: String) throws -> ClusterSettings {
        let config = try ConfigLoader.parse(
            yaml: "source:\n  bootstrap_brokers: [{hostname: k, port: 9093}]\n  credentials: \(credentials)\n",
            file: "exporterd.yaml", baseDirectory: URL(fileURLWithPath: "/tmp"))
        return try #require(config.source)
    }

    @Test func useTLSWithoutACATrustsTheSystemStore() throws {
        let settings = try ClusterTLS.settings(for: try cluster("{use_tls: true}"), cluster: "source", environment: [:])
        #expect(settings?.trustRoots == .system)
        #expect(settings?.presentsClientCertificate == false)
        #expect(settings?.cluster == "source")
    }

    @Test func noCredentialsOrUseTLSFalseIsPlaintext() throws {
        #expect(try ClusterTLS.settings(for: try cluster("{use_tls: false}"), cluster: "source", environment: [:]) == nil)
    }

    @Test func aCAWithoutUseTLSIsAConflictNotSilentPlaintext() throws {
        let settings = try cluster("{tls_ca_cert_env: CA}")
        #expect(throws: ConfigError.conflict(path: "source.credentials.tls_ca_cert_env", reason: "set, but use_tls is not true")) {
            try ClusterTLS.settings(for: settings, cluster: "source", environment: ["CA": "x"])
        }
    }

    @Test(arguments: [
        ("no pem here s3cret", "holds no PEM certificate"),
        ("-----BEGIN CERTIFICATE-----\nczNjcmV0\n-----END CERTIFICATE-----\n", "holds a PEM block that is not a valid X.509 certificate"),
    ])
    func badCAIsAConfigErrorNamingKeyAndVariable(value: String, reason: String) throws {
        let settings = try cluster("{use_tls: true, tls_ca_cert_env: SOURCE_CA_PEM}")
        do {
            _ = try ClusterTLS.settings(for: settings, cluster: "source", environment: ["SOURCE_CA_PEM": value])
            Issue.record("accepted a CA that is no certificate")
        } catch {
            #expect(error.description.hasPrefix("source.credentials.tls_ca_cert_env: environment variable SOURCE_CA_PEM \(reason)"))
            #expect(!error.description.contains("s3cret") && !error.description.contains("czNjcmV0"))
        }
    }

    @Test func unsetVariableIsNamed() throws {
        let settings = try cluster("{use_tls: true, tls_ca_cert_env: SOURCE_CA_PEM}")
        #expect(throws: ConfigError.envUnset(path: "source.credentials.tls_ca_cert_env", variable: "SOURCE_CA_PEM")) {
            try ClusterTLS.settings(for: settings, cluster: "source", environment: [:])
        }
    }

    @Test func validCAAndClientIdentityBuildOneContext() throws {
        guard let pem = try ClusterTLSCertificates.make() else { return }
        let settings = try cluster("{use_tls: true, tls_ca_cert_env: CA, mtls_client_cert_env: CERT, mtls_client_key_env: KEY}")
        let tls = try #require(try ClusterTLS.settings(
            for: settings, cluster: "destination", environment: ["CA": pem.ca, "CERT": pem.certificate, "KEY": pem.key]))
        #expect(tls.trustRoots == .configuredCA(certificates: 1))
        #expect(tls.presentsClientCertificate)
        #expect(tls.cluster == "destination")
        // Built once: every connection of the cluster shares these settings' context.
        var withTLS = settings
        withTLS.tls = tls
        #expect(withTLS.connectionSettings.tls == tls)
    }

    @Test func aKeyThatIsNotTheCertificatesIsRefusedAtLoad() throws {
        guard let pem = try ClusterTLSCertificates.make() else { return }
        let settings = try cluster("{use_tls: true, mtls_client_cert_env: CERT, mtls_client_key_env: KEY}")
        do {
            _ = try ClusterTLS.settings(for: settings, cluster: "source",
                                        environment: ["CERT": pem.certificate, "KEY": pem.otherKey])
            Issue.record("accepted a key of another certificate")
        } catch {
            #expect(error.description == "source.credentials.mtls_client_key_env: environment variable KEY is not the private key of the client certificate")
            let keyBody = pem.otherKey.split(separator: "\n").dropFirst().first.map(String.init) ?? "?"
            #expect(!error.description.contains(keyBody))
        }
    }

    @Test func anEncryptedKeyIsRefusedWithoutPrompting() throws {
        guard let pem = try ClusterTLSCertificates.make() else { return }
        #expect(pem.encryptedKey.contains("BEGIN ENCRYPTED PRIVATE KEY"))
        let settings = try cluster("{use_tls: true, mtls_client_cert_env: CERT, mtls_client_key_env: KEY}")
        #expect(throws: ConfigError.invalidEnvValue(path: "source.credentials.mtls_client_key_env", variable: "KEY",
                                                    reason: "is not an unencrypted PEM private key")) {
            try ClusterTLS.settings(for: settings, cluster: "source", environment: ["CERT": pem.certificate, "KEY": pem.encryptedKey])
        }
    }

    @Test func aCertificateInTheKeyVariableIsNotAKey() throws {
        guard let pem = try ClusterTLSCertificates.make() else { return }
        let settings = try cluster("{use_tls: true, mtls_client_cert_env: CERT, mtls_client_key_env: KEY}")
        #expect(throws: ConfigError.invalidEnvValue(path: "source.credentials.mtls_client_key_env", variable: "KEY",
                                                    reason: "is not an unencrypted PEM private key")) {
            try ClusterTLS.settings(for: settings, cluster: "source", environment: ["CERT": pem.certificate, "KEY": pem.certificate])
        }
    }
}

/// A self-signed certificate and its key, and an unrelated key, made by `openssl`.
enum ClusterTLSCertificates {
    struct PEM {
        var ca: String
        var certificate: String
        var key: String
        var otherKey: String
        /// `otherKey`'s kind of key, encrypted with a passphrase exporterd has no way to get.
        var encryptedKey: String
    }

    static func make() throws -> PEM? {
        guard let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first(where: FileManager.default.isExecutableFile) else {
            print("ClusterTLSTests: skipped, openssl is not installed (scripts/lab install installs it)")
            return nil
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func run(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: openssl)
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " "))")
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(["req", "-x509"] + ec + ["-keyout", "cert.key", "-out", "cert.pem", "-days", "1", "-subj", "/CN=exporterd-test"])
        try run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "other.key"])
        try run(["pkcs8", "-topk8", "-in", "cert.key", "-out", "encrypted.key", "-passout", "pass:hunter2", "-v2", "aes256"])
        func read(_ name: String) throws -> String {
            try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        let certificate = try read("cert.pem")
        return PEM(ca: certificate, certificate: certificate, key: try read("cert.key"), otherKey: try read("other.key"),
                   encryptedKey: try read("encrypted.key"))
    }
}
