/// The exporter's own server on a real port: HTTPS with the `web_config_file` certificate and
/// basic auth, checked through AsyncHTTPClient trusting the test CA; mTLS when the file asks
/// for client certificates.
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Logging
import MetricsExporter
import NIOCore
import NIOSSL
import Testing
@testable import exporterd

/// Runs the exporter's application on 127.0.0.1 with an ephemeral port for `body`.
func withExporterServer<T: Sendable>(
    options: WebServerOptions, connections: OpenConnections? = nil, state: ExporterState = ExporterState(),
    _ body: (_ port: Int) async throws -> T
) async throws -> T {
    var logger = Logger(label: "exporter-under-test")
    logger.logLevel = .critical
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = try buildApplication(
        state: state, host: "127.0.0.1", port: 0, options: options, connections: connections,
        onServerRunning: { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
            continuation.finish()
        },
        logger: logger)
    let server = Task { try await app.run() }
    defer { server.cancel() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next(), port > 0 else { throw LocalHTTPServerFailed() }
    let result = try await body(port)
    server.cancel()
    _ = await server.result
    return result
}

@Suite struct WebServerTests {
    static let hash = Bcrypt.hash("scrape-pass", cost: 4)

    func options(_ pki: TestCertificates, clientAuth: WebConfig.ClientAuth = .none) throws -> WebServerOptions {
        var web = WebConfig(file: "web-config.yml")
        web.tls = .init(certFile: pki.serverCert.path, keyFile: pki.serverKey.path,
                        clientCAFile: clientAuth == .none ? nil : pki.caCert.path, clientAuth: clientAuth)
        web.basicAuthUsers = ["prometheus": Self.hash]
        return try web.serverOptions()
    }

    func client(trusting ca: URL, clientCertificate: (URL, URL)? = nil) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca.path))
        if let (cert, key) = clientCertificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert.path).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key.path, format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(5))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func get(_ client: HTTPClient, _ url: String, user: String? = nil, password: String? = nil) async throws -> (UInt, String, String?) {
        var request = HTTPClientRequest(url: url)
        if let user, let password {
            request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: body), response.headers.first(name: "WWW-Authenticate"))
    }

    @Test func httpsWithBasicAuthServesMetricsAndRefusesWrongCredentials() async throws {
        let pki = try TestCertificates.make()
        try await withHTTPClient(try client(trusting: pki.caCert)) { client in try await withExporterServer(options: try options(pki)) { port in
            for host in ["localhost", "127.0.0.1"] {
                let base = "https://\(host):\(port)"
                let ok = try await get(client, "\(base)/metrics", user: "prometheus", password: "scrape-pass")
                #expect(ok.0 == 200)
                #expect(ok.1.contains("kafka_migration_exporter_build_info"))
                for (user, password) in [(nil, nil), ("prometheus", "wrong"), ("other", "scrape-pass")] as [(String?, String?)] {
                    for path in ["/metrics", "/api/v1/status", "/api/v1/events"] {
                        let refused = try await get(client, base + path, user: user, password: password)
                        #expect(refused.0 == 401, "\(path) as \(user ?? "nobody")")
                        #expect(refused.2?.hasPrefix("Basic") == true)
                    }
                }
                #expect(try await get(client, "\(base)/healthz").0 == 200)
            }
        } }
    }

    @Test func aClientThatDoesNotTrustTheCAOrSpeaksPlainHTTPGetsNothing() async throws {
        let pki = try TestCertificates.make()
        try await withHTTPClient(try client(trusting: pki.otherCACert)) { stranger in
            try await withHTTPClient(HTTPClient(eventLoopGroupProvider: .singleton)) { plain in
                try await withExporterServer(options: try options(pki)) { port in
                    await #expect(throws: (any Error).self) {
                        _ = try await get(stranger, "https://localhost:\(port)/healthz")
                    }
                    await #expect(throws: (any Error).self) {
                        _ = try await get(plain, "http://127.0.0.1:\(port)/healthz")
                    }
                }
            }
        }
    }

    @Test func requiredClientCertificatesAreChecked() async throws {
        let pki = try TestCertificates.make()
        try await withHTTPClient(try client(trusting: pki.caCert, clientCertificate: (pki.clientCert, pki.clientKey))) { withCertificate in
            try await withHTTPClient(try client(trusting: pki.caCert)) { without in
                try await withExporterServer(options: try options(pki, clientAuth: .requireAndVerify)) { port in
                    let answer = try await get(withCertificate, "https://localhost:\(port)/metrics", user: "prometheus", password: "scrape-pass")
                    #expect(answer.0 == 200)
                    await #expect(throws: (any Error).self) {
                        _ = try await get(without, "https://localhost:\(port)/healthz")
                    }
                }
            }
        }
    }
}
