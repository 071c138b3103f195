/// The audit's three renderings and its route: every topic, verdict and reason appears in the
/// JSON, Markdown and HTML; names and details that look like markup stay text; the HTML needs
/// nothing from outside the file and prints; `/api/v1/audit` serves the JSON, and requests
/// that arrive during a run share it.
import Diagnostics
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import MetricsExporter

enum AuditFixtures {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)
    static let cutover = now.addingTimeInterval(-3600)
    static let cutoverMs = Int64(cutover.timeIntervalSince1970 * 1000)

    static func partition(_ index: Int32, source: Int64, destination: Int64, cutoverOffset: AuditCutoverOffset = .noRecordSince) -> AuditPartitionEvidence {
        let last: AuditRecordRead = .record(offset: source - 1, timestampMs: cutoverMs - 1000)
        return AuditPartitionEvidence(
            partition: index, sourceHighWatermark: .answered(source), destinationHighWatermark: .answered(destination),
            sourceLastRecord: last, destinationLastRecord: last, cutoverOffset: cutoverOffset)
    }

    static func topic(_ name: String, state: MigrationState, partitions: [AuditPartitionEvidence],
                      groups: AuditGroupsEvidence = .read([]), producers: AuditProducersEvidence = .unsupported(brokers: ["127.0.0.1:19092"])) -> AuditTopicEvidence {
        AuditTopicEvidence(
            topic: name, destinationTopic: name,
            state: .answered(AuditStateEvidence(state: state, since: cutover)),
            history: .answered(AuditHistory(initiatedAt: cutover.addingTimeInterval(-30), completedAt: state == .complete ? cutover : nil)),
            partitions: .answered(partitions), consumerGroups: groups, producers: producers)
    }

    /// One SAFE topic, one with post-migration records, one PROXY with a `<script>` in its name,
    /// one with a consumer group, an unmigrated topic and a topic whose source did not answer.
    static let report: AuditReport = {
        let evidence = AuditEvidence(topics: [
            topic("orders", state: .complete, partitions: [partition(0, source: 10, destination: 10)]),
            topic("payments", state: .complete, partitions: [partition(0, source: 13, destination: 10, cutoverOffset: .firstOffset(10))]),
            topic("<script>alert(1)</script>|*x*", state: .proxy, partitions: [partition(0, source: 5, destination: 5)]),
            topic("billing", state: .complete, partitions: [partition(0, source: 4, destination: 4)], groups: .read([
                AuditConsumerGroup(groupId: "billing-<b>", state: "Stable", members: [
                    AuditGroupMember(memberId: "m1", clientId: "c1", clientHost: "/10.0.0.1", partitions: [0]),
                ], committedOffsets: [0: 3]),
            ])),
            AuditTopicEvidence(topic: "frozen", destinationTopic: "frozen",
                               state: .answered(AuditStateEvidence(state: .complete, since: cutover)),
                               history: .answered(AuditHistory()), partitions: .notAnswered("source: request timed out"),
                               consumerGroups: .notAnswered("coordinator timed out"), producers: .notAnswered("timed out")),
        ], unmappedTopics: [
            AuditUnmappedTopic(topic: "legacy&co", partitions: .answered([
                AuditUnmappedPartition(partition: 0, firstRecentOffset: 7, firstRecentTimestampMs: cutoverMs, highWatermark: 9),
            ])),
        ], sourceTopicList: .answered(7), since: 7 * 86400)
        return AuditVerdicts.judge(evidence, now: now)
    }()
}

@Suite struct AuditRenderTests {
    let report = AuditFixtures.report

    @Test func fixtureCoversEveryVerdict() {
        #expect(report.topics.map(\.verdict) == [.safe, .unsafe, .unsafe, .unsafe, .unsafe])
        #expect(report.exitCode == 2)  // "frozen" did not answer
    }

    @Test func jsonHasTheContractShapeAndEveryReason() throws {
        let json = try JSONSerialization.jsonObject(with: AuditJSON.render(report)) as! [String: Any]
        #expect(json["verdict"] as? String == "UNSAFE")
        #expect(json["generated_at"] as? String == "2026-11-18T11:06:40.000Z")
        #expect(json["exit_code"] as? Int == 2)
        let topics = json["topics"] as! [[String: Any]]
        #expect(topics.map { $0["topic"] as? String } == report.topics.map(\.topic))
        for (rendered, topic) in zip(topics, report.topics) {
            #expect(rendered["destination_topic"] as? String == topic.destinationTopic)
            #expect(rendered["verdict"] as? String == topic.verdict.rawValue)
            let reasons = rendered["reasons"] as! [[String: Any]]
            #expect(reasons.map { $0["check"] as? String } == topic.reasons.map(\.check.rawValue))
            #expect(reasons.map { $0["ok"] as? Bool } == topic.reasons.map(\.ok))
            #expect(reasons.map { $0["detail"] as? String } == topic.reasons.map(\.detail))
            #expect(Set(reasons.flatMap(\.keys)) == ["check", "ok", "detail"])
        }
        let payments = topics[1]
        #expect(payments["post_migration_records"] as? Int == 3)
        let partition = (payments["partitions"] as! [[String: Any]])[0]
        #expect(partition["first_post_migration_offset"] as? Int == 10)
        #expect(partition["destination_high_watermark"] as? Int == 10)
        #expect(topics[4]["partitions"] as? [Any] != nil)  // present, empty: not answered
        #expect(topics[4]["post_migration_records"] is NSNull)
        let unmigrated = json["unmigrated_topics"] as! [[String: Any]]
        #expect(unmigrated.map { $0["topic"] as? String } == ["legacy&co"])
        #expect(unmigrated[0]["verdict"] as? String == "UNSAFE")
        #expect(unmigrated[0]["recent_records"] as? Int == 2)
    }

