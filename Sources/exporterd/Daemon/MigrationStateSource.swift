/// Reading the migration state document (CONTRACT §3) from a file or an HTTP endpoint, as JSON
/// or YAML. A failed read is reported, never thrown at the poll loop: the last good states
/// stay in force and `kafka_migration_state_source_up` drops to 0.
///
/// Every read is bounded: at most `documentLimit` bytes (file or body), `settings.timeout` for
/// the whole read, no YAML aliases. New content is acted on only once `StableStateDocument`
/// finds it stable, which may take a second read `StableStateDocument.settleInterval` later.
import AsyncHTTPClient
import Diagnostics
import Foundation
import NIOCore
import Yams

actor MigrationStateSource {
    enum ReadError: Error, CustomStringConvertible {
        case unreadable(location: String, reason: String)
        case status(location: String, code: UInt)
        case invalid(location: String, reason: String)
        case tooLarge(location: String, limit: Int)
        /// Two reads `settleInterval` apart differ: the document is being written.
        case changing(location: String)

        var description: String {
            switch self {
            case .unreadable(let location, let reason): "\(location): cannot read: \(reason)"
            case .status(let location, let code): "\(location): HTTP \(code)"
            case .invalid(let location, let reason): "\(location): \(reason)"
            case .tooLarge(let location, let limit): "\(location): the document is larger than \(ByteCount.format(limit))"
            case .changing(let location):
                "\(location): the document changed between two reads \(Int(StableStateDocument.settleInterval * 1000)) ms apart "
                    + "(being written); nothing new is acted on until it holds still"
            }
        }
    }

    nonisolated let settings: MigrationStateSettings
    nonisolated let client: HTTPClient
    nonisolated let environment: [String: String]
    /// The bearer token and CA of an https state URL (`HTTPAccess.stateSource`).
    nonisolated let access: HTTPAccess
    /// The whole read, both reads of new content and every HTTP body included.
    nonisolated let timeout: Duration
    static let documentLimit = 16 * 1024 * 1024

    private let now: @Sendable () -> Date
    /// The clock the read's one timeout runs on (tests move it to spend the budget).
    private let monotonicNow: @Sendable () -> ContinuousClock.Instant
    private let sleep: @Sendable (Duration) async -> Void
    private var stability: StableStateDocument
    private var lastParsed: (content: Data, document: MigrationStateDocument)?
    /// How many times content was parsed (tests: unchanged content is parsed once).
    private(set) var documentsParsed = 0

    /// `restoring`: the accounting the daemon resumed from, whose listed topics a first
    /// document must confirm gone like any later one. `now` and `sleep` time the confirming
    /// second read; tests inject both so that nothing waits for real.
    init(settings: MigrationStateSettings, client: HTTPClient, environment: [String: String],
         access: HTTPAccess? = nil,
         restoring snapshot: AccountingSnapshot? = nil,
         now: @escaping @Sendable () -> Date = { Date() },
         sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
         monotonicNow: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.settings = settings
        self.client = client
        self.environment = environment
        // Resolved at load already; a variable gone since then sends no credentials.
        self.access = access ?? ((try? HTTPAccess.stateSource(settings, environment: environment)) ?? HTTPAccess())
        self.timeout = settings.timeout
        self.now = now
        self.sleep = sleep
        self.monotonicNow = monotonicNow
        self.stability = StableStateDocument(restoring: snapshot)
    }

    nonisolated var location: String {
        switch settings.location {
        case .file(let path): path
        case .url(let url, _): url
        }
    }

    func read() async -> Result<MigrationStateDocument, ReadError> {
        let deadline = monotonicNow().advanced(by: timeout)
        var content: Data
        switch await fetch(within: timeout) {
        case .success(let data): content = data
        case .failure(let error):
            stability.readFailed()
            return .failure(error)
        }
        // A first read of new content, then at most one confirming read: a clock that does not
        // move cannot keep this loop going.
        for _ in 0..<3 {
            switch stability.read(content, at: now()) {
            case .stable(let data):
                do {
                    return .success(stability.act(on: try parsedDocument(data)))
                } catch {
                    stability.readFailed()
                    return .failure(.invalid(location: location, reason: error.reason))
                }
            case .changing:
                return .failure(.changing(location: location))
            case .readAgain(let notBefore):
                let wait = notBefore.timeIntervalSince(now())
                if wait > 0 { await sleep(.nanoseconds(Int64((wait * 1e9).rounded(.up)))) }
                let remaining = monotonicNow().duration(to: deadline)
                guard remaining > .zero else {
                    stability.readFailed()
                    return .failure(.unreadable(location: location, reason: DeadlineExceeded(timeout: timeout).description))
                }
                // Cancelled (shutdown), the sleep returns at once: no confirming read is possible.
                guard !Task.isCancelled else {
                    stability.readFailed()
                    return .failure(.unreadable(location: location, reason: "the read was cancelled"))
                }
                switch await fetch(within: remaining) {
                case .success(let data): content = data
                case .failure(let error):
                    stability.readFailed()
                    return .failure(error)
                }
            }
        }
        stability.readFailed()
        return .failure(.changing(location: location))
    }

    /// The document in `content`, parsed again only when the content changed: a controller
    /// rewrites its document far less often than exporterd polls, and a 100,000-topic document
    /// costs a parse worth avoiding every poll.
    private func parsedDocument(_ content: Data) throws(InvalidDocument) -> MigrationStateDocument {
        if let lastParsed, lastParsed.content == content { return lastParsed.document }
        let document = try Self.parse(content)
        lastParsed = (content, document)
        documentsParsed += 1
        return document
    }

    /// The document's raw bytes, at most `documentLimit` of them.
    private func fetch(within timeout: Duration) async -> Result<Data, ReadError> {
        switch settings.location {
        case .file(let path):
            do {
                return .success(try BoundedFile.read(path, limit: Self.documentLimit))
            } catch {
                if case .tooLarge = error { return .failure(.tooLarge(location: path, limit: Self.documentLimit)) }
                return .failure(.unreadable(location: path, reason: error.reason))
            }
        case .url(let url, _):
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "application/json, application/yaml;q=0.9")
            access.apply(to: &request)
            do {
                let (code, body) = try await withDeadline(timeout) { [request, client] () async throws -> (UInt, ByteBuffer?) in
                    let response = try await client.execute(request, timeout: TimeAmount(timeout))
                    guard response.status.code == 200 else { return (response.status.code, nil) }
                    return (200, try await response.body.collect(upTo: Self.documentLimit))
                }
                guard let body else { return .failure(.status(location: url, code: code)) }
                return .success(Data(buffer: body))
            } catch is NIOTooManyBytesError {
                return .failure(.tooLarge(location: url, limit: Self.documentLimit))
            } catch {
                return .failure(.unreadable(location: url, reason: "\(error)"))
            }
        }
    }

    struct InvalidDocument: Error { let reason: String }

    /// JSON when it starts like JSON, otherwise YAML converted to the same JSON model. YAML is
    /// read as the config is (`YAMLInput`): every scalar is the text written, so a topic named
    /// `on`, `no`, `1e3`, `0123` or `12:30` stays that name and an unquoted `since` stays the
    /// text the one RFC 3339 parser reads; plain `~`, `null` and nothing are null. Aliases are
    /// refused: a state document never needs them, and a few hundred bytes of nested aliases
    /// expand to gigabytes.
    static func parse(_ data: Data) throws(InvalidDocument) -> MigrationStateDocument {
        let trimmed = data.first { !" \n\r\t".utf8.contains($0) }
        if trimmed == UInt8(ascii: "{") {
            do { return try MigrationStateDocument(json: data) } catch { throw InvalidDocument(reason: error.description) }
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw InvalidDocument(reason: "neither JSON nor YAML: not UTF-8 text")
        }
        let root: Node?
        do {
            root = try YAMLInput.compose(text, aliasedNodeLimit: 0)
        } catch {
            throw InvalidDocument(reason: "neither JSON nor YAML: \(error)")
        }
        guard let root, case .mapping = root else { throw InvalidDocument(reason: "not a state document: expected a mapping with \"topics\"") }
        do {
            let json = try JSONSerialization.data(withJSONObject: try jsonObject(root))
            return try MigrationStateDocument(json: json)
        } catch let error as MigrationStateDocumentError {
            throw InvalidDocument(reason: error.description)
        } catch let error as InvalidDocument {
            throw error
        } catch {
            throw InvalidDocument(reason: "\(error)")
        }
    }

    /// The YAML tree as JSONSerialization takes it, every scalar as its text.
    private static func jsonObject(_ node: Node) throws(InvalidDocument) -> Any {
        switch node {
        case .scalar(let scalar):
            return YAMLInput.isNull(scalar) ? NSNull() : scalar.string
        case .sequence(let sequence):
            var array: [Any] = []
            for element in sequence { array.append(try jsonObject(element)) }
            return array
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key else {
                    throw InvalidDocument(reason: "line \(key.mark?.line ?? 0): a mapping key must be text")
                }
                object[scalar.string] = try jsonObject(value)
            }
            return object
        case .alias:
            throw InvalidDocument(reason: "YAML aliases are not accepted in a state document")
        }
    }
}
