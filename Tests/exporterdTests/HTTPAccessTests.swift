/// Agent targets and the state URL behind auth: the credentials named by the config reach the
/// endpoint (a local server checks the header), https works with the CA from env and fails
/// without it, and no secret shows in any error a failed read reports.
import AsyncHTTPClient
import Diagnostics
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Testing
@testable import exporterd

/// `withLocalHTTPServer` behind TLS with the test PKI's server certificate.
func withLocalHTTPSServer<T: Sendable>(
    _ pki: TestCertificates,
    _ configure: (Router<BasicRequestContext>) -> Void,
    _ body: (_ baseURL: String) async throws -> T
) async throws -> T {
    let tls = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile(pki.serverCert.path).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: pki.serverKey.path, format: .pem)))
    return try await withLocalServer(
        server: try .tls(.http1(), tlsConfiguration: tls), baseURL: { "https://localhost:\($0)" }, configure, body)
}

@Suite struct HTTPAccessTests {
    static let page = "kafka_proxy_produced_records_total{topic=\"orders\"} 7\nkafka_proxy_produced_bytes_total{topic=\"orders\"} 70\n"
    static let password = "agent-pa55-\(UUID().uuidString)"
    static let token = "agent-token-\(UUID().uuidString)"

    /// An agent that answers only to `expected`, recording what each request carried.
    static func agent(_ log: RequestLog, expected: String) -> (Router<BasicRequestContext>) -> Void {
        { router in
            router.get("/metrics") { request, _ in
                log.record(authorization: request.headers[.authorization])
                guard request.headers[.authorization] == expected else { return Response(status: .unauthorized) }
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                                body: .init(byteBuffer: ByteBuffer(string: page)))
            }
        }
    }

    func scrape(_ target: String, _ settings: (inout ProxyMetricsSettings) -> Void, environment: [String: String]) async throws -> Result<ProxiedCounterPage, ProxyAgents.ScrapeError> {
        var proxy = ProxyMetricsSettings(targets: [target], timeout: .seconds(5))
        settings(&proxy)
        let access = try HTTPAccess.agents(proxy, environment: environment)
        let read = await ProxyAgents(settings: proxy, client: .shared, access: access).scrape()
        return try #require(read.pages[target])
    }

    @Test func basicAuthFromEnvIsSentToEveryTarget() async throws {
        let log = RequestLog()
        let expected = "Basic " + Data("scraper:\(Self.password)".utf8).base64EncodedString()
        let environment = ["AGENT_USER": "scraper", "AGENT_PASS": Self.password]
        let (good, wrong) = try await withLocalHTTPServer(Self.agent(log, expected: expected)) { base in
            let good = try await scrape(base + "/metrics", {
                $0.basicAuthUsernameEnv = "AGENT_USER"
                $0.basicAuthPasswordEnv = "AGENT_PASS"
            }, environment: environment)
            let wrong = try await scrape(base + "/metrics", {
                $0.basicAuthUsernameEnv = "AGENT_USER"
                $0.basicAuthPasswordEnv = "OTHER"
            }, environment: environment.merging(["OTHER": "wrong-\(Self.password)"]) { $1 })
            return (good, wrong)
        }
        #expect(try good.get().countersByTopic["orders"]?.records == 7)
        #expect(log.seen.first == expected)
        guard case .failure(let error) = wrong else {
            Issue.record("a wrong password was accepted")
            return
        }
        #expect(error.reason == "HTTP 401")
        #expect(!String(reflecting: error).contains(Self.password))
    }

    @Test func bearerTokenFromEnvIsSent() async throws {
        let log = RequestLog()
        let result = try await withLocalHTTPServer(Self.agent(log, expected: "Bearer \(Self.token)")) { base in
            try await scrape(base + "/metrics", { $0.bearerTokenEnv = "AGENT_TOKEN" }, environment: ["AGENT_TOKEN": Self.token])
        }
        #expect(try result.get().countersByTopic["orders"]?.bytes == 70)
        #expect(log.seen == ["Bearer \(Self.token)"])
    }

    @Test func withoutCredentialsConfiguredNoneAreSent() async throws {
        let log = RequestLog()
        let result = try await withLocalHTTPServer(Self.agent(log, expected: "none")) { base in
            try await scrape(base + "/metrics", { _ in }, environment: [:])
        }
        #expect(log.seen == [nil])
        guard case .failure(.status(_, 401)) = result else {
            Issue.record("expected 401, got \(result)")
            return
        }
    }

    @Test func httpsTargetWorksWithTheCAFromEnvAndNotWithout() async throws {
        let pki = try TestCertificates.make()
        let log = RequestLog()
        let expected = "Bearer \(Self.token)"
        let (trusted, untrusted, wrongCA) = try await withLocalHTTPSServer(pki, Self.agent(log, expected: expected)) { base in
            let environment = ["AGENT_TOKEN": Self.token, "AGENT_CA": try pki.text(pki.caCert), "OTHER_CA": try pki.text(pki.otherCACert)]
            let trusted = try await scrape(base + "/metrics", {
                $0.bearerTokenEnv = "AGENT_TOKEN"
                $0.tlsCACertEnv = "AGENT_CA"
            }, environment: environment)
            let untrusted = try await scrape(base + "/metrics", { $0.bearerTokenEnv = "AGENT_TOKEN" }, environment: environment)
            let wrongCA = try await scrape(base + "/metrics", {
                $0.bearerTokenEnv = "AGENT_TOKEN"
                $0.tlsCACertEnv = "OTHER_CA"
            }, environment: environment)
            return (trusted, untrusted, wrongCA)
        }
        #expect(try trusted.get().countersByTopic["orders"]?.records == 7)
        for failed in [untrusted, wrongCA] {
            guard case .failure(.unreachable(_, let reason)) = failed else {
                Issue.record("expected a TLS failure, got \(failed)")
                continue
            }
            #expect(!reason.contains(Self.token))
        }
        // The token went only to the server the CA vouches for.
        #expect(log.seen == [expected])
    }

    @Test func httpsStateURLWithBearerTokenAndCA() async throws {
        let pki = try TestCertificates.make()
        let log = RequestLog()
        let json = #"{"topics": [{"topic": "orders", "state": "PROXY", "since": "2026-11-24T10:00:00Z"}]}"#
        let result = try await withLocalHTTPSServer(pki, { router in
            router.get("/status") { request, _ in
                log.record(authorization: request.headers[.authorization])
                guard request.headers[.authorization] == "Bearer \(Self.token)" else { return Response(status: .unauthorized) }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
            }
        }) { base in
            var settings = MigrationStateSettings(location: .url(base + "/status", bearerTokenEnv: "STATE_TOKEN"))
            settings.tlsCACertEnv = "STATE_CA"
            settings.timeout = .seconds(5)
            let environment = ["STATE_TOKEN": Self.token, "STATE_CA": try pki.text(pki.caCert)]
            let clock = TestClock()
            let source = MigrationStateSource(
                settings: settings, client: .shared, environment: environment,
                access: try HTTPAccess.stateSource(settings, environment: environment), now: clock.now, sleep: clock.sleep)
            return await source.read()
        }
        let document = try result.get()
        #expect(document.topics.map(\.topic) == ["orders"])
        #expect(log.seen.allSatisfy { $0 == "Bearer \(Self.token)" } && !log.seen.isEmpty)
    }
}
