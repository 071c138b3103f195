// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "exporterd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "exporterd", targets: ["exporterd"]),
        // Only for Fuzz/Package.swift, a separate package that links these by path; nothing
        // here depends on them, so they add nothing to this package's build.
        .library(name: "SourceWatcher", targets: ["SourceWatcher"]),
        .library(name: "Diagnostics", targets: ["Diagnostics"]),
        .library(name: "MetricsExporter", targets: ["MetricsExporter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),  // TLS / mTLS to the clusters
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),  // SCRAM: HMAC, SHA-2, PBKDF2
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),  // bcrypt for basic_auth_users
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),  // HTTP parts seen by the connection guard
    ],
    targets: [
        // Kafka wire protocol over SwiftNIO; polls both clusters.
        .target(
            name: "SourceWatcher",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),  // the handshake-completed event
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),  // PBKDF2 for SCRAM
            ]
        ),
        // Pure logic, no I/O.
        .target(name: "Diagnostics"),
        // Prometheus exposition, HTTP endpoints, status page.
        .target(
            name: "MetricsExporter",
            dependencies: [
                "Diagnostics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),  // web_config_file tls_server_config
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),  // basic_auth_users
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),  // SHA-256 key of the verified-credentials cache
                .product(name: "NIOPosix", package: "swift-nio"),  // bcrypt runs on NIO's thread pool
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        // Times /metrics rendering at scale, and scrapes over HTTP while polls publish:
        // `swift run -c release MetricsRenderBenchmark [scrape]`.
        .executableTarget(
            name: "MetricsRenderBenchmark",
            dependencies: [
                "MetricsExporter", "Diagnostics",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),  // the daemon's application on a loopback port
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/MetricsRenderBenchmark"
        ),
        // Times a big state document through one poll: `swift run -c release StateDocumentBenchmark`.
        .executableTarget(
            name: "StateDocumentBenchmark",
            dependencies: ["Diagnostics", "AllocationCounter"],
            path: "Benchmarks/StateDocumentBenchmark"
        ),
        // Counts heap allocations (malloc interposed on glibc) for the benchmarks that print them.
        .target(name: "AllocationCounter", path: "Benchmarks/AllocationCounter"),
        .executableTarget(
            name: "exporterd",
            dependencies: [
                "SourceWatcher", "Diagnostics", "MetricsExporter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),  // the store in data_dir
                .product(name: "AsyncHTTPClient", package: "async-http-client"),  // agents, state URL
                .product(name: "NIOSSL", package: "swift-nio-ssl"),  // web_config_file certificates, CAs from env
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Test support shared by SourceWatcherTests and exporterdTests: the scripted fake Kafka
        // broker (a real TCP server) and a clock tests move by hand.
        .target(
            name: "SourceWatcherTestSupport",
            dependencies: [
                "SourceWatcher",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/SourceWatcherTestSupport"
        ),
        .testTarget(
            name: "SourceWatcherTests",
            dependencies: [
                "SourceWatcher",
                "SourceWatcherTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),  // the fake broker is a real TCP server
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "DiagnosticsTests",
            dependencies: ["Diagnostics"],
            resources: [.copy("AgentPages")]  // prometheus_client pages (scripts/gen_agent_pages.py)
        ),
        .testTarget(
            name: "MetricsExporterTests",
            dependencies: [
                "MetricsExporter",
                "Diagnostics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Yams", package: "Yams"),  // reads docs/openapi.yaml
            ],
            resources: [.copy("Golden")]
        ),
        .testTarget(
            name: "exporterdTests",
            dependencies: [
                "exporterd",
                "SourceWatcherTestSupport",  // fake brokers and the hand-moved clock for MigrationWatch
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),  // local agents / state endpoint
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),  // web-config hashes made in tests
                .product(name: "HummingbirdTLS", package: "hummingbird"),  // https agents and state endpoint
                .product(name: "HummingbirdCore", package: "hummingbird"),  // HTTPServerBuilder for the local test servers
                .product(name: "AsyncHTTPClient", package: "async-http-client"),  // a real client through TLS
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),  // slow raw-socket clients
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        // Prints figures; run by scripts/bench-offsets, never by the test suite.
        .executableTarget(
            name: "OffsetsPollBenchmark",
            dependencies: ["SourceWatcher"],
            path: "Benchmarks/OffsetsPollBenchmark"
        ),
        // Against real Tansu brokers started by scripts/lab; skipped unless EXPORTERD_LAB is set.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "SourceWatcher",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
    ]
)
