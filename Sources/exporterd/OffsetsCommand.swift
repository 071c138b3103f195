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
        guard let source = settings.source else { throw configFailure(.missing(path: "source")) }
        guard let destination = settings.destination else { throw configFailure(.missing(path: "destination")) }
        let sourceSettings = try resolvedConnectionSettings(source, cluster: "source")
        let destinationSettings = try resolvedConnectionSettings(destination, cluster: "destination")
        let logger = Logger(label: "exporterd.offsets")

        let sourceCluster = KafkaCluster(name: "source", bootstrapBrokers: source.bootstrapBrokers,
                                         settings: sourceSettings, logger: logger)
        let destinationCluster = KafkaCluster(name: "destination", bootstrapBrokers: destination.bootstrapBrokers,
                                              settings: destinationSettings, logger: logger)
        let report = await OffsetsReport.read(
            source: sourceCluster, destination: destinationCluster,
            selection: TopicSelection(mappings: settings.topicMappings, regex: settings.topicsRegex),
            onlyTopic: topic)
        await sourceCluster.shutdown()
        await destinationCluster.shutdown()
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

/// The cluster's connection settings with its SASL secrets read from the environment; a
/// config error (exit 2) when one is missing.
func resolvedConnectionSettings(_ cluster: ClusterSettings, cluster name: String,
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ConnectionSettings {
    do {
        return try cluster.connectionSettings(cluster: name, environment: environment)
    } catch {
        throw configFailure(error)
    }
}

/// Loads the config or prints its error and exits 2 (CONTRACT §2).
func loadConfigOrExit(_ path: String) throws -> ExporterConfig {
    do {
        return try ConfigLoader.load(path: path)
    } catch {
        throw configFailure(error)
    }
}

func configFailure(_ error: ConfigError) -> ExitCode {
    StandardErrorStream.write(Data("exporterd: config error: \(error)\n".utf8))
    return ExitCode(2)
}
