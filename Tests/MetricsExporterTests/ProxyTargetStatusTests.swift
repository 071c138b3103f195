/// `/api/v1/status` says per proxy target why its counters are unusable (issue 8 item 3: the
/// malformed line named), `null` while it is up, and the answer still matches docs/openapi.yaml.
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import MetricsExporter

@Suite struct ProxyTargetStatusTests {
    static let snapshot: MetricsSnapshot = {
        var snapshot = MetricsFixtures.golden
        snapshot.proxyTargets = [
            ProxyTargetMetrics(target: "http://agent-1:8080/metrics", up: true),
            ProxyTargetMetrics(target: "http://agent-2:8080/metrics", up: false,
                               error: #"unusable page: line 812: records{topic="orders"} value 1e+300 is beyond 2^53"#),
        ]
        return snapshot
    }()

    @Test func statusNamesTheReasonPerTarget() async throws {
        let document = try OpenAPIConformanceTests.loadDocument()
        let app = Application(router: buildRouter(state: ExporterState(initial: Self.snapshot)))
        try await app.test(.router) { client in
            let response = try await client.executeRequest(uri: "/api/v1/status", method: .get, headers: [:], body: nil)
            let status = try JSONValue.parse(json: response.body)
            #expect(status["proxy_targets"]?[0]?["error"] == .null)
            #expect(status["proxy_targets"]?[1]?["up"] == .bool(false))
            #expect(status["proxy_targets"]?[1]?["error"]?.string?.hasPrefix("unusable page: line 812: ") == true)
            #expect(try OpenAPIConformanceTests.violations(document, path: "/api/v1/status", response: response) == [])
        }
    }
}
