import Foundation
import Testing
@testable import exporterd

/// docs/reference-config.yaml is what operators copy: it must stay a valid config.
@Suite struct ReferenceConfigTests {
    @Test func referenceConfigParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = root.appendingPathComponent("docs/reference-config.yaml")
        let config = try ConfigLoader.parse(yaml: try String(contentsOf: file, encoding: .utf8), file: file.path,
                                            baseDirectory: file.deletingLastPathComponent())
        #expect(config.pollInterval == .seconds(5))
        #expect(config.proxyMetrics?.publishDelay == .seconds(2))
        #expect(config.diagnostics == DiagnosticsSettings())
        #expect(config.migrationState?.defaultMigrationTimeout == .seconds(300))
        #expect(config.migrationState?.timeout == .seconds(5))
    }
}
