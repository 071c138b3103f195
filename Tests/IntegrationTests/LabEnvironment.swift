/// The lab as the integration suites see it: broker addresses and tools exported by
/// `scripts/lab start` (through scripts/test), and ways to drive real Kafka clients.
/// Without EXPORTERD_LAB the suites are skipped, so a plain `swift test` stays hermetic.
import Foundation
import SourceWatcher

enum LabEnvironment {
    static let variables = ProcessInfo.processInfo.environment
    static var isAvailable: Bool { variables["EXPORTERD_LAB"] != nil }

    static var source: BrokerAddress { address(variables["LAB_SOURCE"] ?? "127.0.0.1:19092") }
    static var destination: BrokerAddress { address(variables["LAB_DESTINATION"] ?? "127.0.0.1:19093") }
    static var python: String { variables["LAB_PYTHON"] ?? "\(root)/.venv/bin/python" }
    static var tansu: String { variables["LAB_TANSU"] ?? "\(root)/.lab/tansu" }
    static var root: String {
        variables["LAB_ROOT"] ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    static func address(_ text: String) -> BrokerAddress {
        let parts = text.split(separator: ":")
        return BrokerAddress(host: String(parts[0]), port: Int(parts[1]) ?? 0)
    }

    /// A topic name no other test uses, so suites can run in parallel on shared brokers.
    static func uniqueTopic(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Runs scripts/labctl.py (confluent-kafka / kafka-python) and returns its stdout.
    @discardableResult
    static func labctl(_ arguments: [String]) throws -> String {
        try run(python, ["\(root)/scripts/labctl.py"] + arguments)
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LabFailure.commandFailed(command: ([executable] + arguments).joined(separator: " "),
                                           status: process.terminationStatus,
                                           stderr: String(decoding: errorData, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }
}

enum LabFailure: Error, CustomStringConvertible {
    case commandFailed(command: String, status: Int32, stderr: String)
    case brokerDidNotStart(port: Int)

    var description: String {
        switch self {
        case .commandFailed(let command, let status, let stderr): "\(command) exited \(status): \(stderr)"
        case .brokerDidNotStart(let port): "Tansu did not start listening on \(port)"
        }
    }
}
