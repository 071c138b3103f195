/// A cluster configured for TLS whose broker does not speak it: the failure is the typed
/// `KafkaClientError.tls` naming cluster and broker, and the broker then backs off like any
/// failed connect instead of taking a handshake per read. (Certificate, hostname and mTLS
/// failures against real TLS run in Tests/e2e/test_tls.py, behind stunnel.)
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import SourceWatcher
import SourceWatcherTestSupport

@Suite struct TLSConnectTests {
    /// Answers every connection with a plaintext line and closes: a plaintext listener, or
    /// a port that is not Kafka at all.
    final class PlaintextServer: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let accepted = NIOLockedValueBox(0)

        func channelActive(context: ChannelHandlerContext) {
            accepted.withLockedValue { $0 += 1 }
            let channel = context.channel
            context.writeAndFlush(NIOAny(channel.allocator.buffer(string: "HTTP/1.1 400 Bad Request\r\n\r\n")))
                .whenComplete { _ in channel.close(promise: nil) }
        }
    }

    @Test func aPlaintextPortIsATypedTLSFailureAndBacksOff() async throws {
        let server = PlaintextServer()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(server) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let address = BrokerAddress(host: "127.0.0.1", port: try #require(channel.localAddress?.port))
        defer { channel.close(promise: nil) }

        let tls = try TLSSettings(cluster: "source")
        let settings = ConnectionSettings(connectTimeout: .seconds(2), requestTimeout: .seconds(2), tls: tls)
        let clock = ManualTimeSource()
        let cluster = KafkaCluster(name: "source", bootstrapBrokers: [address], settings: settings, clock: clock)
        let first = await #expect(throws: KafkaClientError.self) { try await cluster.connection(to: address) }
        #expect(first == KafkaClientError.tls(cluster: "source", broker: address, .notTLS))
        #expect(first?.description == "TLS to \(address) of the source cluster failed: the broker did not answer in TLS (is this a plaintext listener?)")

        let second = await #expect(throws: KafkaClientError.self) { try await cluster.connection(to: address) }
        #expect(second == KafkaClientError.backingOff(broker: address, lastError: first?.description ?? ""))
        #expect(server.accepted.withLockedValue { $0 } == 1, "no second handshake inside the backoff window")
        await cluster.shutdown()
    }

    /// Accepts connections and never answers.
    final class SilentServer: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
    }

    @Test func aBrokerThatNeverAnswersTheHandshakeIsATLSTimeout() async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(SilentServer()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let address = BrokerAddress(host: "127.0.0.1", port: try #require(channel.localAddress?.port))
        defer { channel.close(promise: nil) }

        let settings = ConnectionSettings(connectTimeout: .seconds(2), requestTimeout: .milliseconds(200),
                                          tls: try TLSSettings(cluster: "destination"))
        let error = await #expect(throws: KafkaClientError.self) {
            try await BrokerConnection.connect(to: address, settings: settings)
        }
        guard case .tls("destination", address, .handshakeTimedOut)? = error else {
            Issue.record("expected a TLS handshake timeout, got \(String(describing: error))")
            return
        }
    }

    @Test func serverNameIsTheHostnameButNeverAnIPAddress() {
        #expect(TLSSettings.serverName(for: "kafka-1.example") == "kafka-1.example")
        #expect(TLSSettings.serverName(for: "localhost") == "localhost")
        #expect(TLSSettings.serverName(for: "127.0.0.1") == nil)
        #expect(TLSSettings.serverName(for: "::1") == nil)
    }

    @Test func pemProblemsAreTypedAndNameTheInputNotItsContent() {
        #expect(throws: TLSSettingsError(cluster: "source", input: .caCertificate, problem: .noCertificate)) {
            try TLSSettings(cluster: "source", caPEM: "hunter2")
        }
        #expect(throws: TLSSettingsError(cluster: "destination", input: .clientKey, problem: .missing)) {
            try TLSSettings(cluster: "destination", clientCertificatePEM: "-----BEGIN CERTIFICATE-----\n")
        }
        let error = TLSSettingsError(cluster: "source", input: .caCertificate, problem: .unparsableCertificate)
        #expect(error.description == "source cluster TLS: the CA certificate holds a PEM block that is not a valid X.509 certificate")
    }
}
