/// Secrets never leak: `exporterd run` with every secret set (SASL password, agent basic-auth password, state
/// URL bearer token, the web users' password, and a wrong password a client tries), in text
/// and json log formats at debug level; the log, `/metrics` and the API answers are searched
/// for every secret string. Also `run` refusing a target URL with a password in it.
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import NIOPosix
import NIOSSL
import Testing
@testable import exporterd

@Suite(.serialized) struct SecretLeakTests {
    static let agentPassword = "agent-secret-\(UUID().uuidString)"
    static let stateToken = "state-secret-\(UUID().uuidString)"
    static let webPassword = "web-secret-\(UUID().uuidString)"
    static let wrongPassword = "wrong-secret-\(UUID().uuidString)"
    static let kafkaPassword = "kafka-secret-\(UUID().uuidString)"
    static var secrets: [String] { [agentPassword, stateToken, webPassword, wrongPassword, kafkaPassword] }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    /// Starts the binary with `environment`, runs `body` while it serves, stops it with SIGTERM
    /// (killed after 20 s) and returns its stderr and exit status.
    static func running(_ arguments: [String], environment: [String: String], _ body: () async throws -> Void) async throws -> (Int32, String) {
        let binary = try #require(CommandLineTests.binary)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-leak-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        do {
            try await body()
        } catch {
            process.terminate()
            throw error
        }
        process.terminate()
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(20))
        while process.isRunning, clock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("exporterd did not stop within 20 s of SIGTERM")
        }
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: log, encoding: .utf8))
    }

    @Test(arguments: ["text", "json"])
    func noSecretInLogsMetricsOrAPIAnswers(format: String) async throws {
        let pki = try TestCertificates.make()
        let directory = pki.directory
        let agentLog = RequestLog()
        let stateLog = RequestLog()
        let expectedAgent = "Basic " + Data("scraper:\(Self.agentPassword)".utf8).base64EncodedString()
        var answers: [String] = []
        let (status, stderr) = try await withLocalHTTPServer({ router in
            HTTPAccessTests.agent(agentLog, expected: expectedAgent)(router)
            router.get("/status") { request, _ in
                stateLog.record(authorization: request.headers[.authorization])
                // Refused on purpose: the refusal is logged, and must not carry the token.
                return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: "forbidden\n")))
            }
        }) { base in
            let port = try await Self.freePort()
            try Data("""
                tls_server_config: {cert_file: server.pem, key_file: server-key.pem}
                basic_auth_users:
                  prometheus: \(Bcrypt.hash(Self.webPassword, cost: 4))
                """.utf8).write(to: directory.appendingPathComponent("web-config.yml"))
            let config = directory.appendingPathComponent("exporterd.yaml")
            try Data("""
                listen_address: 127.0.0.1:\(port)
                web_config_file: web-config.yml
                poll_interval: 200ms
                data_dir: ./data
                source:
                  bootstrap_brokers: [{hostname: 127.0.0.1, port: 1}]
                  request_timeout: 100ms
                  credentials: {sasl_mechanism: scram-512, sasl_username_env: KAFKA_USER, sasl_password_env: KAFKA_PASS}
                destination: {bootstrap_brokers: [{hostname: 127.0.0.1, port: 1}], request_timeout: 100ms}
                topic_mappings: [{source_topic: orders}]
                proxy_metrics:
                  targets: [\(base)/metrics, \(refusedURL)/metrics]
                  basic_auth_username_env: AGENT_USER
                  basic_auth_password_env: AGENT_PASS
                migration_state: {url: \(base)/status, bearer_token_env: STATE_TOKEN}
                """.utf8).write(to: config)
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.caCert.path))
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            return try await withHTTPClient(client) { client in
            func get(_ path: String, password: String?) async throws -> (UInt, String) {
                var request = HTTPClientRequest(url: "https://localhost:\(port)\(path)")
                if let password {
                    request.headers.add(name: "Authorization", value: "Basic " + Data("prometheus:\(password)".utf8).base64EncodedString())
                }
                let response = try await client.execute(request, timeout: .seconds(5))
                return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 22)))
            }
            return try await Self.running(
                ["run", "--config", config.path, "--log-level", "debug", "--log-format", format],
                environment: ["AGENT_USER": "scraper", "AGENT_PASS": Self.agentPassword, "STATE_TOKEN": Self.stateToken,
                              "KAFKA_USER": "exporterd", "KAFKA_PASS": Self.kafkaPassword]
            ) {
                // Up once /healthz answers over TLS; then a few polls ran once the agent was asked twice.
                let clock = ContinuousClock()
                let deadline = clock.now.advanced(by: .seconds(30))
                while clock.now < deadline {
                    if let (code, _) = try? await get("/healthz", password: nil), code == 200, agentLog.seen.count >= 2, stateLog.seen.count >= 2 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                for path in ["/metrics", "/api/v1/status", "/api/v1/events", "/readyz"] {
                    let (code, body) = try await get(path, password: Self.webPassword)
                    #expect(code == 200 || (path == "/readyz" && code == 503), "\(path): \(code)")
                    answers.append(body)
                    let refused = try await get(path, password: Self.wrongPassword)
                    #expect(refused.0 == 401)
                    answers.append(refused.1)
                }
                let metrics = answers[0]
                #expect(metrics.contains("kafka_migration_proxy_target_up"), "\(metrics.prefix(300))")
            }
            }
        }
        #expect(agentLog.seen.count >= 2 && agentLog.seen.allSatisfy { $0 == expectedAgent }, "\(agentLog.seen.count) agent requests")
        #expect(stateLog.seen.contains("Bearer \(Self.stateToken)"))
        #expect(status == 0, "\(stderr.suffix(2000))")
        #expect(stderr.contains("migration state unreadable"), "the refusal is logged: \(stderr.suffix(2000))")
        for secret in Self.secrets {
            #expect(!stderr.contains(secret), "a secret in the \(format) log")
            for answer in answers { #expect(!answer.contains(secret), "a secret in an answer") }
        }
    }

    @Test func aTargetURLWithAPasswordIsRefusedWithoutShowingIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-leak-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("exporterd.yaml")
        try Data("""
            source: {bootstrap_brokers: [{hostname: 127.0.0.1, port: 1}]}
            destination: {bootstrap_brokers: [{hostname: 127.0.0.1, port: 1}]}
            proxy_metrics: {targets: ['http://scraper:\(Self.agentPassword)@127.0.0.1:1/metrics']}
            migration_state: {file: ./state.json}
            """.utf8).write(to: config)
        let run = try CommandLineTests().runExporterd(["run", "--config", config.path])
        let (status, stderr) = (run.status, run.stderr)
        #expect(status == 2)
        #expect(stderr == "exporterd: config error: proxy_metrics.targets[0]: credentials inside the URL (http://***@127.0.0.1:1/metrics) are refused; "
                + "put them in environment variables named by proxy_metrics.basic_auth_username_env and basic_auth_password_env\n")
        #expect(!stderr.contains(Self.agentPassword))
    }
}
