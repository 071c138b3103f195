/// `GET /api/v1/audit` (CONTRACT §7, §8): the pre-decommission audit run by the daemon, as the
/// same JSON `exporterd audit --format json` prints (`?format=markdown` and `?format=html`
/// give the other two renderings). The audit reads both clusters, so it never runs on the
/// scrape path: the route awaits an `AuditSource` without holding anything `/metrics` needs,
/// and `SharedAuditRun` makes concurrent requests share one run instead of each asking the
/// brokers again.
import Diagnostics
import Foundation
import Hummingbird

/// Runs one audit; implemented by the daemon over its clusters, store and state source.
public protocol AuditSource: Sendable {
    func audit() async throws -> AuditReport
}

/// One audit at a time: a request arriving while a run is in progress waits for that run's
/// report rather than starting another. The next request after it finishes starts afresh, so
/// no answer is older than the request that asked for it by more than one run.
public actor SharedAuditRun: AuditSource {
    private let source: any AuditSource
    private var running: Task<AuditReport, any Error>?
    /// Requests that joined a run already in progress (tests watch it).
    private(set) var joined = 0

    public init(_ source: any AuditSource) {
        self.source = source
    }

    public func audit() async throws -> AuditReport {
        if let running {
            joined += 1
            return try await running.value
        }
        let source = self.source
        let task = Task { try await source.audit() }
        running = task
        defer { running = nil }
        return try await task.value
    }
}

enum AuditFormat: String {
    case json, markdown, html
}

func addAuditRoute(to router: Router<BasicRequestContext>, audit: (any AuditSource)?) {
    router.get("/api/v1/audit") { request, _ -> Response in
        let name = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard let format = AuditFormat(rawValue: name) else {
            return apiError(.badRequest, APIErrorBody(error: "format: unknown value \"\(name)\", expected json, markdown or html", parameter: "format"))
        }
        guard let audit else {
            return apiError(.serviceUnavailable, APIErrorBody(error: "the audit is not available in this server"))
        }
        let report: AuditReport
        do {
            report = try await audit.audit()
        } catch {
            return apiError(.internalServerError, APIErrorBody(error: "the audit could not run: \(error)"))
        }
        switch format {
        case .json:
            do {
                return Response(status: .ok, headers: [.contentType: jsonContentType, .cacheControl: "no-store"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: try AuditJSON.render(report))))
            } catch {
                return apiError(.internalServerError, APIErrorBody(error: "cannot encode the audit: \(error)"))
            }
        case .markdown:
            return Response(status: .ok, headers: [.contentType: "text/markdown; charset=utf-8", .cacheControl: "no-store"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: AuditMarkdown.render(report))))
        case .html:
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: AuditHTML.render(report))))
        }
    }
}
