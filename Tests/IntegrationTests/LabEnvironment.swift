import Foundation

/// Where the lab's brokers listen; set by scripts/lab when it starts them.
/// Without EXPORTERD_LAB the integration suites are skipped (plain `swift test` stays hermetic).
enum LabEnvironment {
    static var isAvailable: Bool { ProcessInfo.processInfo.environment["EXPORTERD_LAB"] != nil }
}
