/// `web_config_file` at load: the Prometheus web-config shape read into TLS and users, and
/// every mistake in it a config error naming the file and the key (exit 2 from the binary).
import Foundation
import HummingbirdBcrypt
import Testing
@testable import exporterd

@Suite struct WebConfigFileTests {
    static let hash = Bcrypt.hash("scrape-pass", cost: 4)

    /// Writes exporterd.yaml pointing at web-config.yml (holding `web`) in a fresh folder.
    func load(web: String, extra: String = "") throws -> Result<ExporterConfig, ConfigError> {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(web.utf8).write(to: directory.appendingPathComponent("web-config.yml"))
        let config = directory.appendingPathComponent("exporterd.yaml")
        try Data("web_config_file: ./web-config.yml\n\(extra)".utf8).write(to: config)
        return Result { () throws(ConfigError) in try ConfigLoader.load(path: config.path, environment: [:]) }
    }

    func error(web: String) throws -> String {
        switch try load(web: web) {
        case .success: Issue.record("loaded: \(web)"); return ""
        case .failure(let error): return error.description
        }
    }

    @Test func tlsAndUsersAreRead() throws {
        let pki = try TestCertificates.make()
        let config = try load(web: """
            tls_server_config:
              cert_file: \(pki.serverCert.path)
              key_file: \(pki.serverKey.path)
              client_ca_file: \(pki.caCert.path)
              client_auth_type: VerifyClientCertIfGiven
            basic_auth_users:
              prometheus: \(Self.hash)
            """).get()
        let web = try #require(config.web)
        #expect(web.tls?.clientAuth == .verifyIfGiven)
        #expect(web.basicAuthUsers == ["prometheus": Self.hash])
        let options = try web.serverOptions()
        #expect(options.tls != nil)
        #expect(options.users?.hashes == ["prometheus": Self.hash])
    }

    @Test func aClientCAWithoutATypeRequiresClientCertificates() throws {
        let pki = try TestCertificates.make()
        let config = try load(web: """
            tls_server_config: {cert_file: \(pki.serverCert.path), key_file: \(pki.serverKey.path), client_ca_file: \(pki.caCert.path)}
            """).get()
        #expect(config.web?.tls?.clientAuth == .requireAndVerify)
        #expect(config.web?.basicAuthUsers.isEmpty == true)
    }

    @Test func relativePathsAreTakenFromTheWebConfigFolder() throws {
        let pki = try TestCertificates.make()
        let config = try ConfigLoader.load(path: try {
            let web = pki.directory.appendingPathComponent("web-config.yml")
            try Data("tls_server_config: {cert_file: server.pem, key_file: server-key.pem}\n".utf8).write(to: web)
            let main = pki.directory.appendingPathComponent("exporterd.yaml")
            try Data("web_config_file: web-config.yml\n".utf8).write(to: main)
            return main.path
        }(), environment: [:])
        #expect(config.web?.tls?.certFile == pki.serverCert.path)
    }

    @Test func mistakesNameTheFileAndTheKey() throws {
        let pki = try TestCertificates.make()
        let cert = pki.serverCert.path, key = pki.serverKey.path
        let cases: [(String, String)] = [
            ("tls_server_config: {key_file: \(key)}", "tls_server_config.cert_file: required but missing"),
            ("tls_server_config: {cert_file: \(cert)}", "tls_server_config.key_file: required but missing"),
            ("tls_server_config: {cert_file: /nonexistent/cert.pem, key_file: \(key)}", "tls_server_config.cert_file: cannot read /nonexistent/cert.pem"),
            ("tls_server_config: {cert_file: \(key), key_file: \(key)}", "tls_server_config.cert_file: \(key) holds no readable PEM certificate"),
            ("tls_server_config: {cert_file: \(cert), key_file: \(cert)}", "tls_server_config.key_file: \(cert) holds no readable PEM private key"),
            ("tls_server_config: {cert_file: \(cert), key_file: \(pki.clientKey.path)}", "tls_server_config: the certificate and key do not make a TLS server"),
            ("tls_server_config: {cert_file: \(cert), key_file: \(key), client_auth_type: RequireAndVerifyClientCert}", "tls_server_config.client_ca_file: required but missing"),
            ("tls_server_config: {cert_file: \(cert), key_file: \(key), client_auth_type: Sometimes}", "tls_server_config.client_auth_type: unknown value \"Sometimes\""),
            ("tls_server_config: {cert_file: \(cert), key_file: \(key), min_version: TLS13}", "tls_server_config.min_version: unknown key"),
            ("basic_auth_users: {alice: not-a-bcrypt-hash}", "basic_auth_users.alice: expected a bcrypt hash"),
            ("basic_auth_users: [alice]", "basic_auth_users: expected a mapping"),
            ("http_server_config: {http2: true}", "http_server_config: unknown key"),
            ("tls_server_config: [", "not valid YAML"),
        ]
        for (web, expected) in cases {
            let message = try error(web: web)
            #expect(message.hasPrefix("web_config_file /"), "\(message)")
            #expect(message.contains("web-config.yml"), "\(message)")
            #expect(message.contains(expected), "\(web) → \(message)")
            #expect(!message.contains("not-a-bcrypt-hash"), "the hash text is not echoed: \(message)")
        }
    }

    @Test func aMissingWebConfigFileIsNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("exporterd.yaml")
        try Data("web_config_file: ./nope.yml\n".utf8).write(to: config)
        #expect(throws: ConfigError.unavailable(
            path: "web_config_file", reason: "cannot read \(directory.appendingPathComponent("nope.yml").path): no such file or directory")) {
            try ConfigLoader.load(path: config.path, environment: [:])
        }
    }
}

