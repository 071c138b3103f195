/// The command line as an operator meets it: subcommands, and the start-up failures that must be
/// one clear line with the right exit code. The start-up cases run the built `exporterd`
/// binary, since what matters is everything it prints before it exits.
import Foundation
import Hummingbird
import Testing
@testable import exporterd

@Suite struct CommandLineTests {
    @Test func versionSubcommandParses() throws {
        let command = try Exporterd.parseAsRoot(["version"])
        #expect(command is VersionCommand)
    }

    @Test(arguments: [
        (["frobnicate"], "frobnicate"), (["frobnicate", "--config", "x.yaml"], "frobnicate"), (["Run"], "Run"),
        (["run", "--config", "x.yaml"], nil), (["--config", "x.yaml"], nil), (["version"], nil), (["offsets"], nil),
        (["help"], nil), ([], nil), (["--help"], nil),
    ] as [([String], String?)])
    func unknownSubcommandIsNamed(arguments: [String], unknown: String?) {
        #expect(Exporterd.unknownSubcommand(in: arguments) == unknown)
    }

    @Test func unknownSubcommandIsEscapedInTheMessage() {
        #expect(Exporterd.unknownSubcommandMessage("a\rb").contains(#""a\rb""#))
    }

    @Test func unknownSubcommandSaysSoAndExits2() throws {
        let result = try runExporterd(["frobnicate"])
        #expect(result.status == 2)
        // The list follows the command tree (other subcommands join it).
        #expect(result.stderr.hasPrefix("exporterd: unknown subcommand \"frobnicate\", expected one of run, offsets, "), "\(result.stderr)")
        #expect(result.stderr.hasSuffix(" (see exporterd --help)\n"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    /// A port already taken: one config error naming listen_address, exit 2, and the store is
    /// never opened (before: the store opened, the poll loop started, and shutting it down on the
    /// server's failure logged "committing the poll failed" and "closing the store failed").
    @Test func listenAddressInUseIsOneConfigError() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (result, port) = try await withLocalHTTPServer({ _ in }) { base in
            let port = Int(base.split(separator: ":").last!)!
            let config = try writeConfig(in: directory, listen: "127.0.0.1:\(port)")
            return (try runExporterd(["run", "--config", config]), port)
        }
        #expect(result.status == 2)
        #expect(result.stderr == "exporterd: config error: listen_address: cannot listen on 127.0.0.1:\(port): address already in use\n")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("data").path))
    }

    @Test func unresolvableListenAddressIsOneConfigError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try writeConfig(in: directory, listen: "no-such-host.invalid:9464")
        let result = try runExporterd(["run", "--config", config])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("exporterd: config error: listen_address: cannot resolve host \"no-such-host.invalid\": "), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    /// data_dir is a file: the reason is a sentence, not `NSCocoaErrorDomain error 512`.
    @Test func dataDirThatIsAFileIsWordedForPeople() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let blocker = directory.appendingPathComponent("data")
        FileManager.default.createFile(atPath: blocker.path, contents: Data("not a directory".utf8))
        let config = try writeConfig(in: directory, listen: "127.0.0.1:0")
        let result = try runExporterd(["run", "--config", config])
        #expect(result.status == 1)
        #expect(result.stderr.contains("data_dir: cannot create data directory \(blocker.path): \(blocker.path) is not a directory"),
                "\(result.stderr)")
        #expect(!result.stderr.contains("Cocoa"))
        #expect(!result.stderr.contains("committing the poll failed"))
        #expect(!result.stderr.contains("closing the store failed"))
    }

    @Test func missingConfigFileIsWordedForPeople() throws {
        let result = try runExporterd(["run", "--config", "/nonexistent/exporterd.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr == "exporterd: config error: /nonexistent/exporterd.yaml: cannot read: no such file or directory\n")
    }

    // MARK: running the binary

    struct Run {
        var status: Int32
        var stderr: String
    }

    /// The `exporterd` built beside this test bundle.
    static let binary: URL? = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("exporterd")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }()

    /// stderr whose reader is gone (`exporterd … 2>&1 | head`): the write fails with EPIPE,
    /// which must cost the line, not the process (Foundation's FileHandle.write traps on it).
    @Test func aClosedStderrDoesNotCrashTheProcess() throws {
        let binary = try #require(Self.binary, "exporterd binary not found next to \(CommandLine.arguments[0])")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["offsets", "--config", "/nonexistent/exporterd.yaml"]
        let errors = Pipe()
        try errors.fileHandleForReading.close()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 2)
    }

    /// Runs the binary; one that is still running after 20 s is killed and recorded as an issue.
    func runExporterd(_ arguments: [String]) throws -> Run {
        let binary = try #require(Self.binary, "exporterd binary not found next to \(CommandLine.arguments[0])")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            process.waitUntilExit()
            finished.signal()
        }
        if finished.wait(timeout: .now() + 20) == .timedOut {
            process.terminate()
            process.waitUntilExit()
            Issue.record("exporterd \(arguments.joined(separator: " ")) still running after 20 s")
        }
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Run(status: process.terminationStatus, stderr: stderr)
    }

    func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// A valid config for `run` with the given listen address, brokers that refuse connections.
    func writeConfig(in directory: URL, listen: String) throws -> String {
        let state = directory.appendingPathComponent("state.yaml")
        try Data("topics: []\n".utf8).write(to: state)
        let config = directory.appendingPathComponent("exporterd.yaml")
        try Data("""
            listen_address: "\(listen)"
            data_dir: ./data
            source: {bootstrap_brokers: [{hostname: 127.0.0.1, port: 1}]}
            destination: {bootstrap_brokers: [{hostname: 127.0.0.1, port: 1}]}
            proxy_metrics: {targets: [http://127.0.0.1:1/metrics]}
            migration_state: {file: ./state.yaml}
            """.utf8).write(to: config)
        return config.path
    }
}
