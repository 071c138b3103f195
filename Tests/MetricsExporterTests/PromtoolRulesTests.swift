/// Prometheus's own checker on the shipped alert rules: `promtool check rules` validates
/// alerts/exporterd.rules.yml and `promtool test rules` runs the unit tests in alerts/tests
/// (firing and staying silent, across scrape gaps and exporter restarts).
import Foundation
import Testing

@Suite struct PromtoolRulesTests {
    /// The package root, found from this file's place in Tests/MetricsExporterTests.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var rulesFile: URL { packageRoot.appendingPathComponent("alerts/exporterd.rules.yml") }

    static var ruleTestFiles: [String] {
        let directory = packageRoot.appendingPathComponent("alerts/tests")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yml") }.sorted()
            .map { directory.appendingPathComponent($0).path }
    }

    @Test(.enabled(if: PromtoolTests.promtool != nil, "promtool is not on PATH (Debian: apt-get install prometheus); rules not checked"))
    func rulesPassPromtoolCheck() throws {
        try expectPromtoolSucceeds(["check", "rules", Self.rulesFile.path])
    }

    @Test(.enabled(if: PromtoolTests.promtool != nil, "promtool is not on PATH (Debian: apt-get install prometheus); rule tests not run"))
    func ruleUnitTestsPass() throws {
        let files = Self.ruleTestFiles
        // An empty or misplaced directory would make `promtool test rules` pass vacuously.
        try #require(files.count >= 4, "expected the rule unit tests in alerts/tests, found \(files)")
        try expectPromtoolSucceeds(["test", "rules"] + files)
    }

    /// Every alert in the rules file is exercised by at least one unit test.
    @Test func everyAlertHasUnitTests() throws {
        let rules = try String(contentsOf: Self.rulesFile, encoding: .utf8)
        let alerts = rules.split(separator: "\n")
            .compactMap { line -> String? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("- alert:") else { return nil }
                return trimmed.dropFirst("- alert:".count).trimmingCharacters(in: .whitespaces)
            }
        #expect(alerts.count >= 14, "alerts found: \(alerts)")
        let tests = try Self.ruleTestFiles.map { try String(contentsOfFile: $0, encoding: .utf8) }
            .joined(separator: "\n")
        for alert in alerts {
            #expect(tests.contains("alertname: \(alert)\n"), "no promtool unit test for \(alert)")
        }
    }

    private func expectPromtoolSucceeds(_ arguments: [String]) throws {
        let promtool = try #require(PromtoolTests.promtool)
        let process = Process()
        process.executableURL = promtool
        process.arguments = arguments
        // promtool resolves rule_files relative to each test file; the working directory only
        // matters for its own temp files.
        process.currentDirectoryURL = Self.packageRoot
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let collected = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: collected, as: UTF8.self)
        #expect(process.terminationStatus == 0, "promtool \(arguments.joined(separator: " ")) exit \(process.terminationStatus):\n\(text)")
    }
}
