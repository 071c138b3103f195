/// `exporterd audit` as the built binary: exit 2 on bad arguments, a bad config, a missing
/// store or an unwritable `--output`; clusters that refuse connections give a written report
/// that is UNSAFE and not verified (exit 2, never 0).
import Foundation
import Testing
@testable import exporterd

@Suite struct AuditCommandTests {
    let cli = CommandLineTests()

    @Test(arguments: [
        (["audit"], "--config"),
        (["audit", "--config", "x.yaml", "--since", "7days"], "--since"),
        (["audit", "--config", "x.yaml", "--format", "pdf"], "--format"),
    ] as [([String], String)])
    func badArgumentsExit2(arguments: [String], named: String) throws {
        let result = try cli.runExporterd(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(named), "\(result.stderr)")
    }

    @Test func aBadConfigExits2() throws {
        let directory = try cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("bad.yaml")
        try Data("source: {bootstrap_brokers: []}\npol_interval: 5s\n".utf8).write(to: config)
        let result = try cli.runExporterd(["audit", "--config", config.path])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("exporterd: config error: "), "\(result.stderr)")
    }

    @Test func aMissingStoreExits2NamingIt() throws {
        let directory = try cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try cli.writeConfig(in: directory, listen: "127.0.0.1:9464")
        let result = try cli.runExporterd(["audit", "--config", config])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no store here"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("data").path))
    }

    @Test func clustersThatDoNotAnswerGiveAnUnverifiedReport() async throws {
        let directory = try cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = try String(contentsOfFile: try cli.writeConfig(in: directory, listen: "127.0.0.1:9464"), encoding: .utf8)
        config += "\ntopic_mappings: [{source_topic: orders}]\n"
        let path = directory.appendingPathComponent("audit.yaml")
        try Data(config.utf8).write(to: path)
        try Data("topics: [{topic: orders, state: COMPLETE, since: 2026-11-24T10:00:00Z}]\n".utf8)
            .write(to: directory.appendingPathComponent("state.yaml"))
        let store = try await MigrationStore.open(dataDirectory: directory.appendingPathComponent("data").path)
        try await store.close()

        let output = directory.appendingPathComponent("report.json")
        let result = try cli.runExporterd(["audit", "--config", path.path, "--format", "json", "--output", output.path])
        #expect(result.status == 2, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as! [String: Any]
        #expect(report["verdict"] as? String == "UNSAFE")
        #expect(report["verified"] as? Bool == false)
        let topics = report["topics"] as! [[String: Any]]
        #expect(topics.map { $0["topic"] as? String } == ["orders"])
        #expect(topics[0]["verdict"] as? String == "UNSAFE")
        #expect(topics[0]["state"] as? String == "COMPLETE")

        let unwritable = try cli.runExporterd(["audit", "--config", path.path, "--output", directory.appendingPathComponent("no/such/dir/r.md").path])
        #expect(unwritable.status == 2)
        #expect(unwritable.stderr.contains("--output"), "\(unwritable.stderr)")
    }
}
