/// `exporterd audit` (CONTRACT §8): the pre-decommission audit, once, from live reads of both
/// clusters, the state source and the store in data_dir (opened read-only, so it runs beside
/// the daemon). Prints or writes the report as Markdown, JSON or HTML and exits 0 when
/// everything is SAFE, 1 when something is UNSAFE, 2 when something could not be verified or
/// on a bad config, bad arguments or an unreadable store.
import ArgumentParser
import AsyncHTTPClient
import Diagnostics
import Foundation
import Logging
import MetricsExporter
import SourceWatcher

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit whether switching the source cluster off loses anything; exit 0 only when every topic is SAFE.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case markdown, json, html }

    @Option(name: .long, help: "Path to exporterd.yaml") var config: String
    @Option(name: .long, help: "markdown, json or html") var format: Format = .markdown
    @Option(name: .long, help: "Write the report to this file instead of standard output") var output: String?
    @Option(name: .long, help: "Unmapped source topics with records newer than this are unmigrated (e.g. 7d, 36h, 90m)")
    var since: String = "7d"
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard AuditWindow.parse(since) != nil else {
            throw ValidationError("--since: \"\(since)\" is not a duration (examples: 7d, 2w, 36h, 90m)")
        }
    }

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "exporterd.audit")
        let settings = try loadConfigOrExit(config)
        let environment = ProcessInfo.processInfo.environment
        let clusters = try configured { () throws(ConfigError) in
            try ConfiguredClusters(settings, environment: environment, logger: logger)
        }
        guard settings.proxyMetrics != nil else { throw configFailure(.missing(path: "proxy_metrics")) }
        guard let stateSettings = settings.migrationState else { throw configFailure(.missing(path: "migration_state")) }
        let stateAccess: HTTPAccess
        do {
            stateAccess = try HTTPAccess.stateSource(stateSettings, environment: environment)
        } catch {
            throw configFailure(error)
        }
        let store: ReadOnlyMigrationStore
        do {
            store = try await ReadOnlyMigrationStore.open(dataDirectory: settings.dataDirectory, logger: logger)
        } catch {
            StandardErrorStream.write(Data("exporterd: data_dir: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let history: Result<StoreHistory, MigrationStoreError>
        do {
            history = .success(try await store.history())
        } catch {
            await store.close()
            StandardErrorStream.write(Data("exporterd: data_dir: \(error)\n".utf8))
            throw ExitCode(2)
        }
        await store.close()

        let run = AuditRun(
            reader: AuditEvidenceReader(
                source: clusters.source, destination: clusters.destination,
                selection: TopicSelection(mappings: settings.topicMappings, regex: settings.topicsRegex),
                since: AuditWindow.parse(since) ?? AuditWindow.defaultSince,
                groups: AuditRun.consumerGroups(of: clusters.source)),
            stateSource: MigrationStateSource(settings: stateSettings, client: HTTPClient.shared, environment: environment, access: stateAccess),
            history: { history })
        let report = await run.report()
        await clusters.shutdown()

        let text: String
        switch format {
        case .markdown: text = AuditMarkdown.render(report)
        case .html: text = AuditHTML.render(report)
        case .json: text = String(decoding: try AuditJSON.render(report), as: UTF8.self) + "\n"
        }
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                StandardErrorStream.write(Data("exporterd: --output \(output): \(error.localizedDescription)\n".utf8))
                throw ExitCode(2)
            }
        } else {
            print(text, terminator: "")
        }
        for topic in report.topics where topic.verdict == .unsafe {
            logger.notice("UNSAFE", metadata: ["topic": "\(topic.topic)",
                                               "failed": "\(topic.reasons.filter { !$0.ok }.map(\.check.rawValue))"])
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

/// `--since`: days and weeks (`7d`, `2w`) besides the config's units (`36h`, `90m`, `1h30m`).
enum AuditWindow {
    static let defaultSince: TimeInterval = 7 * 86_400

    static func parse(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, unit) in [("d", 86_400.0), ("w", 604_800.0)] where trimmed.hasSuffix(suffix) {
            guard let value = Double(trimmed.dropLast()), value > 0, value.isFinite else { return nil }
            return value * unit
        }
        guard let duration = DurationText.parse(trimmed), duration > .zero else { return nil }
        return DurationText.nanoseconds(of: duration) / 1e9
    }
}
