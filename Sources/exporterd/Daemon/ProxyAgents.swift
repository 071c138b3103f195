/// Reading the proxy agents' counters: every `proxy_metrics.targets` page scraped at once
/// with a timeout and a size cap, read strictly inside the two counters' families and
/// tolerantly outside them. The read is usable for accounting only when every agent answered
/// with a readable page (CONTRACT §5 proxy_counters_incomplete).
import AsyncHTTPClient
import Diagnostics
import Foundation
import Logging
import MetricsExporter
import NIOCore

struct ProxyAgents {
    enum ScrapeError: Error, CustomStringConvertible {
        case unreachable(target: String, reason: String)
        case status(target: String, code: UInt)
        /// A body that is not a metrics page by its Content-Type (an HTML login or error page).
        case notMetrics(target: String, contentType: String)
        case unparsable(target: String, ProxiedPageError)
        case tooLarge(target: String, limit: Int)

        /// Never shows a user:password a target URL may carry (secrets stay out of logs).
        var description: String {
            switch self {
            case .unreachable(let target, _), .status(let target, _), .notMetrics(let target, _),
                 .unparsable(let target, _), .tooLarge(let target, _):
                "\(ProxyAgents.shown(target)): \(reason)"
            }
        }

        /// What went wrong, without the target (the status API lists it per target).
        var reason: String {
            switch self {
            case .unreachable(_, let reason): "unreachable: \(reason)"
            case .status(_, let code): "HTTP \(code)"
            case .notMetrics(_, let contentType): "answered \(ExpositionError.shown(contentType)), not a metrics page"
            case .unparsable(_, let error): "unusable page: \(error)"
            case .tooLarge(_, let limit): "page larger than \(limit) bytes"
            }
        }
    }

    /// One scrape of all agents.
    struct Read {
        var readAt: Date
        /// Per target: its counters, or why not.
        var pages: [String: Result<ProxiedCounterPage, ScrapeError>]
        var allAnswered: Bool { pages.values.allSatisfy { if case .success = $0 { true } else { false } } }

        /// Why `target` gives no usable counters this poll: its scrape failed, or (after
        /// `totals` took the page) a series of it is missing; nil when it is usable.
        func problem(of target: String, totals: ProxiedCounterTotals) -> String? {
            switch pages[target] {
            case .failure(let error)?: return error.reason
            case nil: return "not scraped"
            case .success?:
                let missing = totals.missingSeries(of: target)
                guard let first = missing.first else { return nil }
                return missing.count == 1 ? "\(first)" : "\(first), and \(missing.count - 1) more series missing"
            }
        }
    }

    /// Pages past this are refused: a runaway agent must not take exporterd's memory.
    static let defaultPageLimit = 32 * 1024 * 1024

    let settings: ProxyMetricsSettings
    let client: HTTPClient
    /// Credentials and CA for every target (`HTTPAccess.agents`).
    let access: HTTPAccess
    var pageLimit: Int
    var logger: Logger

    init(settings: ProxyMetricsSettings, client: HTTPClient, access: HTTPAccess = HTTPAccess(),
         pageLimit: Int = Self.defaultPageLimit, logger: Logger = Logger(label: "exporterd.agents")) {
        self.settings = settings
        self.client = client
        self.access = access
        self.pageLimit = pageLimit
        self.logger = logger
    }

    var names: ProxiedCounterNames {
        ProxiedCounterNames(recordsMetric: settings.recordsMetric, bytesMetric: settings.bytesMetric, topicLabel: settings.topicLabel)
    }

    func scrape() async -> Read {
        let readAt = Date()
        var pages: [String: Result<ProxiedCounterPage, ScrapeError>] = [:]
        await withTaskGroup(of: (String, Result<ProxiedCounterPage, ScrapeError>).self) { group in
            for target in settings.targets {
                group.addTask { (target, await scrape(target)) }
            }
            for await (target, result) in group { pages[target] = result }
        }
        return Read(readAt: readAt, pages: pages)
    }

    func scrape(_ target: String) async -> Result<ProxiedCounterPage, ScrapeError> {
        var request = HTTPClientRequest(url: target)
        request.headers.add(name: "Accept", value: "text/plain;version=0.0.4, application/openmetrics-text;q=0.5")
        access.apply(to: &request)
        let body: ByteBuffer
        let (client, timeout, limit) = (client, settings.timeout, pageLimit)
        do {
            // The whole exchange within `timeout`, body included: a stalled page must not hang the poll.
            let answer = try await withDeadline(timeout) { [request] () async throws -> Result<ByteBuffer, ScrapeError> in
                let response = try await client.execute(request, timeout: TimeAmount(timeout))
                guard response.status.code == 200 else { return .failure(.status(target: target, code: response.status.code)) }
                if let type = response.headers.first(name: "Content-Type"), Self.isHTML(type) {
                    return .failure(.notMetrics(target: target, contentType: type))
                }
                return .success(try await response.body.collect(upTo: limit))
            }
            body = try answer.get()
        } catch let error as ScrapeError {
            return .failure(error)
        } catch is NIOTooManyBytesError {
            return .failure(.tooLarge(target: target, limit: limit))
        } catch {
            return .failure(.unreachable(target: target, reason: "\(error)"))
        }
        let names = self.names
        let page: ProxiedCounterPage
        do {
            page = try body.withUnsafeReadableBytes { raw throws(ProxiedPageError) in
                try ProxiedCounters.read(utf8: raw.bindMemory(to: UInt8.self), names: names)
            }
        } catch {
            return .failure(.unparsable(target: target, error))
        }
        if let first = page.firstSkipped {
            logger.debug("agent page: skipped lines outside the proxied counters' families", metadata: [
                "target": "\(Self.shown(target))", "skipped": "\(page.skippedLines)", "first": "\(first)"])
        }
        return .success(page)
    }

    /// A target as logs show it: without any user:password part.
    static func shown(_ target: String) -> String { ProxyTargetMetrics.withoutCredentials(target) }

    /// Prometheus and OpenMetrics pages are text/plain or application/openmetrics-text; an
    /// agent may send neither (or nothing), but an HTML body is never a metrics page.
    static func isHTML(_ contentType: String) -> Bool {
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return media == "text/html" || media == "application/xhtml+xml"
    }
}
