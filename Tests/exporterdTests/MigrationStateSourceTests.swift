/// The migration state document (CONTRACT §3) read from files and from a real local HTTP
/// server: JSON and YAML give the same document, and every failure is typed and names where.
import AsyncHTTPClient
import Diagnostics
import Foundation
import Hummingbird
import Testing
@testable import exporterd

@Suite struct MigrationStateSourceTests {
    static let json = """
        {"topics": [
          {"topic": "orders",   "state": "PROXY",     "since": "2026-11-24T10:00:00Z"},
          {"topic": "payments", "state": "MIGRATING", "since": "2026-11-24T10:05:00.250Z",
           "migration_timeout_seconds": 300},
          {"topic": "audit",    "state": "COMPLETE",  "since": "2026-11-24T11:00:00+02:00"}
        ],
         "events": [{"topic": "payments", "type": "ABORTED", "at": "2026-11-24T10:04:00Z"}]}
        """
    /// The same document in YAML, timestamps unquoted (Yams would resolve them to dates).
    static let yaml = """
        topics:
          - topic: orders
            state: PROXY
            since: 2026-11-24T10:00:00Z
          - topic: payments
            state: MIGRATING
            since: 2026-11-24T10:05:00.250Z
            migration_timeout_seconds: 300
          - {topic: audit, state: COMPLETE, since: 2026-11-24T11:00:00+02:00}
        events:
          - {topic: payments, type: ABORTED, at: 2026-11-24T10:04:00Z}
        """

    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    func fileSource(_ contents: String?) throws -> (MigrationStateSource, String) {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("exporterd-state-\(UUID().uuidString).yaml").path
        if let contents { try Data(contents.utf8).write(to: URL(fileURLWithPath: path)) }
        let source = MigrationStateSource(
            settings: MigrationStateSettings(location: .file(path)), client: .shared, environment: [:])
        return (source, path)
    }

    func read(_ contents: String) async throws -> Result<MigrationStateDocument, MigrationStateSource.ReadError> {
        let (source, path) = try fileSource(contents)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return await source.read()
    }

    func invalidReason(_ result: Result<MigrationStateDocument, MigrationStateSource.ReadError>) -> String? {
        if case .failure(.invalid(_, let reason)) = result { reason } else { nil }
    }

    // MARK: files

    @Test func jsonFile() async throws {
        let document = try await read(Self.json).get()
        #expect(document.topics.map(\.topic) == ["orders", "payments", "audit"])
        #expect(document.topics.map(\.state) == [.proxy, .migrating, .complete])
        #expect(document.topics[0].since == Self.date("2026-11-24T10:00:00Z"))
        #expect(document.topics[2].since == Self.date("2026-11-24T09:00:00Z"))
        #expect(document.topics[1].migrationTimeoutSeconds == 300)
        #expect(document.events.map(\.type) == [.aborted])
    }

    /// Unquoted YAML timestamps come through as the very same `since` as the JSON text, fractional
    /// seconds and offsets included.
    @Test func yamlFileWithUnquotedTimestampsEqualsJSON() async throws {
        let fromYAML = try await read(Self.yaml).get()
        let fromJSON = try await read(Self.json).get()
        #expect(fromYAML == fromJSON)
        #expect(fromYAML.topics[1].since.timeIntervalSince1970 == fromJSON.topics[1].since.timeIntervalSince1970)
        #expect(fromYAML.topics[1].since.timeIntervalSince(Self.date("2026-11-24T10:05:00Z")) == 0.25)
        #expect(fromYAML.events.first?.at == Self.date("2026-11-24T10:04:00Z"))
    }

    @Test func unknownStateInYAMLNamesTopicIndexAndField() async throws {
        let reason = invalidReason(try await read("""
            topics:
              - {topic: orders, state: PROXY, since: 2026-11-24T10:00:00Z}
              - {topic: payments, state: HALFWAY, since: 2026-11-24T10:00:00Z}
            """))
        #expect(reason?.contains("topics[1].state") == true, "\(reason ?? "no .invalid")")
        #expect(reason?.contains("HALFWAY") == true)
    }

