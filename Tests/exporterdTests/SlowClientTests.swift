/// The exporter's server against hostile clients, on a real socket over loopback: a few hundred
/// connections that never finish their request head are closed by the head deadline or
/// pushed out by the connection cap, an idle keep-alive connection is closed, a client that
/// trickles its head byte by byte is closed, and `/metrics` answers all the while. Timeouts
/// are injected small; latencies are printed, never asserted.
import AsyncHTTPClient
import Foundation
@testable import MetricsExporter
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
@testable import exporterd

@Suite(.serialized) struct SlowClientTests {
    /// Each test makes the mechanism it checks the only one short enough to act.
    static func options(limit: Int, headerReadTimeout: Duration = .seconds(1), idleTimeout: Duration = .seconds(60)) -> WebServerOptions {
        var options = WebServerOptions()
        options.headerReadTimeout = headerReadTimeout
        options.idleTimeout = idleTimeout
        options.maxConnections = limit
        return options
    }

    static func connect(_ port: Int) async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: "127.0.0.1", port: port).get()
    }

    /// Waits (at most `limit`) for every channel to be closed by the server; returns how many were.
    static func closed(_ channels: [any Channel], within limit: Duration) async -> Int {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while clock.now < deadline {
            if channels.allSatisfy({ !$0.isActive }) { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return channels.filter { !$0.isActive }.count
    }

    static func scrape(_ port: Int) async throws -> (UInt, Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 22)
        return (response.status.code, clock.now - start)
    }

    @Test func hundredsOfSlowConnectionsAreClosedWhileMetricsAnswers() async throws {
        let connections = OpenConnections(limit: 100)
        // A 3 s deadline: long enough that on a loaded machine the cap, not only the deadline, is reached.
        try await withExporterServer(options: Self.options(limit: 100, headerReadTimeout: .seconds(3), idleTimeout: .seconds(3)), connections: connections) { port in
            let clock = ContinuousClock()
            let start = clock.now
            var channels: [any Channel] = []
            for _ in 0..<300 {
                let channel = try await Self.connect(port)
                // Half a request head, and then nothing: the slowloris pattern.
                try? await channel.writeAndFlush(ByteBuffer(string: "GET /metrics HTTP/1.1\r\nHost: exporterd\r\n")).get()
                channels.append(channel)
            }
            let opened = clock.now - start
            #expect(connections.count <= 100)
            var scrapes: [Duration] = []
            for _ in 0..<5 {
                let (code, elapsed) = try await Self.scrape(port)
                #expect(code == 200)
                scrapes.append(elapsed)
            }
            let allClosed = await Self.closed(channels, within: .seconds(20))
            print("300 slow connections (cap 100, head deadline 3 s): opened in \(opened), /metrics meanwhile took \(scrapes), "
                  + "all closed by the server after \(clock.now - start), \(connections.evictedCount) pushed out by the cap")
            #expect(allClosed == 300)
            #expect(connections.evictedCount > 0)
            for channel in channels { try? await channel.close().get() }
            // The table forgets closed connections (the scraper's pooled one goes at the idle timeout).
            let clockEnd = clock.now.advanced(by: .seconds(5))
            while connections.count > 0, clock.now < clockEnd { try await Task.sleep(for: .milliseconds(20)) }
            #expect(connections.count == 0)
        }
    }

    @Test func anIdleConnectionAfterARequestIsClosed() async throws {
        try await withExporterServer(options: Self.options(limit: 10, headerReadTimeout: .seconds(60), idleTimeout: .seconds(1))) { port in
            let channel = try await Self.connect(port)
            try await channel.writeAndFlush(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: exporterd\r\n\r\n")).get()
            let start = ContinuousClock.now
            #expect(await Self.closed([channel], within: .seconds(10)) == 1)
            print("idle keep-alive connection closed after \(ContinuousClock.now - start) (idle timeout 1 s)")
        }
    }

    @Test func aHeadTrickledByteByByteIsClosed() async throws {
        try await withExporterServer(options: Self.options(limit: 10)) { port in
            let channel = try await Self.connect(port)
            let head = Array("GET /metrics HTTP/1.1\r\nX-Padding: \(String(repeating: "a", count: 200))\r\n".utf8)
            let start = ContinuousClock.now
            for byte in head where channel.isActive {
                try? await channel.writeAndFlush(ByteBuffer(bytes: [byte])).get()
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(await Self.closed([channel], within: .seconds(5)) == 1)
            print("trickling client closed after \(ContinuousClock.now - start) (head deadline 1 s)")
        }
    }

    /// A request in progress is never cut: an event stream outlives both the deadline and the idle timeout.
    @Test func anEventStreamOutlivesTheIdleTimeout() async throws {
        try await withExporterServer(options: Self.options(limit: 10, idleTimeout: .seconds(1))) { port in
            let stream = try await Self.connect(port)
            try await stream.writeAndFlush(ByteBuffer(string: "GET /api/v1/events/stream HTTP/1.1\r\nHost: exporterd\r\n\r\n")).get()
            try await Task.sleep(for: .milliseconds(2500))
            #expect(stream.isActive)
            try? await stream.close().get()
        }
    }

    /// Behind TLS the deadline runs from the TCP accept: a client that never says hello is closed.
    @Test func aSilentConnectionToTheTLSServerIsClosed() async throws {
        let pki = try TestCertificates.make()
        var options = try WebServerTests().options(pki)
        options.headerReadTimeout = .seconds(1)
        options.idleTimeout = .seconds(60)
        try await withExporterServer(options: options) { port in
            let silent = try await Self.connect(port)
            let start = ContinuousClock.now
            #expect(await Self.closed([silent], within: .seconds(10)) == 1)
            print("silent TLS connection closed after \(ContinuousClock.now - start) (head deadline 1 s)")
        }
    }

    @Test func theCapPushesOutTheOldestWaitingConnectionNeverABusyOne() {
        let connections = OpenConnections(limit: 2)
        let (a, b, c, d) = (EmbeddedChannel(), EmbeddedChannel(), EmbeddedChannel(), EmbeddedChannel())
        #expect(connections.opened(a) == nil)
        #expect(connections.opened(b) == nil)
        connections.requestStarted(a)
        // a is busy: b, the oldest waiting, goes.
        #expect(connections.opened(c) === b)
        connections.requestStarted(c)
        // Both others busy: the newcomer itself is refused.
        #expect(connections.opened(d) === d)
        connections.responseFinished(a)
        connections.closed(c)
        #expect(connections.count == 1)
        #expect(connections.evictedCount == 2)
    }
}
