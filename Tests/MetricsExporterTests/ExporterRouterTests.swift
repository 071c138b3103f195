/// The HTTP routes through Hummingbird's router test framework: no port, no poll loop, a
/// fixed snapshot in an `ExporterState`.
import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import MetricsExporter

@Suite struct ExporterRouterTests {
    private func application(_ state: ExporterState) -> some ApplicationProtocol {
        buildApplication(state: state, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
    }

    @Test func metricsServesTheLatestSnapshotAsText() async throws {
        let state = ExporterState(initial: MetricsFixtures.golden)
        try await application(state).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                #expect(response.headers[.contentEncoding] == nil)
                #expect(String(buffer: response.body) == MetricsPage.renderText(MetricsFixtures.golden))
            }
        }
    }

    @Test func metricsIsGzippedWhenAsked() async throws {
        let state = ExporterState(initial: MetricsFixtures.golden)
        try await application(state).test(.router) { client in
            try await client.execute(
                uri: "/metrics", method: .get, headers: [.acceptEncoding: "deflate, gzip;q=0.8"]
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.headers[.contentType] == MetricsPage.contentType)
                var body = response.body
                let plain = try body.decompress(with: .gzip())
                #expect(String(buffer: plain) == MetricsPage.renderText(MetricsFixtures.golden))
            }
            // q=0 means "not gzip".
            try await client.execute(uri: "/metrics", method: .get, headers: [.acceptEncoding: "gzip;q=0"]) { response in
                #expect(response.headers[.contentEncoding] == nil)
            }
        }
    }

    @Test func metricsFollowsPublishedSnapshots() async throws {
        let state = ExporterState()
        try await application(state).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(!String(buffer: response.body).contains("topic=\"orders\""))
            }
            state.publish(MetricsFixtures.golden)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("topic=\"orders\""))
            }
        }
    }

    @Test func healthzAnswersWhileServing() async throws {
        try await application(ExporterState()).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func readyzWaitsForBothClusters() async throws {
        let state = ExporterState()
        try await application(state).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
            // Only the source has answered so far: still not ready.
            var snapshot = MetricsSnapshot()
            snapshot.source.lastSuccessfulPoll = MetricsFixtures.tenOClock
            state.publish(snapshot)
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
            snapshot.destination.lastSuccessfulPoll = MetricsFixtures.tenOClock
            state.publish(snapshot)
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    /// The same application over a real socket (port 0: the system picks one), to check the
    /// wiring of `buildApplication` and not just the router.
    @Test func applicationServesOverTCP() async throws {
        let state = ExporterState(initial: MetricsFixtures.golden)
        try await application(state).test(.live) { client in
            try await client.execute(uri: "/metrics", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == "gzip")
                var body = response.body
                let plain = try body.decompress(with: .gzip())
                #expect(String(buffer: plain) == MetricsPage.renderText(MetricsFixtures.golden))
            }
        }
    }
}
