/// HTTP manners (issue 10) and the status page route: HEAD answers on every GET path with the
/// GET's status and headers and no body; another method on a served path is 405 with `Allow`;
/// an unknown path stays 404; behind basic auth `/healthz` stays open to HEAD as to GET.
import Foundation
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import Testing
@testable import MetricsExporter

@Suite struct HTTPMannersTests {
    private func application(_ events: any MigrationEventSource = NoMigrationEvents(), users: BasicAuthUsers? = nil) -> some ApplicationProtocol {
        Application(router: buildRouter(state: ExporterState(initial: MetricsFixtures.golden), events: events, users: users))
    }

    /// The paths answered with a complete body (the event stream never ends by itself).
    static let finitePaths = ["/metrics", "/healthz", "/readyz", "/api/v1/status", "/api/v1/events"]

    @Test func servedPathsAreTheRoutesThatAnswerGET() async throws {
        try await application().test(.router) { client in
            for path in Self.finitePaths + ["/"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok, "\(path)")
                }
            }
        }
        #expect(servedPaths == Set(Self.finitePaths + ["/", "/api/v1/events/stream", "/api/v1/audit"]))  // the audit: AuditRouteTests
    }

    @Test(arguments: finitePaths)
    func headAnswersLikeGETWithoutABody(path: String) async throws {
        try await application(FakeEventStore(EventFixtures.sequence(1...3))).test(.router) { client in
            let get = try await client.execute(uri: path, method: .get)
            let head = try await client.execute(uri: path, method: .head)
            #expect(head.status == get.status)
            #expect(head.headers == get.headers)
            #expect(get.headers[.contentLength] != nil)
            #expect(get.body.readableBytes > 0)
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func headOnThePageAndTheEventStream() async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == StatusPage.contentType)
                #expect(response.headers[.contentLength] != nil)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/api/v1/events/stream", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/event-stream")
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test func otherMethodsOnServedPathsAre405WithAllow() async throws {
        try await application().test(.router) { client in
            for path in servedPaths.sorted() {
                for method in [HTTPRequest.Method.post, .put, .delete, .patch, .options] {
                    try await client.execute(uri: path, method: method) { response in
                        #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                        #expect(response.headers[.allow] == "GET, HEAD", "\(method) \(path)")
                    }
                }
            }
        }
    }

    @Test func unknownPathsStay404ForEveryMethod() async throws {
        try await application().test(.router) { client in
            for path in ["/nope", "/metrics/x", "/api/v1", "/api/v1/status/x"] {
                for method in [HTTPRequest.Method.get, .head, .post, .delete] {
                    try await client.execute(uri: path, method: method) { response in
                        #expect(response.status == .notFound, "\(method) \(path)")
                        #expect(response.headers[.allow] == nil)
                    }
                }
            }
        }
    }

    @Test func behindBasicAuthHealthzStaysOpenAndOtherPathsAskFirst() async throws {
        let users = BasicAuthUsers(hashes: ["ops": Bcrypt.hash("pw", cost: 4)])
        let credentials = "Basic " + Data("ops:pw".utf8).base64EncodedString()
        try await application(users: users).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .head) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/healthz", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
            }
            for method in [HTTPRequest.Method.get, .head, .post] {
                for path in ["/", "/metrics", "/nope"] {
                    try await client.execute(uri: path, method: method) { response in
                        #expect(response.status == .unauthorized, "\(method) \(path)")
                        #expect(response.headers[.allow] == nil)
                    }
                }
            }
            try await client.execute(uri: "/", method: .head, headers: [.authorization: credentials]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/metrics", method: .post, headers: [.authorization: credentials]) { response in
                #expect(response.status == .methodNotAllowed)
            }
        }
    }

    @Test func pageRendersTheSnapshotAndTheLatestEvents() async throws {
        // eventCounts of the golden snapshot sum to 7, fewer than stored: the route still reads on to the newest.
        let store = FakeEventStore(EventFixtures.sequence(1...45))
        try await application(store).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = String(buffer: response.body)
                for topic in MetricsFixtures.golden.topics {
                    #expect(html.contains("<tr data-topic=\"\(topic.topic)\">"))
                }
                #expect(html.contains("#45 "))
                #expect(html.contains("#26 "))
                #expect(!html.contains("#25 "))
            }
        }
    }

    @Test func latestEventsStartAfterTheStoredCount() async throws {
        let store = FakeEventStore(EventFixtures.sequence(1...100))
        let latest = try await latestEvents(store, storedCount: 100)
        #expect(latest.map(\.seq) == Array(81...100))
        // A full page may not be the last one: one more read finds nothing newer.
        #expect(await store.queries.map(\.after) == [80, 100])
        #expect(try await latestEvents(FakeEventStore(), storedCount: 0).isEmpty)
        #expect(try await latestEvents(FakeEventStore(EventFixtures.sequence(1...5)), storedCount: 5).map(\.seq) == [1, 2, 3, 4, 5])
    }
}
