/// `exporterd check --config FILE [--format text|json]` (CONTRACT §8): validates the config
/// (exit 2 on a bad one), then connects to everything it names and prints one ✓/✗/⚠ line per
/// thing checked; exit 0 when nothing failed, 1 otherwise.
import ArgumentParser
import Foundation
import Logging

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the config and connect to both clusters, every agent and the state source.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(name: .long, help: "Path to exporterd.yaml") var config: String
    @Option(name: .long, help: "text or json") var format: Format = .text
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        logging.bootstrap()
        let settings = try loadConfigOrExit(config)
        var logger = Logger(label: "exporterd.check")
        // Every failure is a line of the report; the clusters' own warnings would only repeat
        // them on stderr. Asking for debug or trace still shows everything.
        if logger.logLevel >= .info { logger.logLevel = .error }
        let report: CheckReport
        do {
            report = try await ConfigCheck(config: settings, configPath: config, logger: logger).run()
        } catch {
            throw configFailure(error)
        }
        switch format {
        case .text: print(report.text(), terminator: "")
        case .json: print(try report.json())
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
