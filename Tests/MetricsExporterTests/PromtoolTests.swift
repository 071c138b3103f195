/// Prometheus's own linter on the rendered page: `promtool check metrics` parses the text
/// format strictly and flags naming problems (counters without `_total`, missing HELP, …).
import Foundation
import Testing
@testable import MetricsExporter

@Suite struct PromtoolTests {
    static let promtool: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("promtool") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    @Test(
        .enabled(if: promtool != nil, "promtool is not on PATH (Debian: apt-get install prometheus); page not linted"))
    func goldenPagePassesPromtool() async throws {
        try await expectPromtoolAccepts(MetricsFixtures.golden)
    }

    @Test(.enabled(if: promtool != nil, "promtool is not on PATH (Debian: apt-get install prometheus); page not linted"))
    func emptyPagePassesPromtool() async throws {
        try await expectPromtoolAccepts(.beforeFirstPoll)
    }

    private func expectPromtoolAccepts(_ snapshot: MetricsSnapshot) async throws {
        let promtool = try #require(Self.promtool)
        let process = Process()
        process.executableURL = promtool
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Drain output on another thread so a chatty promtool cannot fill the pipe and
        // deadlock against our write.
        let collected = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }
        input.fileHandleForWriting.write(Data(MetricsPage.render(snapshot)))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let complaints = String(decoding: await collected.value, as: UTF8.self)
        #expect(process.terminationStatus == 0, "promtool exit \(process.terminationStatus): \(complaints)")
        #expect(complaints.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool: \(complaints)")
    }
}
