/// `exporterd check` against fake brokers and local HTTP agents: every line it prints is a
/// result the tests read by name and outcome. Failing ports (down, silent, speaking HTTP) fail
/// their own line within the configured timeout (300 ms here) and the other checks still run.
import Foundation
import Hummingbird
import Logging
import NIOCore
import SourceWatcher
import SourceWatcherTestSupport
import Testing
@testable import exporterd

@Suite struct CheckTests {
    /// What a recent Kafka offers: every API exporterd uses.
    static let fullKafka: [APIKey: ClosedRange<Int16>] = [
        .apiVersions: 0...4, .metadata: 0...12, .listOffsets: 0...10, .fetch: 4...12, .describeProducers: 0...0,
        .listGroups: 0...5, .findCoordinator: 0...6, .describeGroups: 0...5, .offsetFetch: 1...9,
    ]

    static let fullPage = """
        # TYPE kafka_proxy_produced_records_total counter
        kafka_proxy_produced_records_total{topic="orders"} 12
        kafka_proxy_produced_records_total{topic="payments.v2"} 3
        # TYPE kafka_proxy_produced_bytes_total counter
        kafka_proxy_produced_bytes_total{topic="orders"} 1200
        kafka_proxy_produced_bytes_total{topic="payments.v2"} 300

        """

    static let state = """
        topics:
          - {topic: orders, state: PROXY, since: 2026-11-24T10:00:00Z}
          - {topic: payments, state: COMPLETE, since: 2026-11-24T09:00:00Z}

        """

    /// Two fake clusters with `orders` (3 partitions) and `payments` → `payments.v2` (2).
    struct Lab {
        let source: FakeKafkaBroker
        let destination: FakeKafkaBroker
        let directory: URL

        static func start(advertised: [APIKey: ClosedRange<Int16>] = CheckTests.fullKafka, state: String = CheckTests.state) async throws -> Lab {
            let source = try await FakeKafkaBroker.start(advertised: advertised)
            let destination = try await FakeKafkaBroker.start(advertised: advertised)
            source.layout.addTopic("orders", leaders: [1, 1, 1])
            source.layout.addTopic("payments", leaders: [1, 1])
            destination.layout.addTopic("orders", leaders: [1, 1, 1])
            destination.layout.addTopic("payments.v2", leaders: [1, 1])
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-check-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(state.utf8).write(to: directory.appendingPathComponent("state.yaml"))
            return Lab(source: source, destination: destination, directory: directory)
        }

        /// Generous timeouts for what should answer (the suite runs tests in parallel on a busy
        /// machine); a test shortens only the one meant to run out.
        func config(agents: [String], destinationTimeout: Duration = .seconds(5)) -> ExporterConfig {
            var config = ExporterConfig()
            config.source = ClusterSettings(bootstrapBrokers: [source.address], requestTimeout: .seconds(5))
            config.destination = ClusterSettings(bootstrapBrokers: [destination.address], requestTimeout: destinationTimeout)
            config.topicMappings = [TopicMapping(sourceTopic: "orders", destinationTopic: "orders"),
                                    TopicMapping(sourceTopic: "payments", destinationTopic: "payments.v2")]
            config.proxyMetrics = ProxyMetricsSettings(targets: agents, timeout: .seconds(5))
            config.migrationState = MigrationStateSettings(location: .file(directory.appendingPathComponent("state.yaml").path))
            return config
        }

