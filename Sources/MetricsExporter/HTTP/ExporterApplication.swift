/// Wiring of the exporter's HTTP server: the routes of `buildRouter` on a Hummingbird
/// `Application` bound to `listen_address`, with the protections of `WebServerOptions` (TLS
/// and basic auth from `web_config_file`, deadlines and a connection cap against hostile
/// clients). The result is a swift-service-lifecycle `Service`; the daemon runs it in one
/// `ServiceGroup` with the poll loop so SIGTERM stops both.
/// A graceful shutdown waits for responses in progress, and an event stream never ends by
/// itself: on shutdown the daemon calls `broadcaster.finishAll()`, which ends every stream.
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// How the server protects itself; the defaults hold without a `web_config_file`.
public struct WebServerOptions: Sendable {
    /// From `tls_server_config`; nil serves plain HTTP.
    public var tls: TLSConfiguration?
    /// From `basic_auth_users`; nil serves without authentication.
    public var users: BasicAuthUsers?
    /// A connection must send a complete request head within this long of opening (TLS
    /// handshake included), or it is closed.
    public var headerReadTimeout: Duration = .seconds(10)
    /// A connection with no request in progress is closed after this long.
    public var idleTimeout: Duration = .seconds(60)
    /// Open connections at most; a newcomer past it closes the oldest one waiting for a request.
    public var maxConnections = 512

    public init(tls: TLSConfiguration? = nil, users: BasicAuthUsers? = nil) {
        self.tls = tls
        self.users = users
    }
}

/// Plain HTTP with the default deadlines and connection cap, no authentication.
public func buildApplication(
    state: some ExporterStateProvider,
    events: any MigrationEventSource = NoMigrationEvents(),
    broadcaster: EventBroadcaster = EventBroadcaster(),
    host: String,
    port: Int,
    logger: Logger
) -> some ApplicationProtocol {
    let options = WebServerOptions()
    return makeApplication(
        state: state, events: events, broadcaster: broadcaster, host: host, port: port, options: options,
        server: plainServer(options, OpenConnections(limit: options.maxConnections)), logger: logger)
}

/// With `options`; throws when the TLS configuration cannot make a context (an unusable key).
/// `connections` lets a test watch the open connections, `onServerRunning` learn the port.
public func buildApplication(
    state: some ExporterStateProvider,
    events: any MigrationEventSource = NoMigrationEvents(),
    broadcaster: EventBroadcaster = EventBroadcaster(),
    host: String,
    port: Int,
    options: WebServerOptions,
    audit: (any AuditSource)? = nil,
    connections: OpenConnections? = nil,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
    logger: Logger
) throws -> some ApplicationProtocol {
    let http1 = plainServer(options, connections ?? OpenConnections(limit: options.maxConnections))
    let server = try options.tls.map { try HTTPServerBuilder.tls(http1, tlsConfiguration: $0) } ?? http1
    return makeApplication(
        state: state, events: events, broadcaster: broadcaster, host: host, port: port, options: options,
        audit: audit, server: server, onServerRunning: onServerRunning, logger: logger)
}

private func plainServer(_ options: WebServerOptions, _ connections: OpenConnections) -> HTTPServerBuilder {
    let headerReadTimeout = TimeAmount(options.headerReadTimeout)
    return .http1(configuration: .init(
        additionalChannelHandlers: [ConnectionGuard(connections: connections, headerReadTimeout: headerReadTimeout)],
        idleTimeout: TimeAmount(options.idleTimeout)))
}

private func makeApplication(
    state: some ExporterStateProvider, events: any MigrationEventSource, broadcaster: EventBroadcaster,
    host: String, port: Int, options: WebServerOptions, audit: (any AuditSource)? = nil, server: HTTPServerBuilder,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }, logger: Logger
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(state: state, events: events, broadcaster: broadcaster, users: options.users, audit: audit),
        server: server,
        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "exporterd"),
        onServerRunning: onServerRunning,
        logger: logger)
}
