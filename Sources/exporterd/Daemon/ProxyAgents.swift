/// Reading the proxy agents' counters: every `proxy_metrics.targets` page scraped at once
/// with a timeout, parsed strictly, and folded into the reset-corrected totals. The read is
/// usable for accounting only when every agent answered (CONTRACT §5 proxy_counters_incomplete).
import AsyncHTTPClient
import Diagnostics
import Foundation
import MetricsExporter
import NIOCore

struct ProxyAgents {
    enum ScrapeError: Error, CustomStringConvertible {
        case unreachable(target: String, reason: String)
        case status(target: String, code: UInt)
        case unparsable(target: String, ExpositionError)
        case tooLarge(target: String, limit: Int)

        /// Never shows a user:password a target URL may carry (secrets stay out of logs).
        var description: String {
            switch self {
            case .unreachable(let target, let reason): "\(Self.shown(target)): unreachable: \(reason)"
            case .status(let target, let code): "\(Self.shown(target)): HTTP \(code)"
            case .unparsable(let target, let error): "\(Self.shown(target)): not a Prometheus text page: \(error)"
            case .tooLarge(let target, let limit): "\(Self.shown(target)): page larger than \(limit) bytes"
            }
        }

        private static func shown(_ target: String) -> String { ProxyTargetMetrics.withoutCredentials(target) }
    }

    /// One scrape of all agents.
    struct Read {
        var readAt: Date
        /// Per target: the counters by destination topic, or why not.
        var pages: [String: Result<[String: TopicCounters], ScrapeError>]
        var allAnswered: Bool { pages.values.allSatisfy { if case .success = $0 { true } else { false } } }
    }

    let settings: ProxyMetricsSettings
    let client: HTTPClient
    static let pageLimit = 32 * 1024 * 1024

    var names: ProxiedCounterNames {
        ProxiedCounterNames(recordsMetric: settings.recordsMetric, bytesMetric: settings.bytesMetric, topicLabel: settings.topicLabel)
    }

    func scrape() async -> Read {
        let readAt = Date()
        let names = self.names
        var pages: [String: Result<[String: TopicCounters], ScrapeError>] = [:]
        await withTaskGroup(of: (String, Result<[String: TopicCounters], ScrapeError>).self) { group in
            for target in settings.targets {
                group.addTask {
                    (target, await Self.scrape(target, client: client, timeout: settings.timeout, names: names))
                }
            }
            for await (target, result) in group { pages[target] = result }
        }
        return Read(readAt: readAt, pages: pages)
    }

    static func scrape(_ target: String, client: HTTPClient, timeout: Duration, names: ProxiedCounterNames) async -> Result<[String: TopicCounters], ScrapeError> {
        var request = HTTPClientRequest(url: target)
        request.headers.add(name: "Accept", value: "text/plain;version=0.0.4, application/openmetrics-text;q=0.5")
        let body: ByteBuffer
        do {
            // The whole exchange within `timeout`, body included: a stalled page must not hang the poll.
            let (code, page) = try await withDeadline(timeout) { [request] () async throws -> (UInt, ByteBuffer?) in
                let response = try await client.execute(request, timeout: TimeAmount(timeout))
                guard response.status.code == 200 else { return (response.status.code, nil) }
                return (200, try await response.body.collect(upTo: pageLimit))
            }
            guard let page else { return .failure(.status(target: target, code: code)) }
            body = page
        } catch let error as NIOTooManyBytesError {
            _ = error
            return .failure(.tooLarge(target: target, limit: pageLimit))
        } catch {
            return .failure(.unreachable(target: target, reason: "\(error)"))
        }
        do {
            let page = try body.withUnsafeReadableBytes { raw throws(ExpositionError) in
                try ExpositionParser.parse(utf8: raw.bindMemory(to: UInt8.self))
            }
            return .success(ProxiedCounters.extract(from: page, names: names))
        } catch {
            return .failure(.unparsable(target: target, error))
        }
    }
}
