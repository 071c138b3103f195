/// `exporterd offsets`: one poll of both clusters, per partition (CONTRACT §8). Needs only the
/// `source`, `destination` and topic settings of the config.
import ArgumentParser
import Diagnostics
import Foundation
import Logging
import SourceWatcher

struct OffsetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offsets",
        abstract: "Read both clusters once and print per-partition offsets and replication lag.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(name: .long, help: "Path to exporterd.yaml") var config: String
    @Option(name: .long, help: "Only this source topic") var topic: String?
    @Option(name: .long, help: "table or json") var format: Format = .table
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        logging.bootstrap()
        let settings = try loadConfigOrExit(config)
        let logger = Logger(label: "exporterd.offsets")
        let clusters = try configured { () throws(ConfigError) in
            try ConfiguredClusters(settings, environment: ProcessInfo.processInfo.environment, logger: logger)
        }

        let report = await OffsetsReport.read(
            source: clusters.source, destination: clusters.destination,
            selection: TopicSelection(mappings: settings.topicMappings, regex: settings.topicsRegex),
            onlyTopic: topic)
        await clusters.shutdown()
        if case .unknownTopic(let name) = report.problem {
            throw ValidationError("--topic \(name): not a watched source topic (see topic_mappings and topics_regex)")
        }
        switch format {
        case .table: print(report.table(), terminator: "")
        case .json: print(try report.json())
        }
        for problem in report.problems { logger.error("\(problem)") }
        if !report.isComplete { throw ExitCode(1) }
    }
}

/// What `make` builds from the config, or its config error printed and exit 2 (CONTRACT §2).
func configured<T>(_ make: () throws(ConfigError) -> T) throws -> T {
    do {
        return try make()
    } catch {
        throw configFailure(error)
    }
}

/// Loads the config or prints its error and exits 2 (CONTRACT §2).
func loadConfigOrExit(_ path: String) throws -> ExporterConfig {
    try configured { () throws(ConfigError) in try ConfigLoader.load(path: path) }
}

func configFailure(_ error: ConfigError) -> ExitCode {
    StandardErrorStream.write(Data("exporterd: config error: \(error)\n".utf8))
    return ExitCode(2)
}
