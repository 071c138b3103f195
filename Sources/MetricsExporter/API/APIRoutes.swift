/// The JSON API of CONTRACT §7: `/api/v1/status`, `/api/v1/events` and the live
/// `/api/v1/events/stream`. Described in `docs/openapi.yaml`; `OpenAPIConformanceTests` checks
/// real answers of these routes against that document.
import Foundation
import Hummingbird

func addAPIRoutes(
    to router: Router<BasicRequestContext>,
    state: some ExporterStateProvider,
    events: any MigrationEventSource,
    broadcaster: EventBroadcaster,
    heartbeatInterval: Duration
) {
    router.get("/api/v1/status") { _, _ -> Response in
        let snapshot = state.latestSnapshot()
        do {
            return json(.ok, try StatusDocument.render(snapshot, now: Date()))
        } catch {
            return apiError(.internalServerError, APIErrorBody(error: "cannot encode the status: \(error)"))
        }
    }

    router.get("/api/v1/events") { request, _ -> Response in
        let query: EventsQuery
        do {
            query = try EventsQuery.list(request.uri.queryParameters)
        } catch {
            return badRequest(error)
        }
        let page: [EventPayload]
        do {
            page = try await events.events(after: query.after, topic: query.topic, limit: query.limit)
        } catch {
            return apiError(.internalServerError, APIErrorBody(error: "cannot read the event store: \(error)"))
        }
        var body = ByteBuffer(string: #"{"events":["#)
        for (index, event) in page.enumerated() {
            if index > 0 { body.writeString(",") }
            body.writeString(event.json)
        }
        body.writeString("]}")
        return Response(status: .ok, headers: [.contentType: jsonContentType], body: ResponseBody(byteBuffer: body))
    }

    let stream = EventStream(events: events, broadcaster: broadcaster, heartbeatInterval: heartbeatInterval)
    router.get("/api/v1/events/stream") { request, _ -> Response in
        let query: EventsQuery
        do {
            query = try EventsQuery.stream(request.uri.queryParameters, lastEventID: request.headers[.lastEventID])
        } catch {
            return badRequest(error)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: stream.body(for: query))
    }
}

/// The API's error object: `{"error": "...", "parameter": "limit"}`, `parameter` only for a
/// bad query parameter or header.
struct APIErrorBody: Encodable {
    var error: String
    var parameter: String?
}

let jsonContentType = "application/json; charset=utf-8"

private func json(_ status: HTTPResponse.Status, _ data: Data) -> Response {
    Response(status: status, headers: [.contentType: jsonContentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}

private func badRequest(_ error: any Error) -> Response {
    let parameterError = error as? APIParameterError
    return apiError(.badRequest, APIErrorBody(error: parameterError?.message ?? "\(error)", parameter: parameterError?.parameter))
}

func apiError(_ status: HTTPResponse.Status, _ body: APIErrorBody) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(body)) ?? Data(#"{"error":"internal error"}"#.utf8)
    return json(status, data)
}

extension HTTPFields.Element.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
