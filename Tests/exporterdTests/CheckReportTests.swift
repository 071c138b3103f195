/// How `exporterd check` prints its results and what it exits with: ✓/✗/⚠ lines whose outside
/// text cannot forge a line, the JSON for automation, exit 0/1 from the results and 2 from a
/// bad config or bad arguments (the built binary, as an operator runs it).
import Foundation
import Testing
@testable import exporterd

@Suite struct CheckReportTests {
    @Test func linesMarksAndSummary() {
        let report = CheckReport(results: [
            .pass("source cluster", "metadata via a:1"), .warn("source broker 1 a:1", "DescribeProducers not offered"),
            .fail("agent http://x/metrics", "HTTP 503"),
        ])
        #expect(report.text() == """
            ✓ source cluster: metadata via a:1
            ⚠ source broker 1 a:1: DescribeProducers not offered
            ✗ agent http://x/metrics: HTTP 503
            check FAILED: 1 passed, 1 failed, 1 warning

            """)
        #expect(report.exitCode == 1)
        #expect(CheckReport(results: [.pass("a", "b"), .warn("c", "d")]).exitCode == 0)
    }

    /// A topic name or broker error with a line break would otherwise print a ✓ line of its own.
    @Test func outsideTextIsEscaped() {
        let report = CheckReport(results: [.fail("topic a\n✓ b", "x\r\u{1B}[32m")])
        #expect(report.text().hasPrefix("✗ topic a\\n✓ b: x\\r\\u{1B}[32m\n"))
    }

    @Test func jsonShape() throws {
        let report = CheckReport(results: [.pass("a", "fine"), .fail("b", "broken")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        #expect(object["passed"] as? Int == 1)
        #expect(object["failed"] as? Int == 1)
        #expect(object["warnings"] as? Int == 0)
        let checks = try #require(object["checks"] as? [[String: String]])
        #expect(checks == [["name": "a", "outcome": "pass", "detail": "fine"], ["name": "b", "outcome": "fail", "detail": "broken"]])
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func runExporterd(_ arguments: [String]) throws -> Run {
        let binary = try #require(CommandLineTests.binary, "exporterd binary not found next to \(CommandLine.arguments[0])")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read before waiting: a full pipe would otherwise block the child.
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    func configFile(_ text: String) throws -> (path: String, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-check-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("exporterd.yaml")
        try Data(text.utf8).write(to: path)
        return (path.path, directory)
    }

    @Test func badConfigExits2WithTheConfigError() throws {
        let (path, directory) = try configFile("source: {bootstrap_brokers: [{hostname: a, port: 1}], credentials: {sasl_mechanism: scram-1024}}\n")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try runExporterd(["check", "--config", path])
        #expect(run.status == 2)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.hasPrefix("exporterd: config error: source.credentials.sasl_mechanism: unknown value \"scram-1024\""), "\(run.stderr)")
    }

    @Test func badArgumentsExit2() throws {
        #expect(try runExporterd(["check"]).status == 2)
        #expect(try runExporterd(["check", "--config", "x.yaml", "--format", "xml"]).status == 2)
    }

    /// Nothing to reach: a closed port fails the cluster lines, exit 1, and the JSON says why.
    @Test func failingCheckExits1AndPrintsJSON() throws {
        let (path, directory) = try configFile("""
            source: {bootstrap_brokers: [{hostname: 127.0.0.1, port: 1}], request_timeout: 300ms}
            topic_mappings: [{source_topic: orders}]

            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try runExporterd(["check", "--config", path, "--format", "json"])
        #expect(run.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        let checks = try #require(object["checks"] as? [[String: String]])
        #expect(checks.first { $0["name"] == "source cluster" }?["outcome"] == "fail")
    }
}
