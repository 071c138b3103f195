/// `docs/openapi.yaml` against the real routes: each JSON answer of the router (status,
/// events, errors) is validated against the schema the document gives for that path and
/// status code, with `JSONSchemaChecker`. The checker is first shown to reject what it must.
import Diagnostics
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import MetricsExporter

@Suite struct OpenAPIConformanceTests {
    static let documentURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/openapi.yaml")

    static func loadDocument() throws -> JSONValue {
        try JSONValue.parse(yaml: String(contentsOf: documentURL, encoding: .utf8))
    }

    /// The component schema the document names for `GET path` answering `status` in `contentType`.
    static func schemaName(_ document: JSONValue, path: String, status: Int, contentType: String = "application/json") -> String? {
        let reference = document["paths"]?[path]?["get"]?["responses"]?[String(status)]?["content"]?[contentType]?["schema"]?["$ref"]?.string
        return reference.map { String($0.split(separator: "/").last!) }
    }

    /// Checks a real answer against the document; returns the problems.
    static func violations(_ document: JSONValue, path: String, response: TestResponse) throws -> [String] {
        guard let name = schemaName(document, path: path, status: Int(response.status.code)) else {
            return ["\(path): the document has no JSON schema for status \(response.status.code)"]
        }
        return JSONSchemaChecker(document: document).violations(of: try JSONValue.parse(json: response.body), against: name)
    }