    @Test func markdownListsEveryTopicVerdictAndReason() {
        let markdown = AuditMarkdown.render(report, version: "1.2.3")
        #expect(markdown.hasPrefix("# Pre-decommission audit: UNSAFE\n"))
        #expect(markdown.contains("Exit code 2"))
        for topic in report.topics {
            #expect(markdown.contains("\(AuditMarkdown.escape(topic.topic)) → \(AuditMarkdown.escape(topic.destinationTopic)): \(topic.verdict.rawValue)"))
            for reason in topic.reasons {
                #expect(markdown.contains("`\(reason.check.rawValue)`: \(AuditMarkdown.escape(reason.detail))"))
            }
        }
        #expect(markdown.contains("### legacy&co: UNSAFE"))
        #expect(markdown.contains("**NOT VERIFIED** `all_records_on_destination`"))
        #expect(markdown.contains("**FAIL** `no_post_migration_records`: 3 records reached the source"))
    }

    @Test func markdownEscapesNames() {
        let markdown = AuditMarkdown.render(report)
        #expect(!markdown.contains("<script>"))
        #expect(markdown.contains("\\<script\\>alert(1)\\</script\\>\\|\\*x\\*"))
        #expect(AuditMarkdown.escape("a|b\nc_d") == "a\\|b c\\_d")
        // A table row has exactly its 4 cells: the `|` in the name did not add one.
        let row = markdown.split(separator: "\n").first { $0.contains("alert(1)") && $0.hasPrefix("|") }!
        #expect(row.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count == 5)
    }

    @Test func htmlIsSelfContainedEscapedAndPrintable() {
        let html = AuditHTML.render(report, version: "1.2.3")
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("@media print"))
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;|*x*"))
        #expect(html.contains("billing-&lt;b&gt;"))
        #expect(html.contains("legacy&amp;co"))
        for external in ["src=", "href=", "@import", "url("] {
            #expect(!html.contains(external), "\(external)")
        }
        for topic in report.topics {
            #expect(html.contains("data-topic=\"\(HTML.escape(topic.topic))\" data-verdict=\"\(topic.verdict.rawValue)\""))
            for reason in topic.reasons {
                #expect(html.contains("<code>\(reason.check.rawValue)</code> \(HTML.escape(reason.detail))"))
            }
        }
        #expect(html.contains("data-topic=\"legacy&amp;co\" data-verdict=\"UNSAFE\""))
    }
}

/// Counts runs and holds each until the test opens the gate.
actor GatedAudit: AuditSource {
    private(set) var runs = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    let report: AuditReport

    init(_ report: AuditReport) {
        self.report = report
    }

    func audit() async throws -> AuditReport {
        runs += 1
        await withCheckedContinuation { waiting.append($0) }
        return report
    }

    func open() {
        for continuation in waiting { continuation.resume() }
        waiting.removeAll()
    }
}

@Suite struct AuditRouteTests {
    @Test func servesTheJSONAndTheOtherFormats() async throws {
        let source = SharedAuditRun(FixedAudit(report: AuditFixtures.report))
        let expected = try AuditJSON.render(AuditFixtures.report)
        let app = Application(router: buildRouter(state: ExporterState(initial: MetricsFixtures.golden), audit: source))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/audit", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(Data(buffer: response.body) == expected)
            }
            try await client.execute(uri: "/api/v1/audit?format=markdown", method: .get) { response in
                #expect(response.headers[.contentType] == "text/markdown; charset=utf-8")
                #expect(String(buffer: response.body) == AuditMarkdown.render(AuditFixtures.report))
            }
            try await client.execute(uri: "/api/v1/audit?format=html", method: .get) { response in
                #expect(String(buffer: response.body).hasPrefix("<!DOCTYPE html>"))
            }
            try await client.execute(uri: "/api/v1/audit?format=pdf", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func withoutAnAuditSourceItIs503() async throws {
        let app = Application(router: buildRouter(state: ExporterState(initial: MetricsFixtures.golden)))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/audit", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
    }

    @Test func concurrentRequestsShareOneRun() async throws {
        let gated = GatedAudit(AuditFixtures.report)
        let shared = SharedAuditRun(gated)
        async let first = shared.audit()
        async let second = shared.audit()
        async let third = shared.audit()
        // Hold the run until the other two requests have joined it.
        while true {
            let joined = await shared.joined, runs = await gated.runs
            if joined == 2, runs == 1 { break }
            await Task.yield()
        }
        await gated.open()
        let reports = try await [first, second, third]
        #expect(reports.allSatisfy { $0 == AuditFixtures.report })
        #expect(await gated.runs == 1)
        // Finished: the next request runs the audit again.
        async let fourth = shared.audit()
        while await gated.runs < 2 { await Task.yield() }
        await gated.open()
        _ = try await fourth
        #expect(await gated.runs == 2)
        #expect(await shared.joined == 2)
    }
}

struct FixedAudit: AuditSource {
    let report: AuditReport
    func audit() async throws -> AuditReport { report }
}