    @Test func unknownStateInJSONNamesTopicIndexAndField() async throws {
        let reason = invalidReason(try await read(#"{"topics": [{"topic": "orders", "state": "proxy", "since": "2026-11-24T10:00:00Z"}]}"#))
        #expect(reason?.contains("topics[0].state") == true, "\(reason ?? "no .invalid")")
    }

    @Test func badSinceNamesTheField() async throws {
        let reason = invalidReason(try await read("topics:\n  - {topic: orders, state: PROXY, since: yesterday}\n"))
        #expect(reason?.contains("topics[0].since") == true, "\(reason ?? "no .invalid")")
    }

    @Test(arguments: ["{ \"topics\": [ not json", "topics: [unclosed", "just a sentence", "- a\n- list\n", "\u{00}\u{01}\u{02}"])
    func garbageIsInvalid(_ contents: String) async throws {
        let result = try await read(contents)
        #expect(invalidReason(result) != nil, "\(result)")
    }

    @Test func emptyFileIsInvalid() async throws {
        let result = try await read("")
        #expect(invalidReason(result) != nil, "\(result)")
    }

    @Test func missingFileIsUnreadableNamingThePath() async throws {
        let (source, path) = try fileSource(nil)
        let result = await source.read()
        guard case .failure(.unreadable(let location, _)) = result else {
            Issue.record("expected .unreadable, got \(result)")
            return
        }
        #expect(location == path)
        #expect(errorText(result).contains(path))
    }

    // MARK: HTTP

    func urlSource(_ url: String, tokenVariable: String? = nil, environment: [String: String] = [:],
                   timeout: Duration = .seconds(2)) -> MigrationStateSource {
        var source = MigrationStateSource(
            settings: MigrationStateSettings(location: .url(url, bearerTokenEnv: tokenVariable)),
            client: .shared, environment: environment)
        source.timeout = timeout
        return source
    }

    static func serving(_ body: String, contentType: String, status: HTTPResponse.Status = .ok) -> @Sendable (Request, BasicRequestContext) async throws -> Response {
        { _, _ in
            Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
    }

    @Test func httpJSON() async throws {
        let document = try await withLocalHTTPServer({ router in
            router.get("/status", use: Self.serving(Self.json, contentType: "application/json"))
        }) { base in try await urlSource(base + "/status").read().get() }
        #expect(document == (try await read(Self.json).get()))
    }

    @Test func httpYAML() async throws {
        let document = try await withLocalHTTPServer({ router in
            router.get("/status", use: Self.serving(Self.yaml, contentType: "application/yaml"))
        }) { base in try await urlSource(base + "/status").read().get() }
        #expect(document == (try await read(Self.json).get()))
    }

    @Test func http500IsStatus() async throws {
        let result = try await withLocalHTTPServer({ router in
            router.get("/status", use: Self.serving("oops", contentType: "text/plain", status: .internalServerError))
        }) { base in await urlSource(base + "/status").read() }
        guard case .failure(.status(let location, let code)) = result else {
            Issue.record("expected .status, got \(result)")
            return
        }
        #expect(code == 500)
        #expect(location.hasSuffix("/status"))
    }

    /// The token comes from the env var the config names, is sent as a bearer token, and shows
    /// in no error: not on a refusal, not when the endpoint is unreachable.
    @Test func bearerTokenSentAndNeverInErrors() async throws {
        let token = "s3cr3t-token-\(UUID().uuidString)"
        let log = RequestLog()
        let results = try await withLocalHTTPServer({ router in
            router.get("/status") { request, _ in
                log.record(authorization: request.headers[.authorization])
                guard request.headers[.authorization] == "Bearer \(token)" else {
                    return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: "no")))
                }
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: Self.json)))
            }
        }) { base in
            let good = await urlSource(base + "/status", tokenVariable: "STATE_TOKEN", environment: ["STATE_TOKEN": token]).read()
            let wrong = await urlSource(base + "/status", tokenVariable: "OTHER_TOKEN",
                                        environment: ["OTHER_TOKEN": "wrong-\(token)", "STATE_TOKEN": token]).read()
            return (good, wrong)
        }
        #expect((try? results.0.get()) != nil, "\(results.0)")
        guard case .failure(.status(_, 401)) = results.1 else {
            Issue.record("expected 401, got \(results.1)")
            return
        }
        #expect(log.seen == ["Bearer \(token)", "Bearer wrong-\(token)"])
        #expect(!errorText(results.1).contains(token))
        #expect(!String(reflecting: results.1).contains(token))

        let unreachable = await urlSource(refusedURL + "/status", tokenVariable: "STATE_TOKEN", environment: ["STATE_TOKEN": token],
                                          timeout: .milliseconds(300)).read()
        guard case .failure(.unreadable) = unreachable else {
            Issue.record("expected .unreadable, got \(unreachable)")
            return
        }
        #expect(!errorText(unreachable).contains(token))
        #expect(!String(reflecting: unreachable).contains(token))
    }

    @Test func serverThatNeverAnswersFailsWithinTheTimeout() async throws {
        let (result, elapsed) = try await withLocalHTTPServer({ router in
            router.get("/status") { _, _ -> Response in
                try await Task.sleep(for: .seconds(60))
                return Response(status: .ok)
            }
        }) { base in
            let source = urlSource(base + "/status", timeout: .milliseconds(300))
            return await timed(limit: .seconds(5)) { await source.read() }
        }
        guard case .failure(.unreadable)? = result else {
            Issue.record("expected .unreadable, got \(String(describing: result))")
            return
        }
        #expect(elapsed < .seconds(2))
    }

    /// Headers at once, then a body that never ends: the timeout covers the body too.
    @Test func stalledBodyFailsWithinTheTimeout() async throws {
        let (result, elapsed) = try await withLocalHTTPServer({ router in
            router.get("/status") { _, _ -> Response in
                Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "{\"topics\": ["))
                    try await Task.sleep(for: .seconds(60))
                    try await writer.finish(nil)
                })
            }
        }) { base in
            let source = urlSource(base + "/status", timeout: .milliseconds(300))
            return await timed(limit: .seconds(5)) { await source.read() }
        }
        guard case .failure(.unreadable)? = result else {
            Issue.record("expected .unreadable, got \(String(describing: result))")
            return
        }
        #expect(elapsed < .seconds(2))
    }
}

/// The error's description, empty for a success.
func errorText<T, E: Error & CustomStringConvertible>(_ result: Result<T, E>) -> String {
    if case .failure(let error) = result { error.description } else { "" }
}
