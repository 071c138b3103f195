/// The migration state document (CONTRACT §3) read from files and from a real local HTTP
/// server: JSON and YAML give the same document, and every failure is typed and names where.
import AsyncHTTPClient
import Diagnostics
import Foundation
import NIOConcurrencyHelpers
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
        let clock = TestClock()
        let source = MigrationStateSource(
            settings: MigrationStateSettings(location: .file(path)), client: .shared, environment: [:],
            now: clock.now, sleep: clock.sleep)
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

    /// A controller rewrites its document far less often than exporterd polls: unchanged content
    /// is parsed once, and new content is parsed again.
    @Test func unchangedContentIsParsedOnce() async throws {
        let (source, path) = try fileSource(Self.json)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try await source.read().get()
        let second = try await source.read().get()
        #expect(second == first)
        #expect(await source.documentsParsed == 1)
        try Data(Self.json.replacingOccurrences(of: "MIGRATING", with: "COMPLETE").utf8).write(to: URL(fileURLWithPath: path))
        let third = try await source.read().get()
        #expect(third.report(for: "payments")?.state == .complete)
        #expect(await source.documentsParsed == 2)
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
        var settings = MigrationStateSettings(location: .url(url, bearerTokenEnv: tokenVariable))
        settings.timeout = timeout
        let clock = TestClock()
        return MigrationStateSource(settings: settings, client: .shared, environment: environment, now: clock.now, sleep: clock.sleep)
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
        // New content is read twice (the second read confirms it holds still); a refusal once.
        #expect(log.seen == ["Bearer \(token)", "Bearer \(token)", "Bearer wrong-\(token)"])
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
            return await timed(limit: .seconds(20)) { await source.read() }
        }
        guard case .failure(.unreadable)? = result else {
            Issue.record("expected .unreadable, got \(String(describing: result))")
            return
        }
        #expect(elapsed < .seconds(10))  // the handler's 60 s would blow through this
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
            return await timed(limit: .seconds(20)) { await source.read() }
        }
        guard case .failure(.unreadable)? = result else {
            Issue.record("expected .unreadable, got \(String(describing: result))")
            return
        }
        #expect(elapsed < .seconds(10))  // the handler's 60 s would blow through this
    }

    // MARK: hostile documents

    /// Nine levels of ten aliases each: 318 bytes that expand to 10⁹ nodes. Refused before
    /// anything is built from it (before: Yams expanded it while the poll waited).
    static let aliasBomb = """
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
        topics: [*i]
        """

    @Test func aliasBombIsRefused() async throws {
        let result = try await read(Self.aliasBomb)
        let reason = try #require(invalidReason(result), "\(result)")
        #expect(reason.contains("line 2"), "\(reason)")
        #expect(reason.contains("aliases"), "\(reason)")
    }

    /// A state document never needs an alias; even a harmless one is refused (before: accepted).
    @Test func anySingleAliasIsRefused() async throws {
        let result = try await read("""
            since: &t 2026-11-24T10:00:00Z
            topics:
              - {topic: orders, state: PROXY, since: *t}
            """)
        #expect(invalidReason(result)?.contains("line 3: YAML aliases (*name) are not accepted") == true, "\(result)")
    }

    /// The file source reads at most the limit + 1 byte (before: the whole file, then parsed it).
    @Test func fileLargerThanTheLimitIsRefusedUnread() async throws {
        let (source, path) = try fileSource("topics: []\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(4 * MigrationStateSource.documentLimit))  // sparse: costs no disk
        try handle.close()
        let result = await source.read()
        guard case .failure(.tooLarge(let location, let limit)) = result else {
            Issue.record("expected .tooLarge, got \(result)")
            return
        }
        #expect(location == path)
        #expect(limit == MigrationStateSource.documentLimit)
        #expect(errorText(result).contains("larger than 16 MiB"))
    }

    @Test func bodyLargerThanTheLimitIsTooLarge() async throws {
        let body = String(repeating: "#", count: MigrationStateSource.documentLimit + 1)
        let result = try await withLocalHTTPServer({ router in
            router.get("/status", use: Self.serving(body, contentType: "application/yaml"))
        }) { base in await urlSource(base + "/status").read() }
        guard case .failure(.tooLarge) = result else {
            Issue.record("expected .tooLarge, got \(result)")
            return
        }
    }

    @Test func aDirectoryIsNotAStateFile() async throws {
        let directory = FileManager.default.temporaryDirectory.path
        let source = MigrationStateSource(
            settings: MigrationStateSettings(location: .file(directory)), client: .shared, environment: [:])
        let result = await source.read()
        #expect(errorText(result) == "\(directory): cannot read: not a regular file", "\(result)")
    }

    @Test func missingFileReasonIsWorded() async throws {
        let (source, path) = try fileSource(nil)
        #expect(errorText(await source.read()) == "\(path): cannot read: no such file or directory")
    }

    /// Nesting is bounded before anything recursive sees it (a stack overflow is a crash).
    @Test func deeplyNestedYAMLIsRefused() async throws {
        let deep = "topics: " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "\n"
        #expect(invalidReason(try await read(deep)) == "neither JSON nor YAML: line 1: nested deeper than 64 levels")
    }

    @Test func deeplyNestedJSONIsInvalid() async throws {
        let deep = "{\"topics\": " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(invalidReason(try await read(deep)) != nil)
    }

    /// An alias nests the node it repeats: counted where it stands.
    @Test func aliasesCountTheDepthTheyBuild() throws {
        let nested = String(repeating: "[", count: 40) + "x" + String(repeating: "]", count: 40)
        #expect(throws: YAMLInputError.tooDeep(line: 2, limit: 64)) {
            try YAMLInput.checkShape("a: &a \(nested)\nb: \(String(repeating: "[", count: 30))*a\(String(repeating: "]", count: 30))\n",
                                     aliasedNodeLimit: 1000)
        }
        try YAMLInput.checkShape("a: &a \(nested)\nb: [[*a]]\n", aliasedNodeLimit: 1000)
    }

    // MARK: names YAML would resolve

    /// YAML 1.1 would read these as booleans, numbers, a sexagesimal and nulls; they are Kafka
    /// topic names (before: the document was refused, or the topic renamed to `true`, `1000.0`…).
    @Test func unquotedTopicNamesAreTheTextWritten() async throws {
        let names = ["on", "no", "yes", "off", "y", "true", "1e3", "0123", "12:30", "0x1F", ".inf", ".nan", "-1", "1_000"]
        let yaml = "topics:\n" + names.map { "  - {topic: \($0), state: PROXY, since: 2026-11-24T10:00:00Z}\n" }.joined()
        let document = try await read(yaml).get()
        #expect(document.topics.map(\.topic) == names)
    }

    @Test(arguments: ["~", "null", "", "NULL"])
    func aNullTopicIsMissing(_ spelling: String) async throws {
        let reason = invalidReason(try await read("topics:\n  - {topic: \(spelling), state: PROXY, since: 2026-11-24T10:00:00Z}\n"))
        #expect(reason == "topics[0].topic: missing")
    }

    @Test func quotedNullIsATopicNamedNull() async throws {
        let document = try await read("topics:\n  - {topic: 'null', state: PROXY, since: 2026-11-24T10:00:00Z}\n").get()
        #expect(document.topics.map(\.topic) == ["null"])
    }

    @Test func migrationTimeoutInYAMLIsANumber() async throws {
        let document = try await read("""
            topics:
              - {topic: a, state: MIGRATING, since: 2026-11-24T10:00:00Z, migration_timeout_seconds: 90}
            """).get()
        #expect(document.topics.first?.migrationTimeoutSeconds == 90)
    }

    @Test func aTopicListedTwiceInYAMLIsAnErrorNamingIt() async throws {
        let reason = invalidReason(try await read("""
            topics:
              - {topic: on, state: PROXY, since: 2026-11-24T10:00:00Z}
              - {topic: orders, state: PROXY, since: 2026-11-24T10:00:00Z}
              - {topic: "on", state: REJECT, since: 2026-11-24T10:00:00Z}
            """))
        #expect(reason == #"topics[2].topic: topic "on" is listed twice (also topics[0])"#)
    }

    // MARK: timeout

    /// `migration_state.timeout` bounds the whole read, the confirming second read included:
    /// an endpoint that answers once and then hangs fails within one timeout, not two.
    @Test func timeoutCoversTheConfirmingRead() async throws {
        // The wait for the confirming read spends 25 s of the 30 s timeout (a clock moved by
        // hand); the confirming read then takes 20 s. Within what is left of the one timeout
        // (under 5 s) it cannot finish; with a timeout of its own (30 s) it would. No outcome
        // depends on how busy the machine is: the first read has 30 s, the second never 20.
        let requests = RequestLog()
        let spent = NIOLockedValueBox(Duration.zero)
        let (result, _) = try await withLocalHTTPServer({ router in
            router.get("/status") { request, _ -> Response in
                requests.record(authorization: nil)
                if requests.seen.count > 1 { try await Task.sleep(for: .seconds(20)) }
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: Self.json)))
            }
        }) { base in
            var settings = MigrationStateSettings(location: .url(base + "/status", bearerTokenEnv: nil))
            settings.timeout = .seconds(30)
            let source = MigrationStateSource(
                settings: settings, client: .shared, environment: [:],
                sleep: { _ in spent.withLockedValue { $0 = .seconds(25) } },
                monotonicNow: { ContinuousClock.now.advanced(by: spent.withLockedValue { $0 }) })
            // The limit only catches a hang.
            return await timed(limit: .seconds(60)) { await source.read() }
        }
        guard case .failure(.unreadable)? = result else {
            Issue.record("expected .unreadable, got \(String(describing: result))")
            return
        }
        #expect(requests.seen.count == 2)
    }
}

/// The error's description, empty for a success.
func errorText<T, E: Error & CustomStringConvertible>(_ result: Result<T, E>) -> String {
    if case .failure(let error) = result { error.description } else { "" }
}
