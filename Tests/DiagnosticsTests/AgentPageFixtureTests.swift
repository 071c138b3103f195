/// Agent pages written by a real metrics library, prometheus_client, in text format 0.0.4 and
/// OpenMetrics (scripts/gen_agent_pages.py writes them and `expected.json`, what it counted):
/// hundreds of other families, `_created`, `# UNIT`, exemplars, `# EOF`, escaped label values,
/// NaN and ±Inf gauges, our counters split by partition, client and agent id.
import Foundation
import Testing
@testable import Diagnostics

enum AgentPageFixtures {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    struct Expected: Decodable {
        var countersByTopic: [String: [String: Int64]]
        var seriesPerCounter: Int
        var families: Int
    }

    static let pages = ["python-text.prom", "python-openmetrics.prom"]

    static func page(_ name: String) throws -> [UInt8] {
        let file = (name as NSString).deletingPathExtension
        guard let url = Bundle.module.url(forResource: file, withExtension: "prom", subdirectory: "AgentPages") else {
            throw Missing(description: "no fixture \(name); run scripts/gen_agent_pages.py")
        }
        return Array(try Data(contentsOf: url))
    }

    static func expected(_ name: String) throws -> Expected {
        guard let url = Bundle.module.url(forResource: "expected", withExtension: "json", subdirectory: "AgentPages"),
              let entry = try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: url))[name]
        else { throw Missing(description: "no entry \(name) in expected.json") }
        return entry
    }

    static func read(_ bytes: [UInt8], names: ProxiedCounterNames = .init()) throws -> ProxiedCounterPage {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(ProxiedPageError) in try ProxiedCounters.read(utf8: buffer, names: names) }
        }
        return try result.get()
    }
}

@Suite struct AgentPageFixtureTests {
    @Test(arguments: AgentPageFixtures.pages)
    func prometheusClientPageReadsWhatItCounted(name: String) throws {
        let expected = try AgentPageFixtures.expected(name)
        let page = try AgentPageFixtures.read(try AgentPageFixtures.page(name))
        #expect(expected.families > 200, "the page should carry hundreds of other families")
        #expect(page.skippedLines == 0, "\(String(describing: page.firstSkipped))")
        #expect(page.series.count == 2 * expected.seriesPerCounter)
        let counted = expected.countersByTopic.mapValues {
            TopicCounters(records: Double($0["records"] ?? -1), bytes: Double($0["bytes"] ?? -1))
        }
        #expect(page.countersByTopic == counted)
        #expect(page.processStartTime != nil)
        // The escaped client id comes back as prometheus_client was given it.
        #expect(page.series.keys.contains { $0.labels["client_id"] == #"svc "quoted" \ id"# })
    }

    /// Configured without `_total`, OpenMetrics' family name: the same counts.
    @Test(arguments: AgentPageFixtures.pages)
    func familyNameConfiguredReadsTheSame(name: String) throws {
        let bytes = try AgentPageFixtures.page(name)
        let names = ProxiedCounterNames(recordsMetric: "kafka_proxy_produced_records", bytesMetric: "kafka_proxy_produced_bytes")
        #expect(try AgentPageFixtures.read(bytes, names: names).countersByTopic == AgentPageFixtures.read(bytes).countersByTopic)
    }

    /// One byte of one of our samples spoiled on the library's page: refused with that line,
    /// while the same spoiling in another family is skipped.
    @Test(arguments: AgentPageFixtures.pages)
    func spoiledSampleOfOursNamesItsLine(name: String) throws {
        let text = String(decoding: try AgentPageFixtures.page(name), as: UTF8.self)
        var lines = text.components(separatedBy: "\n")
        let ours = try #require(lines.firstIndex { $0.hasPrefix("kafka_proxy_produced_bytes_total{") })
        lines[ours] = lines[ours].replacingOccurrences(of: "} ", with: "} -")
        #expect {
            try AgentPageFixtures.read(Array(lines.joined(separator: "\n").utf8))
        } throws: { error in
            (error as? ProxiedPageError)?.line == ours + 1
        }

        var others = text.components(separatedBy: "\n")
        let other = try #require(others.firstIndex { $0.hasPrefix("jvm_memory_pool_3_bytes{") })
        others[other] = others[other].replacingOccurrences(of: "} ", with: "} --")
        let page = try AgentPageFixtures.read(Array(others.joined(separator: "\n").utf8))
        #expect(page.skippedLines == 1)
        #expect(page.firstSkipped?.line == other + 1)
    }

    /// The page cut at every line boundary of the OpenMetrics page (a truncated body): never
    /// a count above what the library counted.
    @Test func truncatedPageNeverCountsMore() throws {
        let name = "python-openmetrics.prom"
        let expected = try AgentPageFixtures.expected(name)
        let lines = String(decoding: try AgentPageFixtures.page(name), as: UTF8.self).components(separatedBy: "\n")
        for cut in stride(from: 0, to: lines.count, by: 7) {
            let prefix = lines[..<cut].joined(separator: "\n")
            guard let page = try? AgentPageFixtures.read(Array(prefix.utf8)) else { continue }
            for (topic, counters) in page.countersByTopic {
                #expect(counters.records <= Double(expected.countersByTopic[topic]?["records"] ?? 0))
            }
        }
    }
}