    @Test func documentDescribesEveryEndpoint() throws {
        let document = try Self.loadDocument()
        #expect(document["openapi"]?.string?.hasPrefix("3.") == true)
        guard case .object(let paths) = document["paths"] else {
            Issue.record("no paths")
            return
        }
        #expect(Set(paths.keys) == ["/metrics", "/healthz", "/readyz", "/api/v1/status", "/api/v1/events", "/api/v1/events/stream",
                                    "/api/v1/audit"])
    }

    @Test func checkerRejectsWhatItMust() throws {
        let checker = JSONSchemaChecker(document: try Self.loadDocument())
        let good = try JSONValue.parse(json: EventFixtures.enabled(1).json)
        #expect(checker.violations(of: good, against: "Event") == [])
        let bad: [String] = [
            #"{"seq":1,"at":"2026-11-24T10:05:00.123Z","topic":"t","type":"ENABLED","from":"REJECT","to":"PROXY"}"#,  // no details
            #"{"seq":1,"at":"2026-11-24T10:05:00.123Z","topic":"t","type":"ENABLED","from":"REJECT","to":"PROXY","details":{},"x":1}"#,
            #"{"seq":"1","at":"2026-11-24T10:05:00.123Z","topic":"t","type":"ENABLED","from":"REJECT","to":"PROXY","details":{}}"#,
            #"{"seq":0,"at":"2026-11-24T10:05:00.123Z","topic":"t","type":"ENABLED","from":"REJECT","to":"PROXY","details":{}}"#,
            #"{"seq":1,"at":"yesterday","topic":"t","type":"ENABLED","from":"REJECT","to":"PROXY","details":{}}"#,
            #"{"seq":1,"at":"2026-11-24T10:05:00.123Z","topic":"t","type":"STARTED","from":"REJECT","to":"PROXY","details":{}}"#,
            #"{"seq":1,"at":"2026-11-24T10:05:00.123Z","topic":"t","type":"ENABLED","from":"OFF","to":"PROXY","details":{}}"#,
            #"{"seq":1,"at":"2026-11-24T10:05:00.123Z","topic":"t","type":"ENABLED","from":null,"to":null,"details":{"a":[1]}}"#,
        ]
        for json in bad {
            #expect(!checker.violations(of: try JSONValue.parse(json: json), against: "Event").isEmpty, "\(json)")
        }
        #expect(!checker.violations(of: try JSONValue.parse(json: #"{"error":"x","parameter":1}"#), against: "Error").isEmpty)
        #expect(!checker.violations(of: try JSONValue.parse(json: #"{"events":{}}"#), against: "EventList").isEmpty)
    }

    /// The golden snapshot with a direct producer on payments.eu (one with a known last write,
    /// one without), so the `producers` schema is checked against real output too.
    static let withProducers: MetricsSnapshot = {
        var snapshot = MetricsFixtures.golden
        if let index = snapshot.topics.firstIndex(where: { $0.topic == "payments.eu" }) {
            snapshot.topics[index].directProducers = [
                ProducerInfo(producerId: 4001, producerEpoch: 3, lastTimestamp: MetricsFixtures.tenOClock, partition: 0),
                ProducerInfo(producerId: 4002, producerEpoch: 0, lastTimestamp: nil, partition: 0),
            ]
        }
        return snapshot
    }()

    @Test func statusListsDirectProducers() async throws {
        let app = Application(router: buildRouter(state: ExporterState(initial: Self.withProducers)))
        try await app.test(.router) { client in
            let response = try await client.executeRequest(uri: "/api/v1/status", method: .get, headers: [:], body: nil)
            let body = String(buffer: response.body)
            #expect(body.contains(#""producer_id":4001"#) || body.contains(#""producer_id" : 4001"#))
            #expect(body.contains("4002"))
        }
    }

    @Test(arguments: [MetricsFixtures.golden, MetricsSnapshot.beforeFirstPoll, Self.withProducers])
    func statusConforms(snapshot: MetricsSnapshot) async throws {
        let document = try Self.loadDocument()
        let app = Application(router: buildRouter(state: ExporterState(initial: snapshot)))
        try await app.test(.router) { client in
            let response = try await client.executeRequest(uri: "/api/v1/status", method: .get, headers: [:], body: nil)
            #expect(response.status == .ok)
            let problems = try Self.violations(document, path: "/api/v1/status", response: response)
            #expect(problems == [])
        }
    }

    @Test func eventsAndErrorsConform() async throws {
        let document = try Self.loadDocument()
        let store = FakeEventStore(EventFixtures.sequence(1...6))
        let app = Application(router: buildRouter(state: ExporterState(), events: store))
        try await app.test(.router) { client in
            for uri in ["/api/v1/events", "/api/v1/events?topic=payments&limit=1", "/api/v1/events?after=6"]
                + APIRoutesTests.badParameters.map({ "/api/v1/events?\($0.query)" })
            {
                let response = try await client.executeRequest(uri: uri, method: .get, headers: [:], body: nil)
                let problems = try Self.violations(document, path: "/api/v1/events", response: response)
                #expect(problems == [], "\(uri)")
            }
        }
        let failing = Application(router: buildRouter(state: ExporterState(), events: FailingEventStore()))
        try await failing.test(.router) { client in
            let response = try await client.executeRequest(uri: "/api/v1/events", method: .get, headers: [:], body: nil)
            #expect(response.status == .internalServerError)
            let problems = try Self.violations(document, path: "/api/v1/events", response: response)
            #expect(problems == [])
        }
    }

    @Test func streamErrorsAndEventsConform() async throws {
        let document = try Self.loadDocument()
        let checker = JSONSchemaChecker(document: document)
        let broadcaster = EventBroadcaster()
        broadcaster.finishAll()  // the response ends after the replay
        let app = Application(router: buildRouter(state: ExporterState(), events: FakeEventStore(EventFixtures.sequence(1...4)), broadcaster: broadcaster))
        try await app.test(.router) { client in
            let bad = try await client.executeRequest(uri: "/api/v1/events/stream", method: .get, headers: [.lastEventID: "x"], body: nil)
            #expect(bad.status == .badRequest)
            let problems = try Self.violations(document, path: "/api/v1/events/stream", response: bad)
            #expect(problems == [])
            let good = try await client.executeRequest(uri: "/api/v1/events/stream", method: .get, headers: [:], body: nil)
            #expect(good.status == .ok)
            #expect(document["paths"]?["/api/v1/events/stream"]?["get"]?["responses"]?["200"]?["content"]?["text/event-stream"] != nil)
            let messages = EventStreamTests.messages(String(buffer: good.body))
            #expect(messages.count == 4)
            for message in messages {
                #expect(checker.violations(of: try JSONValue.parse(json: message.data), against: "Event") == [])
            }
        }
    }

    @Test func plainEndpointsAnswerWithDocumentedStatuses() async throws {
        let document = try Self.loadDocument()
        let app = Application(router: buildRouter(state: ExporterState()))
        try await app.test(.router) { client in
            for path in ["/metrics", "/healthz", "/readyz"] {
                let response = try await client.executeRequest(uri: path, method: .get, headers: [:], body: nil)
                guard case .object(let content) = document["paths"]?[path]?["get"]?["responses"]?[String(response.status.code)]?["content"] else {
                    Issue.record("\(path): status \(response.status.code) is not documented")
                    continue
                }
                #expect(content.keys.contains(response.headers[.contentType] ?? ""), "\(path)")
            }
        }
    }

    /// `/api/v1/audit` with a report holding every kind of evidence (SAFE, UNSAFE, not verified,
    /// a group, an unmigrated topic), and its error answers.
    @Test func auditAndItsErrorsConform() async throws {
        let document = try Self.loadDocument()
        let checker = JSONSchemaChecker(document: document)
        let app = Application(router: buildRouter(state: ExporterState(), audit: FixedAudit(report: AuditFixtures.report)))
        try await app.test(.router) { client in
            for uri in ["/api/v1/audit", "/api/v1/audit?format=json", "/api/v1/audit?format=xml"] {
                let response = try await client.executeRequest(uri: uri, method: .get, headers: [:], body: nil)
                let problems = try Self.violations(document, path: "/api/v1/audit", response: response)
                #expect(problems == [], "\(uri)")
            }
            for format in ["markdown", "html"] {
                let response = try await client.executeRequest(uri: "/api/v1/audit?format=\(format)", method: .get, headers: [:], body: nil)
                guard case .object(let content) = document["paths"]?["/api/v1/audit"]?["get"]?["responses"]?["200"]?["content"] else {
                    Issue.record("no 200 content")
                    continue
                }
                #expect(content.keys.contains(response.headers[.contentType] ?? ""), "\(format)")
            }
        }
        let unavailable = Application(router: buildRouter(state: ExporterState()))
        try await unavailable.test(.router) { client in
            let response = try await client.executeRequest(uri: "/api/v1/audit", method: .get, headers: [:], body: nil)
            #expect(response.status == .serviceUnavailable)
            #expect(try Self.violations(document, path: "/api/v1/audit", response: response) == [])
        }
        // The schema is strict enough to catch a drift.
        var wrong = try JSONValue.parse(json: String(decoding: try AuditJSON.render(AuditFixtures.report), as: UTF8.self))
        #expect(checker.violations(of: wrong, against: "Audit") == [])
        if case .object(var members) = wrong {
            members["verdict"] = .string("MAYBE")
            wrong = .object(members)
        }
        #expect(!checker.violations(of: wrong, against: "Audit").isEmpty)
        #expect(!checker.violations(of: try JSONValue.parse(json: #"{"check":"topic_complete","ok":true}"#), against: "AuditReason").isEmpty)
    }
}
