/// `/metrics` is rendered once per published snapshot and gzipped at most once per page
/// (issue 12 item 4), and scrapes that race a publish get one whole page, the old or the new.
/// Renders and compressions are counted through `ExporterState`'s injected renderer and
/// compressor; nothing here measures time.
import CompressNIO
import Diagnostics
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import MetricsExporter

@Suite struct RenderedMetricsPageTests {
    /// How often the real renderer and compressor ran.
    final class Calls: Sendable {
        private let counts = NIOLockedValueBox((renders: 0, compressions: 0))
        var renders: Int { counts.withLockedValue { $0.renders } }
        var compressions: Int { counts.withLockedValue { $0.compressions } }

        func state(_ initial: MetricsSnapshot, compress: @escaping @Sendable (ByteBuffer) -> ByteBuffer? = PageCompression.gzip)
            -> ExporterState
        {
            ExporterState(
                initial: initial,
                render: { snapshot in
                    self.counts.withLockedValue { $0.renders += 1 }
                    return MetricsPage.render(snapshot)
                },
                compress: { page in
                    self.counts.withLockedValue { $0.compressions += 1 }
                    return compress(page)
                })
        }
    }

    private static func gunzip(_ body: ByteBuffer) throws -> String {
        var body = body
        return String(buffer: try body.decompress(with: .gzip()))
    }

    /// The golden snapshot with every counter moved, so its page differs in many places.
    private static func later(_ step: Int) -> MetricsSnapshot {
        var snapshot = MetricsFixtures.golden
        for index in snapshot.topics.indices {
            snapshot.topics[index].proxiedRecords += Double(step * 1_000)
            snapshot.topics[index].unproxiedSourceRecords += Int64(step)
        }
        snapshot.store.commitFailures += Int64(step)
        return snapshot
    }

    @Test func scrapesShareOneRenderAndOneCompressionPerSnapshot() async throws {
        let calls = Calls()
        let state = calls.state(MetricsFixtures.golden)
        #expect(calls.renders == 1)
        let expected = MetricsPage.renderText(MetricsFixtures.golden)
        try await Application(router: buildRouter(state: state)).test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for scrape in 0..<12 {
                    group.addTask {
                        let gzip = scrape % 2 == 0
                        let response = try await client.execute(
                            uri: "/metrics", method: scrape % 3 == 0 ? .head : .get,
                            headers: gzip ? [.acceptEncoding: "gzip"] : [:])
                        #expect(response.status == .ok)
                        #expect(response.headers[.contentEncoding] == (gzip ? "gzip" : nil))
                        guard scrape % 3 != 0 else { return }
                        #expect(try (gzip ? Self.gunzip(response.body) : String(buffer: response.body)) == expected)
                    }
                }
                try await group.waitForAll()
            }
            #expect(calls.renders == 1)
            #expect(calls.compressions == 1)

            // Gzip was asked for: the next page is compressed at publish, before any scrape.
            state.publish(Self.later(1))
            #expect(calls.renders == 2)
            #expect(calls.compressions == 2)
            let response = try await client.execute(uri: "/metrics", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(try Self.gunzip(response.body) == MetricsPage.renderText(Self.later(1)))
            #expect(calls.compressions == 2)
        }
    }

    @Test func pagesAreCompressedAtPublishOnlyWhileGzipScrapesAreRecent() async throws {
        let calls = Calls()
        let state = calls.state(MetricsFixtures.golden)
        state.publish(Self.later(1))
        #expect(calls.compressions == 0, "nobody asked for gzip yet")
        _ = await state.latestMetricsPage().gzipped()
        #expect(calls.compressions == 1)
        // No gzip scrape from here: the demand is remembered for `gzipDemandMemory` publishes.
        for step in 2..<(2 + ExporterState.gzipDemandMemory) {
            state.publish(Self.later(step))
        }
        #expect(calls.compressions == 1 + ExporterState.gzipDemandMemory)
        state.publish(Self.later(100))
        #expect(calls.compressions == 1 + ExporterState.gzipDemandMemory)
        #expect(calls.renders == ExporterState.gzipDemandMemory + 3)
    }

    @Test func aFailedCompressionServesThePlainPage() async throws {
        let calls = Calls()
        let state = calls.state(MetricsFixtures.golden, compress: { _ in nil })
        try await Application(router: buildRouter(state: state)).test(.router) { client in
            for _ in 0..<2 {
                let response = try await client.execute(uri: "/metrics", method: .get, headers: [.acceptEncoding: "gzip"])
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == nil)
                #expect(String(buffer: response.body) == MetricsPage.renderText(MetricsFixtures.golden))
            }
        }
        #expect(calls.compressions == 1, "a failure is remembered for the page, not retried per scrape")
    }

    /// Pages swap while scrapes run: each answer is one of the published pages whole, its
    /// gzip form decompresses to that same page, its `Content-Length` matches, and the snapshot
    /// handed out with a page is the one the page was rendered from.
    @Test func scrapesDuringPublishesSeeTheOldOrTheNewPageNeverAMix() async throws {
        let snapshots = (0..<4).map(Self.later)
        let pages = Set(snapshots.map(MetricsPage.renderText))
        let state = ExporterState(initial: snapshots[0])
        try await Application(router: buildRouter(state: state)).test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for round in 0..<200 {
                        state.publish(snapshots[round % snapshots.count])
                        await Task.yield()
                    }
                }
                for scraper in 0..<8 {
                    group.addTask {
                        for scrape in 0..<40 {
                            let gzip = (scraper + scrape) % 2 == 0
                            let response = try await client.execute(
                                uri: "/metrics", method: .get, headers: gzip ? [.acceptEncoding: "gzip"] : [:])
                            #expect(response.headers[.contentLength] == String(response.body.readableBytes))
                            let text = try gzip ? Self.gunzip(response.body) : String(buffer: response.body)
                            #expect(pages.contains(text))
                        }
                    }
                }
                group.addTask {
                    for _ in 0..<400 {
                        let page = state.latestMetricsPage()
                        #expect(MetricsPage.render(page.snapshot) == Array(page.plain.readableBytesView))
                        await Task.yield()
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