        func stop() async {
            await source.stop()
            await destination.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func check(_ config: ExporterConfig) async throws -> CheckReport {
        var logger = Logger(label: "check-test")
        logger.logLevel = .critical
        return try await ConfigCheck(config: config, configPath: "exporterd.yaml", environment: [:], logger: logger).run()
    }

    static func serving(_ page: String) -> (Router<BasicRequestContext>) -> Void {
        { router in router.get("/metrics") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: page))) } }
    }

    func outcome(_ report: CheckReport, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> CheckResult? {
        let found = report.results.filter { $0.name == name }
        #expect(found.count <= 1, "\(name) appears \(found.count) times", sourceLocation: sourceLocation)
        if found.isEmpty { Issue.record("no result named \(name) in:\n\(report.text())", sourceLocation: sourceLocation) }
        return found.first
    }

    @Test func everythingAnsweringPassesWithExit0() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        let report = try await withLocalHTTPServer(Self.serving(Self.fullPage)) { base in
            try await Self.check(lab.config(agents: [base + "/metrics"]))
        }
        #expect(report.results.allSatisfy { $0.outcome == .pass }, "\(report.text())")
        #expect(report.exitCode == 0)
        #expect(outcome(report, "source broker 1 \(lab.source.address)")?.detail
            == "ApiVersions answered; Metadata v12, ListOffsets v10, Fetch v12, DescribeProducers v0, ListGroups v5, FindCoordinator v6, DescribeGroups v5, OffsetFetch v9")
        #expect(outcome(report, "destination broker 1 \(lab.destination.address)")?.detail
            == "ApiVersions answered; Metadata v12, ListOffsets v10, Fetch v12")
        #expect(outcome(report, "topic orders → orders")?.detail == "3 partitions on both clusters")
        #expect(outcome(report, "topic payments → payments.v2")?.detail == "2 partitions on both clusters")
        #expect(report.results.first { $0.name.hasPrefix("agent ") }?.detail
            == "kafka_proxy_produced_records_total and kafka_proxy_produced_bytes_total found, 4 series; 2 of 2 watched topics on the page (orders, payments.v2)")
        #expect(report.results.first { $0.name.hasPrefix("migration state ") }?.detail == "read; 2 topics (1 PROXY, 1 COMPLETE)")
        #expect(report.text().hasSuffix("check passed: \(report.passed) passed, 0 failed, 0 warnings\n"))
    }

    @Test func agentDownFailsItsLineNamingIt() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        let report = try await withLocalHTTPServer(Self.serving(Self.fullPage)) { base in
            var config = lab.config(agents: [base + "/metrics", refusedURL + "/metrics"])
            // The client retries a refused connect until the timeout: short, but not so short
            // that the answering agent misses it on a busy machine.
            config.proxyMetrics?.timeout = .seconds(2)
            return try await Self.check(config)
        }
        let down = try #require(outcome(report, "agent \(refusedURL)/metrics"))
        #expect(down.outcome == .fail)
        #expect(down.detail.hasPrefix("unreachable: "), "\(down.detail)")
        #expect(report.results.filter { $0.name.hasPrefix("agent ") && $0.outcome == .pass }.count == 1)
        #expect(report.exitCode == 1)
        #expect(report.text().contains("✗ agent \(refusedURL)/metrics: unreachable: "))
        // A missing page proves nothing about its topics: no "no agent counts it" warning.
        #expect(!report.results.contains { $0.name == "agents" })
    }

    @Test func agentPageWithoutTheBytesFamilyFails() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        let page = "kafka_proxy_produced_records_total{topic=\"orders\"} 12\nkafka_proxy_produced_records_total{topic=\"payments.v2\"} 3\n"
        let (report, base) = try await withLocalHTTPServer(Self.serving(page)) { base in
            (try await Self.check(lab.config(agents: [base + "/metrics"])), base)
        }
        let agent = try #require(outcome(report, "agent \(base)/metrics"))
        #expect(agent.outcome == .fail)
        #expect(agent.detail == "kafka_proxy_produced_bytes_total not on the page (found kafka_proxy_produced_records_total, 2 series); "
            + "2 of 2 watched topics on the page (orders, payments.v2)")
        #expect(report.exitCode == 1)
    }

    /// An agent that has proxied nothing has no series yet: a warning, not a failure.
    @Test func agentPageWithNoCountersYetWarns() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        let page = "# TYPE kafka_proxy_produced_records_total counter\nprocess_start_time_seconds 1.7e9\n"
        let (report, base) = try await withLocalHTTPServer(Self.serving(page)) { base in
            (try await Self.check(lab.config(agents: [base + "/metrics"])), base)
        }
        #expect(outcome(report, "agent \(base)/metrics")?.outcome == .warn)
        // orders is PROXY and no page counts it.
        #expect(outcome(report, "agents")?.detail == "PROXY or MIGRATING topics that no agent page counts: orders")
        #expect(report.exitCode == 0)
    }

    @Test func watchedTopicTheStateDocumentOmitsIsAWarning() async throws {
        let lab = try await Lab.start(state: "topics:\n  - {topic: orders, state: PROXY, since: 2026-11-24T10:00:00Z}\n  - {topic: legacy, state: REJECT, since: 2026-11-24T10:00:00Z}\n")
        defer { Task { await lab.stop() } }
        let report = try await withLocalHTTPServer(Self.serving(Self.fullPage)) { base in
            try await Self.check(lab.config(agents: [base + "/metrics"]))
        }
        let warnings = report.results.filter { $0.name == "migration state" }
        #expect(warnings.map(\.outcome) == [.warn, .warn])
        #expect(warnings.map(\.detail) == [
            "watched topics the document does not mention (taken as REJECT): payments",
            "topics in the document that exporterd does not watch: legacy",
        ])
        #expect(report.exitCode == 0)
    }

    @Test func unreadableStateDocumentFails() async throws {
        let lab = try await Lab.start(state: "topics: [{topic: orders, state: FLYING, since: 2026-11-24T10:00:00Z}]\n")
        defer { Task { await lab.stop() } }
        let report = try await withLocalHTTPServer(Self.serving(Self.fullPage)) { base in
            try await Self.check(lab.config(agents: [base + "/metrics"]))
        }
        let state = try #require(report.results.first { $0.name.hasPrefix("migration state /") })
        #expect(state.outcome == .fail)
        #expect(state.detail.contains("FLYING"), "\(state.detail)")
        #expect(report.exitCode == 1)
    }

    @Test func destinationPartitionCountMismatchFails() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        lab.destination.layout.addTopic("orders", leaders: [1, 1])
        lab.destination.layout.update { $0.topics["payments.v2"] = nil }
        let report = try await withLocalHTTPServer(Self.serving(Self.fullPage)) { base in
            try await Self.check(lab.config(agents: [base + "/metrics"]))
        }
        #expect(outcome(report, "topic orders → orders") == .fail("topic orders → orders", "partition counts differ: source 3, destination 2"))
        #expect(outcome(report, "topic payments → payments.v2") == .fail("topic payments → payments.v2", "not on the destination cluster"))
        #expect(report.exitCode == 1)
    }

    @Test func missingSourceTopicAndLeaderlessPartitionFail() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        lab.source.layout.update { $0.topics["payments"] = nil }
        lab.source.layout.change(TopicPartition(topic: "orders", partition: 2)) { $0.leader = -1 }
        let report = try await withLocalHTTPServer(Self.serving(Self.fullPage)) { base in
            try await Self.check(lab.config(agents: [base + "/metrics"]))
        }
        #expect(outcome(report, "topic orders → orders")?.detail == "source partition 2 without a leader")
        #expect(outcome(report, "topic payments → payments.v2")?.detail == "not on the source cluster")
        #expect(report.exitCode == 1)
    }

    @Test func brokerWithoutDescribeProducersWarnsAndWithoutListOffsetsFails() async throws {
        var advertised = Self.fullKafka
        advertised[.describeProducers] = nil
        advertised[.listGroups] = nil
        let lab = try await Lab.start(advertised: advertised)
        defer { Task { await lab.stop() } }
        lab.destination.advertised[.listOffsets] = 0...0
        let report = try await withLocalHTTPServer(Self.serving(Self.fullPage)) { base in
            try await Self.check(lab.config(agents: [base + "/metrics"]))
        }
        let source = report.results.filter { $0.name == "source broker 1 \(lab.source.address)" }
        #expect(source.map(\.outcome) == [.pass, .warn, .warn])
        #expect(source.dropFirst().map(\.detail) == [
            "DescribeProducers not offered → direct-producer check disabled",
            "ListGroups not offered → \(KafkaAPINeed.consumerGroupsConsequence)",
        ])
        let destination = try #require(outcome(report, "destination broker 1 \(lab.destination.address)"))
        #expect(destination.outcome == .fail)
        #expect(destination.detail.hasPrefix("ListOffsets v0-0 offered, exporterd needs v1-11 ("), "\(destination.detail)")
        #expect(report.exitCode == 1)
    }

    /// A listening socket that accepts and never answers: the destination's line fails within
    /// its request_timeout, and every other check still runs.
    @Test func silentPortFailsItsLineWithinTheTimeout() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        lab.destination.script(.apiVersions) { _, _ in .hang }
        let result = try await withLocalHTTPServer(Self.serving(Self.fullPage)) { base in
            let config = lab.config(agents: [base + "/metrics"], destinationTimeout: .milliseconds(300))
            return await timed(limit: .seconds(20)) { try? await Self.check(config) }
        }
        let report = try #require(result.value ?? nil)
        let destination = try #require(outcome(report, "destination cluster"))
        #expect(destination.outcome == .fail)
        #expect(destination.detail.contains("ApiVersions request to \(lab.destination.address) timed out after 300 ms"), "\(destination.detail)")
        #expect(outcome(report, "topics")?.detail == "not matched: the destination cluster gave no metadata")
        #expect(outcome(report, "source broker 1 \(lab.source.address)")?.outcome == .pass)
        #expect(report.results.contains { $0.name.hasPrefix("agent ") && $0.outcome == .pass })
        #expect(report.exitCode == 1)
    }

    /// A broker from the metadata that is down fails its own line; the others pass. (A silent
    /// one runs into the same per-step deadline as the silent bootstrap above.)
    @Test func brokerOfTheMetadataThatIsDownFailsItsLine() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        let second = try await FakeKafkaBroker.start(nodeID: 2, layout: lab.source.layout, advertised: Self.fullKafka)
        await second.stop()  // still in the metadata, refusing connections
        let result = try await withLocalHTTPServer(Self.serving(Self.fullPage)) { base in
            let config = lab.config(agents: [base + "/metrics"])
            return await timed(limit: .seconds(20)) { try? await Self.check(config) }
        }
        let report = try #require(result.value ?? nil)
        #expect(outcome(report, "source cluster")?.detail.contains("2 brokers") == true)
        #expect(outcome(report, "source broker 1 \(lab.source.address)")?.outcome == .pass)
        let down = try #require(outcome(report, "source broker 2 \(second.address)"))
        #expect(down.outcome == .fail)
        #expect(down.detail.hasPrefix("cannot connect to \(second.address): "), "\(down.detail)")
        #expect(report.exitCode == 1)
    }

    /// The destination pointed at an HTTP server: its answer is no Kafka frame, and the line says so.
    @Test func httpPortIsNotKafka() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        let report = try await withLocalHTTPServer(Self.serving(Self.fullPage)) { base in
            // The HTTP server answers at once; a generous timeout keeps a loaded machine from
            // turning that answer into a timeout.
            var config = lab.config(agents: [base + "/metrics"], destinationTimeout: .seconds(10))
            let port = try #require(Int(base.split(separator: ":").last ?? ""))
            config.destination?.bootstrapBrokers = [BrokerAddress(host: "127.0.0.1", port: port)]
            let pointed = config
            return await timed(limit: .seconds(20)) { try? await Self.check(pointed) }.value ?? nil
        }
        let answered = try #require(report)
        let destination = try #require(outcome(answered, "destination cluster"))
        #expect(destination.outcome == .fail)
        #expect(destination.detail.contains("is this port really Kafka?"), "\(destination.detail)")
    }

    @Test func missingSectionsAreWarningsNamingWhoNeedsThem() async throws {
        var config = ExporterConfig()
        config.topicMappings = [TopicMapping(sourceTopic: "orders", destinationTopic: "orders")]
        let report = try await Self.check(config)
        #expect(report.results.map(\.name) == ["config exporterd.yaml", "source", "destination", "proxy_metrics", "migration_state"])
        #expect(report.results.dropFirst().allSatisfy { $0.outcome == .warn })
        #expect(report.exitCode == 0)
    }

    /// What `run` refuses at start-up, check refuses too (exit 2), before connecting anywhere.
    @Test func unreadableWebCertificateIsAConfigError() async throws {
        var config = ExporterConfig()
        config.web = WebConfig(file: "/nonexistent/web-config.yml",
                               tls: .init(certFile: "/nonexistent/cert.pem", keyFile: "/nonexistent/key.pem"))
        await #expect(throws: ConfigError.self) { _ = try await Self.check(config) }
    }

    @Test func unsetCredentialVariableIsAConfigError() async throws {
        var config = ExporterConfig()
        config.proxyMetrics = ProxyMetricsSettings(targets: ["http://127.0.0.1:1/metrics"], bearerTokenEnv: "CHECK_TEST_TOKEN")
        await #expect(throws: ConfigError.envUnset(path: "proxy_metrics.bearer_token_env", variable: "CHECK_TEST_TOKEN")) {
            _ = try await Self.check(config)
        }
    }

    /// The agents are scraped with the configured credentials (the page answers only to them),
    /// and the secret appears in no line, text or JSON.
    @Test func agentCredentialsAreSentAndNeverShown() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        let secret = "s3cr3t-agent-token"
        let (report, base) = try await withLocalHTTPServer({ router in
            router.get("/metrics") { request, _ in
                guard request.headers[.authorization] == "Bearer \(secret)" else { return Response(status: .unauthorized) }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: Self.fullPage)))
            }
            router.get("/other") { _, _ in Response(status: .unauthorized) }
        }) { base in
            var config = lab.config(agents: [base + "/metrics", base + "/other"])
            config.proxyMetrics?.bearerTokenEnv = "CHECK_AGENT_TOKEN"
            var logger = Logger(label: "check-test")
            logger.logLevel = .critical
            let check = ConfigCheck(config: config, configPath: "exporterd.yaml", environment: ["CHECK_AGENT_TOKEN": secret], logger: logger)
            return (try await check.run(), base)
        }
        #expect(outcome(report, "agent \(base)/metrics")?.outcome == .pass)
        #expect(outcome(report, "agent \(base)/other") == .fail("agent \(base)/other", "HTTP 401"))
        #expect(!report.text().contains(secret))
        #expect(try !report.json().contains(secret))
    }

    /// topics_regex is expanded against the source's topic list; what it adds is matched like a mapping.
    @Test func regexTopicsAreMatchedToo() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        let report = try await withLocalHTTPServer(Self.serving(Self.fullPage)) { base in
            var config = lab.config(agents: [base + "/metrics"])
            config.topicMappings = [TopicMapping(sourceTopic: "orders", destinationTopic: "orders")]
            config.topicsRegex = "pay.*"
            return try await Self.check(config)
        }
        #expect(outcome(report, "topics_regex") == .pass("topics_regex", "\"pay.*\" matches 1 source topic"))
        #expect(outcome(report, "topic payments → payments") == .fail("topic payments → payments", "not on the destination cluster"))
        #expect(outcome(report, "topic orders → orders")?.outcome == .pass)
    }

    /// https agent and state URL behind a private CA and bearer tokens, all from env: both read
    /// (the CA and tokens reach the requests), neither secret in the output. The same agent
    /// without the CA fails its line.
    @Test func httpsAgentAndStateURLWithTheConfiguredCAAndTokens() async throws {
        let lab = try await Lab.start()
        defer { Task { await lab.stop() } }
        let pki = try TestCertificates.make()
        let (agentToken, stateToken) = ("agent-\(UUID().uuidString)", "state-\(UUID().uuidString)")
        let ca = try pki.text(pki.caCert)
        let state = #"{"topics": [{"topic": "orders", "state": "PROXY", "since": "2026-11-24T10:00:00Z"}, {"topic": "payments", "state": "COMPLETE", "since": "2026-11-24T09:00:00Z"}]}"#
        let (trusted, untrusted) = try await withLocalHTTPSServer(pki, { router in
            router.get("/metrics") { request, _ in
                guard request.headers[.authorization] == "Bearer \(agentToken)" else { return Response(status: .unauthorized) }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: Self.fullPage)))
            }
            router.get("/status") { request, _ in
                guard request.headers[.authorization] == "Bearer \(stateToken)" else { return Response(status: .unauthorized) }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: state)))
            }
        }) { base in
            var config = lab.config(agents: [base + "/metrics"])
            config.proxyMetrics?.bearerTokenEnv = "AGENT_TOKEN"
            config.proxyMetrics?.tlsCACertEnv = "AGENT_CA"
            var stateSettings = MigrationStateSettings(location: .url(base + "/status", bearerTokenEnv: "STATE_TOKEN"))
            stateSettings.tlsCACertEnv = "STATE_CA"
            config.migrationState = stateSettings
            var logger = Logger(label: "check-test")
            logger.logLevel = .critical
            let environment = ["AGENT_TOKEN": agentToken, "AGENT_CA": ca, "STATE_TOKEN": stateToken, "STATE_CA": ca]
            let trusted = try await ConfigCheck(config: config, configPath: "exporterd.yaml", environment: environment, logger: logger).run()
            config.proxyMetrics?.tlsCACertEnv = nil
            config.proxyMetrics?.timeout = .seconds(2)
            let untrusted = try await ConfigCheck(config: config, configPath: "exporterd.yaml", environment: environment, logger: logger).run()
            return (trusted, untrusted)
        }
        #expect(trusted.results.allSatisfy { $0.outcome == .pass }, "\(trusted.text())")
        #expect(trusted.results.contains { $0.name.hasPrefix("migration state https://localhost:") && $0.detail == "read; 2 topics (1 PROXY, 1 COMPLETE)" })
        let agent = try #require(untrusted.results.first { $0.name.hasPrefix("agent https://localhost:") })
        #expect(agent.outcome == .fail)
        #expect(agent.detail.hasPrefix("unreachable: "), "\(agent.detail)")
        for report in [trusted, untrusted] {
            for secret in [agentToken, stateToken] {
                #expect(!report.text().contains(secret))
                #expect(try !report.json().contains(secret))
            }
        }
    }
}
