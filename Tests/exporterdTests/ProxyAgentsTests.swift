/// Scraping the proxy agents (CONTRACT §2 proxy_metrics, §5 proxy_counters_incomplete) against
/// a real local HTTP server: every failure is typed per target, a slow agent costs at most the
/// timeout, and the others' pages still come through.
import AsyncHTTPClient
import Diagnostics
import Foundation
import Hummingbird
import Logging
import Testing
@testable import exporterd

@Suite struct ProxyAgentsTests {
    let logger = Logger(label: "test")

    static func page(orders: Int, payments: Int) -> String {
        """
        # HELP kafka_proxy_produced_records_total Records acknowledged by the source.
        # TYPE kafka_proxy_produced_records_total counter
        kafka_proxy_produced_records_total{topic="orders",partition="0"} \(orders / 2)
        kafka_proxy_produced_records_total{topic="orders",partition="1"} \(orders - orders / 2)
        kafka_proxy_produced_records_total{topic="payments.eu",partition="0"} \(payments)
        # TYPE kafka_proxy_produced_bytes_total counter
        kafka_proxy_produced_bytes_total{topic="orders",partition="0"} \(orders * 100)
        kafka_proxy_produced_bytes_total{topic="payments.eu",partition="0"} \(payments * 10)
        # TYPE process_cpu_seconds_total counter
        process_cpu_seconds_total 12.5

        """
    }

