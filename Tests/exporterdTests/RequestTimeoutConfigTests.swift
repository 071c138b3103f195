/// `source.request_timeout` / `destination.request_timeout` (CONTRACT §2): per cluster,
/// default 5 s, refused outside 10ms..10m with the key's path, and handed to the cluster's
/// connection settings.
import Foundation
import SourceWatcher
import Testing
@testable import exporterd

@Suite struct RequestTimeoutConfigTests {
    func parse(source: String = "", destination: String = "") throws(ConfigError) -> ExporterConfig {
        try ConfigLoader.parse(yaml: """
            source:
              bootstrap_brokers: [{hostname: localhost, port: 9092}]
            \(source)
            destination:
              bootstrap_brokers: [{hostname: localhost, port: 9093}]
            \(destination)
            """, file: "exporterd.yaml", baseDirectory: URL(fileURLWithPath: "/etc/exporterd"))
    }

    @Test func defaultsToFiveSecondsPerCluster() throws {
        let config = try parse()
        #expect(config.source?.requestTimeout == .seconds(5))
        #expect(config.destination?.requestTimeout == .seconds(5))
        #expect(config.source?.connectionSettings.requestTimeout == .seconds(5))
    }

    @Test func eachClusterHasItsOwn() throws {
        let config = try parse(source: "  request_timeout: 1s", destination: "  request_timeout: 750ms")
        #expect(config.source?.requestTimeout == .seconds(1))
        #expect(config.destination?.requestTimeout == .milliseconds(750))
        #expect(config.destination?.connectionSettings.requestTimeout == .milliseconds(750))
    }

    @Test(arguments: ["0s", "5ms", "11m", "soon"])
    func outOfRangeIsAnErrorNamingTheKey(value: String) {
        #expect {
            _ = try parse(destination: "  request_timeout: \(value)")
        } throws: { error in
            switch error as? ConfigError {
            case .invalidValue(let path, _, _), .outOfRange(let path, _, _): path == "destination.request_timeout"
            default: false
            }
        }
    }
}
