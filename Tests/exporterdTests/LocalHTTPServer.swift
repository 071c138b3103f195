/// A real HTTP server on 127.0.0.1 with an ephemeral port, for tests of the daemon's HTTP
/// edges (agents, state endpoint). It lives for the duration of `body`; stopping it cancels
/// every handler still running (a handler that stalls does so with `Task.sleep`).
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Testing

struct LocalHTTPServerFailed: Error {}

func withLocalHTTPServer<T: Sendable>(
    _ configure: (Router<BasicRequestContext>) -> Void,
    _ body: (_ baseURL: String) async throws -> T
) async throws -> T {
    try await withLocalServer(server: .http1(), baseURL: { "http://127.0.0.1:\($0)" }, configure, body)
}

/// The server of `withLocalHTTPServer` with any `server` (plain or TLS); `baseURL` makes the
/// URL `body` gets from the port the server bound.
func withLocalServer<T: Sendable>(
    server: HTTPServerBuilder,
    baseURL: (Int) -> String,
    _ configure: (Router<BasicRequestContext>) -> Void,
    _ body: (_ baseURL: String) async throws -> T
) async throws -> T {
    let router = Router()
    configure(router)
    var logger = Logger(label: "local-http-server")
    logger.logLevel = .critical
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
            continuation.finish()
        },
        logger: logger)
    let task = Task { try await app.run() }
    defer { task.cancel() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next(), port > 0 else { throw LocalHTTPServerFailed() }
    let result = try await body(baseURL(port))
    task.cancel()
    _ = await task.result
    return result
}

/// A closed port on this machine: connections are refused at once.
let refusedURL = "http://127.0.0.1:1"

/// Runs `operation`, recording an issue (rather than hanging the suite) when it takes longer
/// than `limit`; returns its result and how long it took.
func timed<T: Sendable>(
    limit: Duration, sourceLocation: SourceLocation = #_sourceLocation,
    _ operation: @escaping @Sendable () async -> T
) async -> (value: T?, elapsed: Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = await withTaskGroup(of: T?.self) { group in
        group.addTask { await operation() }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
    let elapsed = clock.now - start
    if value == nil { Issue.record("did not finish within \(limit)", sourceLocation: sourceLocation) }
    return (value, elapsed)
}

/// Records every request's headers, for checks of what the client sent.
final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var authorizations: [String?] = []
    func record(authorization: String?) { lock.withLock { authorizations.append(authorization) } }
    var seen: [String?] { lock.withLock { authorizations } }
}
