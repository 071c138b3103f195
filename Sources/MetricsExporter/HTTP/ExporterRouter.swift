/// The exporter's HTTP routes (CONTRACT §7) on a Hummingbird router: the status page `/`,
/// `/metrics`, `/healthz`, `/readyz`. Routes only read an `ExporterStateProvider`, so they are
/// tested with `app.test(.router)` and a fixed snapshot, without a port or a poll loop.
/// The JSON API (`/api/v1/*`, `API/APIRoutes.swift`) reads stored events through a
/// `MigrationEventSource` and live ones from an `EventBroadcaster`. Every GET route also
/// answers HEAD; another method on a known path gets 405 (`MethodNotAllowed`).
import Foundation
import Hummingbird

/// - Parameters:
///   - events: the daemon's event store; `NoMigrationEvents` serves an empty list.
///   - broadcaster: where the poll loop publishes each commit's events for the SSE clients.
///   - heartbeatInterval: time between `: keep-alive` comments on an idle event stream.
///   - users: `basic_auth_users` of `web_config_file`; when set, every path but `/healthz` asks for them.
///   - audit: runs the audit for `/api/v1/audit`; nil answers 503 there.
public func buildRouter(
    state: some ExporterStateProvider,
    events: any MigrationEventSource = NoMigrationEvents(),
    broadcaster: EventBroadcaster = EventBroadcaster(),
    heartbeatInterval: Duration = .seconds(15),
    users: BasicAuthUsers? = nil,
    audit: (any AuditSource)? = nil
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
    if let users { router.add(middleware: BasicAuthGate(users: users)) }
    // After the gate: without credentials a client learns nothing about which paths exist.
    router.add(middleware: MethodNotAllowed(paths: servedPaths))
    addStatusPageRoute(to: router, state: state, events: events)
    addMetricsRoute(to: router, state: state)
    addHealthRoutes(to: router, state: state)
    addAPIRoutes(to: router, state: state, events: events, broadcaster: broadcaster, heartbeatInterval: heartbeatInterval)
    addAuditRoute(to: router, audit: audit)
    return router
}

/// Every path `buildRouter` serves, all with GET and HEAD only.
let servedPaths: Set<String> = ["/", "/metrics", "/healthz", "/readyz", "/api/v1/status", "/api/v1/events", "/api/v1/events/stream",
                                  "/api/v1/audit"]

/// `GET /`: the status page from the latest snapshot and the latest stored events. A store
/// that cannot be read leaves the events list empty rather than failing the page: the
/// migration state is what an operator opens it for.
func addStatusPageRoute(to router: Router<BasicRequestContext>, state: some ExporterStateProvider, events: any MigrationEventSource) {
    router.get("/") { _, _ -> Response in
        let snapshot = state.latestSnapshot()
        let latest = (try? await latestEvents(events, storedCount: snapshot.eventCounts.values.reduce(0, +))) ?? []
        let page = StatusPage.render(snapshot: snapshot, events: latest, now: Date())
        return Response(
            status: .ok, headers: [.contentType: StatusPage.contentType, .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }
}

/// The newest `StatusPage.eventCount` events. seq runs from 1 without gaps and the snapshot
/// counts every stored event, so they start right after `storedCount - eventCount`; events
/// committed after the snapshot was taken are read on by pages, a bounded number of them.
func latestEvents(_ source: any MigrationEventSource, storedCount: Int64) async throws -> [EventPayload] {
    let limit = StatusPage.eventCount
    var after = max(0, storedCount - Int64(limit))
    var latest: [EventPayload] = []
    for _ in 0..<50 {
        let page = try await source.events(after: after, topic: nil, limit: limit)
        latest = Array((latest + page).suffix(limit))
        guard page.count == limit, let last = page.last else { break }
        after = last.seq
    }
    return latest
}

/// `GET /metrics`: the latest published page, gzip-compressed when the client asks. Nothing
/// is rendered here: the page was rendered when its snapshot was published, and its gzip form
/// is made once per page (`RenderedMetricsPage`), so a scrape only hands out shared bytes.
func addMetricsRoute(to router: Router<BasicRequestContext>, state: some ExporterStateProvider) {
    router.get("/metrics") { request, _ -> Response in
        let page = state.latestMetricsPage()
        var headers: HTTPFields = [.contentType: MetricsPage.contentType, .vary: "Accept-Encoding"]
        if AcceptEncoding.allowsGzip(request.headers[values: .acceptEncoding]), let compressed = await page.gzipped() {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: compressed))
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: page.plain))
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
