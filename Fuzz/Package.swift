// swift-tools-version:6.2
// The libFuzzer targets, a package of their own so `swift build --build-tests` of the main
// package never compiles, resolves or links them. Build and run them with scripts/fuzz:
//   swift build --package-path Fuzz --scratch-path .build-fuzz -c release \
//       -Xswiftc -sanitize=fuzzer,address
// Each executable defines `LLVMFuzzerTestOneInput` and a `@main` that starts libFuzzer's
// driver (LibFuzzerEntry): SwiftPM links every executable with its entry point renamed to
// `<module>_main`, so libFuzzer's own `main` cannot be used.
import PackageDescription

let package = Package(
    name: "exporterd-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "exporterd", path: ".."),
        // The daemon's own dependencies, for ExporterdSources (same requirements as ../Package.swift).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Starts libFuzzer's driver from a Swift @main (see the header).
        .target(name: "LibFuzzerEntry", path: "LibFuzzerEntry"),
        // Kafka framing, every response message at every version it decodes, and the
        // consumer-protocol assignment inside DescribeGroups.
        .executableTarget(
            name: "FuzzKafkaResponses",
            dependencies: [
                "LibFuzzerEntry",
                .product(name: "SourceWatcher", package: "exporterd"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "KafkaResponses"
        ),
        // Fetched record sets: v2 batches (gzip included) and legacy message sets.
        .executableTarget(
            name: "FuzzRecordBatches",
            dependencies: [
                "LibFuzzerEntry",
                .product(name: "SourceWatcher", package: "exporterd"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            path: "RecordBatches"
        ),
        // The Prometheus/OpenMetrics text parser and the proxied-counter page reader.
        .executableTarget(
            name: "FuzzExposition",
            dependencies: ["LibFuzzerEntry", .product(name: "Diagnostics", package: "exporterd")],
            path: "Exposition"
        ),
        // The migration state document: JSON (Diagnostics) and the daemon's JSON-or-YAML reader.
        .executableTarget(
            name: "FuzzStateDocument",
            dependencies: ["LibFuzzerEntry", "ExporterdSources", .product(name: "Diagnostics", package: "exporterd")],
            path: "StateDocument"
        ),
        // The config file: YAML input layer, ConfigLoader.parse and validate.
        .executableTarget(
            name: "FuzzConfig",
            dependencies: ["LibFuzzerEntry", "ExporterdSources"],
            path: "Config"
        ),
        // The exporterd executable's sources minus its @main entry point (Exporterd.swift),
        // through symlinks: an executable target cannot be imported, and this compiles the
        // very files the daemon ships. `-enable-testing` lets the fuzz entries reach the
        // internal ConfigLoader and MigrationStateSource.parse with `@testable import`.
        .target(
            name: "ExporterdSources",
            dependencies: [
                .product(name: "SourceWatcher", package: "exporterd"),
                .product(name: "Diagnostics", package: "exporterd"),
                .product(name: "MetricsExporter", package: "exporterd"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "ExporterdSources",
            swiftSettings: [.unsafeFlags(["-enable-testing"])]
        ),
    ]
)
