/// `exporterd check` on the proxy agents: each target scraped once, the way the daemon scrapes
/// it (`ProxyAgents`: the configured auth, CA, timeout and size cap), then which of the two
/// configured counter families the page carries and which watched topics it counts.
import Diagnostics

enum AgentCheck {
    static func results(_ read: ProxyAgents.Read, targets: [String], names: ProxiedCounterNames,
                        watched: [TopicMapping]?) -> [CheckResult] {
        targets.map { target in
            result(ProxyAgents.shown(target), read.pages[target], names: names, watched: watched)
        }
    }

    static func result(_ shown: String, _ page: Result<ProxiedCounterPage, ProxyAgents.ScrapeError>?,
                       names: ProxiedCounterNames, watched: [TopicMapping]?) -> CheckResult {
        let name = "agent \(shown)"
        let counters: ProxiedCounterPage
        switch page {
        case .failure(let error)?: return .fail(name, error.reason)
        case nil: return .fail(name, "not scraped")
        case .success(let answered)?: counters = answered
        }
        let kinds = Set(counters.series.keys.map(\.counter))
        let metric = { (kind: CounterKind) in kind == .records ? names.recordsMetric : names.bytesMetric }
        let found = CounterKind.allCases.filter { kinds.contains($0) }
        let missing = CounterKind.allCases.filter { !kinds.contains($0) }
        let coverage = topicCoverage(counters, watched: watched)
        if found.isEmpty {
            // A client library lists a labelled counter only once it has a child: an agent that
            // has proxied nothing yet looks like one whose metric names are wrong.
            return .warn(name, "page read, but no series of \(names.recordsMetric) or \(names.bytesMetric) "
                + "(with label \(names.topicLabel)): the agent has proxied nothing yet, or proxy_metrics names other metrics than it writes")
        }
        let seriesCount = counters.series.count
        guard missing.isEmpty else {
            return .fail(name, "\(missing.map(metric).joined(separator: ", ")) not on the page "
                + "(found \(found.map(metric).joined(separator: ", ")), \(seriesCount) series); \(coverage)")
        }
        return .pass(name, "\(found.map(metric).joined(separator: " and ")) found, \(seriesCount) series; \(coverage)")
    }

    /// "2 of 3 watched topics on the page (orders, payments; not: audit)". The page labels
    /// counts with the destination topic (the name producers use).
    static func topicCoverage(_ page: ProxiedCounterPage, watched: [TopicMapping]?) -> String {
        let onPage = Set(page.series.keys.map(\.topic))
        guard let watched else { return "topics on the page: \(list(onPage.sorted()))" }
        let present = watched.filter { onPage.contains($0.destinationTopic) }.map(\.destinationTopic)
        let absent = watched.filter { !onPage.contains($0.destinationTopic) }.map(\.destinationTopic)
        var text = "\(present.count) of \(watched.count) watched topics on the page"
        if !present.isEmpty || !absent.isEmpty {
            text += " (" + [present.isEmpty ? nil : list(present), absent.isEmpty ? nil : "not: " + list(absent)]
                .compactMap { $0 }.joined(separator: "; ") + ")"
        }
        return text
    }

    /// Destination topics of the watched mappings that no agent page counts.
    static func topicsOnNoPage(_ read: ProxyAgents.Read, watched: [TopicMapping]) -> Set<String> {
        var onSomePage: Set<String> = []
        for case .success(let page) in read.pages.values { onSomePage.formUnion(page.series.keys.map(\.topic)) }
        return Set(watched.map(\.destinationTopic)).subtracting(onSomePage)
    }

    /// At most ten names, then how many more: a check line stays a line.
    static func list(_ names: [String]) -> String {
        guard names.count > 10 else { return names.isEmpty ? "none" : names.joined(separator: ", ") }
        return names.prefix(10).joined(separator: ", ") + " and \(names.count - 10) more"
    }
}
