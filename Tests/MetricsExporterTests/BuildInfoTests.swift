import Testing
@testable import MetricsExporter

@Suite struct BuildInfoTests {
    /// Dashboards group by the `version` label; a non-semver value would break their regex.
    @Test func versionIsSemver() {
        let parts = BuildInfo.version.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { Int($0) != nil })
    }
}
