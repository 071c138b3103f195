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
        subcommands: [RunCommand.self, OffsetsCommand.self, CheckCommand.self, AuditCommand.self, VersionCommand.self],
        defaultSubcommand: RunCommand.self
    )

    static func main() async {
        // A reader that goes away (`exporterd audit 2>&1 | head`, a log shipper restarting)
        // must cost the write, not the process: EPIPE is handled where it happens
        // (StandardErrorStream), so the signal that would kill the process is ignored.
        signal(SIGPIPE, SIG_IGN)
        if let unknown = unknownSubcommand(in: Array(CommandLine.arguments.dropFirst())) {
            StandardErrorStream.write(Data((unknownSubcommandMessage(unknown) + "\n").utf8))
            Foundation.exit(2)
        }
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
                StandardErrorStream.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

extension Exporterd {
    /// The first argument when it names no subcommand. With `run` as the default subcommand,
    /// ArgumentParser would hand `exporterd frobnicate` to `run` and complain about an argument
    /// there; the operator meant a command and should hear that it does not exist. `run` takes
    /// no positional arguments, so a first argument that is not an option is always a command.
    static func unknownSubcommand(in arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        return subcommandNames.contains(first) ? nil : first
    }

    static var subcommandNames: [String] {
        configuration.subcommands.flatMap { [$0._commandName] + $0.configuration.aliases } + ["help"]
    }

    static func unknownSubcommandMessage(_ name: String) -> String {
        let names = configuration.subcommands.map { $0._commandName }
        return "exporterd: unknown subcommand \"\(LogText.escaped(name))\", expected one of \(names.joined(separator: ", ")) (see exporterd --help)"
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print("exporterd \(BuildInfo.version)") }
}
