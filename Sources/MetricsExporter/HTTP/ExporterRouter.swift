/// The exporter's HTTP routes (CONTRACT §7) on a Hummingbird router: `/metrics`, `/healthz`,
/// `/readyz`. Routes only read an `ExporterStateProvider`, so they are tested with
/// `app.test(.router)` and a fixed snapshot, without a port or a poll loop.
/// The JSON API (`/api/v1/*`, `API/APIRoutes.swift`) reads stored events through a
/// `MigrationEventSource` and live ones from an `EventBroadcaster`. The status page will be
/// added here as a further group.
import Hummingbird

/// - Parameters:
///   - events: the daemon's event store; `NoMigrationEvents` serves an empty list.
///   - broadcaster: where the poll loop publishes each commit's events for the SSE clients.
///   - heartbeatInterval: time between `: keep-alive` comments on an idle event stream.
///   - users: `basic_auth_users` of `web_config_file`; when set, every path but `/healthz` asks for them.
public func buildRouter(
    state: some ExporterStateProvider,
    events: any MigrationEventSource = NoMigrationEvents(),
    broadcaster: EventBroadcaster = EventBroadcaster(),
    heartbeatInterval: Duration = .seconds(15),
    users: BasicAuthUsers? = nil
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    if let users { router.add(middleware: BasicAuthGate(users: users)) }
    addMetricsRoute(to: router, state: state)
    addHealthRoutes(to: router, state: state)
    addAPIRoutes(to: router, state: state, events: events, broadcaster: broadcaster, heartbeatInterval: heartbeatInterval)
    return router
}

/// `GET /metrics`: the latest snapshot rendered, gzip-compressed when the client asks.
func addMetricsRoute(to router: Router<BasicRequestContext>, state: some ExporterStateProvider) {
    router.get("/metrics") { request, _ -> Response in
        let page = MetricsPage.render(state.latestSnapshot())
        var headers: HTTPFields = [.contentType: MetricsPage.contentType, .vary: "Accept-Encoding"]
        var body = ByteBuffer(bytes: page)
        if AcceptEncoding.allowsGzip(request.headers[values: .acceptEncoding]), let compressed = PageCompression.gzip(body) {
            body = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}

/// `GET /healthz` answers while the process serves; `GET /readyz` only once both clusters
/// have been polled successfully, so a load balancer or rollout waits for real data.
func addHealthRoutes(to router: Router<BasicRequestContext>, state: some ExporterStateProvider) {
    router.get("/healthz") { _, _ -> Response in
        plainText(.ok, "ok\n")
    }
    router.get("/readyz") { _, _ -> Response in
        state.latestSnapshot().isReady
            ? plainText(.ok, "ready\n")
            : plainText(.serviceUnavailable, "not ready: waiting for a successful poll of both clusters\n")
    }
}

private func plainText(_ status: HTTPResponse.Status, _ text: String) -> Response {
    Response(
        status: status, headers: [.contentType: "text/plain; charset=utf-8"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
}
