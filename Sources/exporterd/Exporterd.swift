/// The executable's entry point: the command tree of CONTRACT §8.
import ArgumentParser
import MetricsExporter

@main
struct Exporterd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exporterd",
        abstract: "Watches a proxy-based Kafka producer migration and exports it to Prometheus.",
        version: BuildInfo.version,
        subcommands: [OffsetsCommand.self, VersionCommand.self]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print("exporterd \(BuildInfo.version)") }
}
