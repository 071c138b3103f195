/// The executable's entry point: the command tree of CONTRACT §8, and the rule that bad
/// arguments exit 2 like a bad config (ArgumentParser's own default would be 64).
import ArgumentParser
import Foundation
import MetricsExporter

@main
struct Exporterd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exporterd",
        abstract: "Watches a proxy-based Kafka producer migration and exports it to Prometheus.",
        version: BuildInfo.version,
        subcommands: [RunCommand.self, OffsetsCommand.self, VersionCommand.self],
        defaultSubcommand: RunCommand.self
    )

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // A usage error: print ArgumentParser's message and help hint, exit 2.
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print("exporterd \(BuildInfo.version)") }
}