/// Credentials for agents and the state URL: only from env vars, never inside a URL.
@Suite struct HTTPAccessConfigTests {
    let base = URL(fileURLWithPath: "/etc/exporterd")

    func load(_ yaml: String, environment: [String: String] = [:]) throws(ConfigError) -> ExporterConfig {
        let config = try ConfigLoader.parse(yaml: yaml, file: "exporterd.yaml", baseDirectory: base)
        try ConfigLoader.validate(config, environment: environment)
        return config
    }

    func message(_ yaml: String, environment: [String: String] = [:]) -> String {
        do {
            _ = try load(yaml, environment: environment)
            Issue.record("loaded: \(yaml)")
            return ""
        } catch {
            return error.description
        }
    }

    @Test(arguments: [
        "proxy_metrics: {targets: [http://agent-1:8080/metrics, 'http://scraper:hunter2-secret@agent-2:8080/metrics']}",
        "proxy_metrics: {targets: ['https://hunter2-secret@agent:8443/metrics']}",
        "proxy_metrics: {targets: ['http://user:hunter2-secret@[not a host/metrics']}",
        "proxy_metrics: {targets: ['HTTP://user:hunter2-secret@agent/metrics?x=@y']}",
        "migration_state: {url: 'https://ops:hunter2-secret@controller/v1/status'}",
    ])
    func credentialsInAURLAreRefusedWithoutEchoingThem(yaml: String) {
        let text = message(yaml)
        #expect(!text.contains("hunter2-secret"), "\(text)")
        #expect(text.contains("credentials inside the URL"), "\(text)")
        #expect(text.contains("proxy_metrics.targets[") || text.contains("migration_state.url"), "\(text)")
        #expect(text.contains("***@"), "\(text)")
    }

    @Test func anInvalidURLIsShownWithoutItsCredentials() {
        let text = message("proxy_metrics: {targets: ['ftp://agent/metrics']}")
        #expect(text == #"proxy_metrics.targets[0]: unknown value "ftp://agent/metrics", expected an http:// or https:// URL"#)
        #expect(URLCredentials.redacted("http://a:b@c/d@e") == "http://***@c/d@e")
        #expect(URLCredentials.redacted("http://c/d@e") == "http://c/d@e")
        #expect(!URLCredentials.contains("http://c/d@e"))
    }

    @Test func agentCredentialKeysAreReadAndTheirVariablesChecked() throws {
        let yaml = """
            proxy_metrics:
              targets: [https://agent:8443/metrics]
              basic_auth_username_env: AGENT_USER
              basic_auth_password_env: AGENT_PASS
              tls_ca_cert_env: AGENT_CA
            """
        let pki = try TestCertificates.make()
        let environment = ["AGENT_USER": "scraper", "AGENT_PASS": "pa55-word", "AGENT_CA": try pki.text(pki.caCert)]
        let proxy = try #require(try load(yaml, environment: environment).proxyMetrics)
        #expect(proxy.basicAuthUsernameEnv == "AGENT_USER" && proxy.basicAuthPasswordEnv == "AGENT_PASS" && proxy.tlsCACertEnv == "AGENT_CA")
        let access = try HTTPAccess.agents(proxy, environment: environment)
        #expect(access.authorization == "Basic " + Data("scraper:pa55-word".utf8).base64EncodedString())
        #expect(access.tlsConfiguration != nil)

        var unset = environment
        unset["AGENT_PASS"] = nil
        #expect(message(yaml, environment: unset) == "proxy_metrics.basic_auth_password_env: environment variable AGENT_PASS is not set")
        var badCA = environment
        badCA["AGENT_CA"] = "-----BEGIN CERTIFICATE-----\nsecret-looking-garbage\n-----END CERTIFICATE-----\n"
        let caMessage = message(yaml, environment: badCA)
        #expect(caMessage == "proxy_metrics.tls_ca_cert_env: environment variable AGENT_CA holds no readable PEM certificate")
    }

    @Test func agentCredentialRulesAreChecked() {
        #expect(message("proxy_metrics: {targets: [http://a/m], basic_auth_username_env: U}")
                == "proxy_metrics: basic_auth_username_env and basic_auth_password_env go together")
        #expect(message("proxy_metrics: {targets: [http://a/m], basic_auth_username_env: U, basic_auth_password_env: P, bearer_token_env: T}",
                        environment: ["U": "u", "P": "p", "T": "t"]).contains("not both"))
        #expect(message("proxy_metrics: {targets: [http://a/m], bearer_token_env: T}")
                == "proxy_metrics.bearer_token_env: environment variable T is not set")
        #expect(message("proxy_metrics: {targets: [http://a/m], bearer_token_env: T}", environment: ["T": "line\nbreak-secret"])
                == "proxy_metrics.bearer_token_env: environment variable T is empty or holds a line break")
    }

    @Test func stateURLTakesABearerTokenAndACA() throws {
        let pki = try TestCertificates.make()
        let yaml = "migration_state: {url: 'https://controller/v1/status', bearer_token_env: TOKEN, tls_ca_cert_env: STATE_CA}"
        let environment = ["TOKEN": "tok-123", "STATE_CA": try pki.text(pki.caCert)]
        let state = try #require(try load(yaml, environment: environment).migrationState)
        let access = try HTTPAccess.stateSource(state, environment: environment)
        #expect(access.authorization == "Bearer tok-123")
        #expect(access.tlsConfiguration != nil)
        #expect(message("migration_state: {file: ./s.json, tls_ca_cert_env: STATE_CA}")
                == "migration_state.tls_ca_cert_env: applies to an https url, not to a file")
    }
}
