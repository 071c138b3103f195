// swift-tools-version:6.2
// Allocations per poll (issue 12, the cost curve), counted by ordo-one/benchmark: a package of
// its own, like Fuzz/, so the main package's build never resolves or compiles the benchmark
// library. Run through scripts/cost-curve, or by hand against a broker that has the topics
// bench-000… of 1,000 partitions each:
//   COST_CURVE_BOOTSTRAP=127.0.0.1:9092 COST_CURVE_PARTITIONS=1000,10000 \
//   swift package --package-path Benchmarks/Allocations --scratch-path .build-allocations \
//       --disable-sandbox benchmark
import PackageDescription

let package = Package(
    name: "exporterd-allocations",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "exporterd", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "PollAllocations",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SourceWatcher", package: "exporterd"),
                .product(name: "MetricsExporter", package: "exporterd"),
                .product(name: "Diagnostics", package: "exporterd"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/PollAllocations",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