    static func serving(_ body: String, contentType: String = "text/plain; version=0.0.4", status: HTTPResponse.Status = .ok)
        -> @Sendable (Request, BasicRequestContext) async throws -> Response {
        { _, _ in Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body))) }
    }

    static func stalling(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await Task.sleep(for: .seconds(60))
        return Response(status: .ok)
    }

    func agents(_ targets: [String], timeout: Duration = .seconds(2)) -> ProxyAgents {
        ProxyAgents(settings: ProxyMetricsSettings(targets: targets, timeout: timeout), client: .shared)
    }

    /// A server with one route per page, all agents of one test.
    func withAgents<T: Sendable>(_ configure: (Router<BasicRequestContext>) -> Void, _ body: (String) async throws -> T) async throws -> T {
        try await withLocalHTTPServer(configure, body)
    }

    @Test func twoAgentsSummedPerSourceTopic() async throws {
        let read = try await withAgents({ router in
            router.get("/a", use: Self.serving(Self.page(orders: 10, payments: 3)))
            router.get("/b", use: Self.serving(Self.page(orders: 5, payments: 0)))
        }) { base in await agents([base + "/a", base + "/b"]).scrape() }
        #expect(read.allAnswered)
        #expect(read.pages.count == 2)
        let a = try #require(read.pages.first { $0.key.hasSuffix("/a") }?.value)
        #expect(try a.get().countersByTopic["orders"] == TopicCounters(records: 10, bytes: 1000))
        #expect(try a.get().countersByTopic["payments.eu"] == TopicCounters(records: 3, bytes: 30))

        var totals = ProxiedCounterTotals()
        let proxied = try #require(MigrationWatch.proxiedRead(
            read, sourceTopics: ["orders": "orders", "payments.eu": "payments"], totals: &totals, logger: logger))
        #expect(proxied.recordsByTopic == ["orders": 15, "payments": 3])
        #expect(totals.totals(forSourceTopic: "orders") == TopicCounters(records: 15, bytes: 1500))
        #expect(proxied.restartedTopics.isEmpty)
    }

    @Test func agentDownIsTypedAndMakesTheReadIncomplete() async throws {
        let read = try await withAgents({ router in
            router.get("/a", use: Self.serving(Self.page(orders: 1, payments: 1)))
        }) { base in
            // AsyncHTTPClient retries a refused connection until the deadline, so this test takes
            // the whole timeout; it must still be long enough for the live agent to answer on a
            // machine busy with the rest of the suite (300 ms was not).
            await agents([base + "/a", refusedURL + "/metrics"], timeout: .seconds(3)).scrape()
        }
        #expect(!read.allAnswered)
        guard case .failure(.unreachable(let target, _))? = read.pages[refusedURL + "/metrics"] else {
            Issue.record("expected .unreachable, got \(String(describing: read.pages[refusedURL + "/metrics"]))")
            return
        }
        #expect(target == refusedURL + "/metrics")
        #expect(read.pages.values.filter { (try? $0.get()) != nil }.count == 1)

        var totals = ProxiedCounterTotals()
        #expect(MigrationWatch.proxiedRead(read, sourceTopics: ["orders": "orders"], totals: &totals, logger: logger) == nil)
    }

    @Test func unparsablePageNamesTheTargetAndTheLine() async throws {
        let read = try await withAgents({ router in
            router.get("/bad", use: Self.serving("go_goroutines 4\nkafka_proxy_produced_records_total{topic=\"orders\" 12\n"))
            router.get("/json", use: Self.serving(#"{"error": "not ready"}"#))
        }) { base in await agents([base + "/bad", base + "/json"]).scrape() }
        #expect(!read.allAnswered)
        for (target, page) in read.pages {
            guard case .failure(.unparsable(let named, let error)) = page else {
                Issue.record("\(target): expected .unparsable, got \(page)")
                continue
            }
            #expect(named == target)
            #expect(error.line == (target.hasSuffix("/bad") ? 2 : 1))
            if case .failure(let error) = page { #expect(error.description.hasPrefix(target)) }
        }
        let bad = try #require(read.pages.keys.first { $0.hasSuffix("/bad") })
        #expect(read.problem(of: bad, totals: ProxiedCounterTotals()) == "unusable page: line 2: expected ',' or '}' after the label value")
    }

    /// An HTML body (a login or error page) is refused by its Content-Type, whatever it holds.
    @Test func htmlPageIsNotMetrics() async throws {
        let read = try await withAgents({ router in
            router.get("/html", use: Self.serving("kafka_proxy_produced_records_total{topic=\"orders\"} 1\n", contentType: "text/html; charset=utf-8"))
        }) { base in await agents([base + "/html"]).scrape() }
        guard case .failure(.notMetrics(_, let type))? = read.pages.values.first else {
            Issue.record("expected .notMetrics, got \(read.pages)")
            return
        }
        #expect(type == "text/html; charset=utf-8")
    }

    /// The page cap holds with and without a Content-Length (a chunked body that never stops
    /// growing), and the default cap is 32 MiB.
    @Test func pageLargerThanTheCapIsRefused() async throws {
        let line = "kafka_proxy_produced_records_total{topic=\"orders\",partition=\"0\"} 1\n"
        let read = try await withAgents({ router in
            router.get("/sized", use: Self.serving(String(repeating: line, count: 200)))
            router.get("/chunked") { _, _ -> Response in
                Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody { writer in
                    for _ in 0..<200 { try await writer.write(ByteBuffer(string: line)) }
                    try await writer.finish(nil)
                })
            }
            router.get("/small", use: Self.serving(String(repeating: line, count: 10)))
        }) { base in
            var agents = agents([base + "/sized", base + "/chunked", base + "/small"])
            agents.pageLimit = 4096
            return await agents.scrape()
        }
        for (target, page) in read.pages {
            if target.hasSuffix("/small") {
                #expect((try? page.get()) != nil, "\(page)")
            } else {
                guard case .failure(.tooLarge(_, 4096)) = page else {
                    Issue.record("\(target): expected .tooLarge, got \(page)")
                    continue
                }
            }
        }
        #expect(ProxyAgents.defaultPageLimit == 32 * 1024 * 1024)
        #expect(agents(["http://x/metrics"]).pageLimit == ProxyAgents.defaultPageLimit)
    }

    @Test func non200IsStatus() async throws {
        let read = try await withAgents({ router in
            router.get("/metrics", use: Self.serving("unavailable", status: .serviceUnavailable))
        }) { base in await agents([base + "/metrics", base + "/nowhere"]).scrape() }
        guard case .failure(.status(_, let code))? = read.pages.first(where: { $0.key.hasSuffix("/metrics") })?.value else {
            Issue.record("expected .status, got \(read.pages)")
            return
        }
        #expect(code == 503)
        guard case .failure(.status(_, 404))? = read.pages.first(where: { $0.key.hasSuffix("/nowhere") })?.value else {
            Issue.record("expected 404, got \(read.pages)")
            return
        }
    }

    /// One agent slower than `proxy_metrics.timeout`: it fails, and the scrape of the others
    /// completes within about the timeout, not the slow agent's time.
    @Test func slowAgentTimesOutAndTheOthersStillAnswer() async throws {
        let (read, elapsed) = try await withAgents({ router in
            router.get("/fast", use: Self.serving(Self.page(orders: 2, payments: 2)))
            router.get("/slow", use: Self.stalling)
        }) { base in
            // Long enough for the fast agent on a machine busy with the rest of the suite; the
            // point is that the scrape ends near the timeout, not after the slow agent's 60 s.
            let agents = agents([base + "/fast", base + "/slow"], timeout: .seconds(2))
            return await timed(limit: .seconds(20)) { await agents.scrape() }
        }
        let pages = try #require(read?.pages)
        #expect(elapsed < .seconds(10), "\(elapsed)")
        #expect((try? pages.first { $0.key.hasSuffix("/fast") }?.value.get()) != nil)
        guard case .failure(.unreachable)? = pages.first(where: { $0.key.hasSuffix("/slow") })?.value else {
            Issue.record("expected the slow agent to fail, got \(pages)")
            return
        }
    }

    /// Headers at once, then a page that never ends: the timeout covers the body too.
    @Test func stalledBodyTimesOut() async throws {
        let (read, elapsed) = try await withAgents({ router in
            router.get("/trickle") { _, _ -> Response in
                Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "# TYPE kafka_proxy_produced_records_total counter\n"))
                    try await Task.sleep(for: .seconds(60))
                    try await writer.finish(nil)
                })
            }
        }) { base in
            let agents = agents([base + "/trickle"], timeout: .milliseconds(400))
            return await timed(limit: .seconds(20)) { await agents.scrape() }
        }
        #expect(elapsed < .seconds(10), "\(elapsed)")  // the body's 60 s would blow through this
        guard case .failure(.unreachable)? = read?.pages.values.first else {
            Issue.record("expected a timeout, got \(String(describing: read?.pages))")
            return
        }
    }

    @Test func openMetricsPageAccepted() async throws {
        let page = """
            # TYPE kafka_proxy_produced_records counter
            # HELP kafka_proxy_produced_records Records acknowledged by the source.
            kafka_proxy_produced_records_total{topic="orders"} 42 1764000000.000
            kafka_proxy_produced_records_created{topic="orders"} 1763990000.0
            # TYPE kafka_proxy_produced_bytes counter
            kafka_proxy_produced_bytes_total{topic="orders"} 4200
            # EOF

            """
        let read = try await withAgents({ router in
            router.get("/om", use: Self.serving(page, contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8"))
        }) { base in await agents([base + "/om"]).scrape() }
        #expect(read.allAnswered, "\(read.pages)")
        #expect(try read.pages.values.first?.get().countersByTopic["orders"] == TopicCounters(records: 42, bytes: 4200))
    }
}

@Suite struct ProxyAgentsRedactionTests {
    /// A target URL with basic-auth credentials must not leak them into logs through errors.
    @Test func errorsNeverShowURLCredentials() {
        let error = ProxyAgents.ScrapeError.status(target: "http://scraper:hunter2@agent-1:8080/metrics", code: 401)
        #expect(!error.description.contains("hunter2"))
        #expect(error.description.contains("agent-1:8080"))
    }
}
