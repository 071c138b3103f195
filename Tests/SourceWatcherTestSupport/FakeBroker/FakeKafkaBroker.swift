/// A scripted Kafka broker for tests: a real TCP server on 127.0.0.1 (ephemeral port) that
/// decodes request frames with our header and message codecs, answers per API key from a
/// script (default: `FakeDefaultScript.swift`, answering from a `FakeClusterLayout`), and
/// records every request so tests can assert what the client actually sent.
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SourceWatcher

/// Decides the reply to one request; the body is positioned after the request header.
public typealias FakeScript = @Sendable (RequestHeader, ByteBuffer) -> FakeReply

public final class FakeKafkaBroker: Sendable {
    public let nodeID: Int32
    public let layout: FakeClusterLayout

    private struct State {
        var server: (any Channel)?
        var port = 0
        var clients: [ObjectIdentifier: any Channel] = [:]
        var acceptedConnections = 0
        var scripts: [APIKey: FakeScript] = [:]
        var advertised: [APIKey: ClosedRange<Int16>]
        var received: [ReceivedRequest] = []
        var answered: [Int32] = []
        var problems: [String] = []
    }

    private let state: NIOLockedValueBox<State>

    /// What a recent Kafka advertises for the APIs exporterd uses.
    public static let defaultAdvertised: [APIKey: ClosedRange<Int16>] = [
        .apiVersions: 0...4, .metadata: 0...12, .listOffsets: 0...10, .describeProducers: 0...0,
    ]

    public init(nodeID: Int32 = 1, layout: FakeClusterLayout = FakeClusterLayout(),
         advertised: [APIKey: ClosedRange<Int16>] = FakeKafkaBroker.defaultAdvertised) {
        self.nodeID = nodeID
        self.layout = layout
        self.state = NIOLockedValueBox(State(advertised: advertised))
    }

    /// A started single broker (its own one-node layout unless given one).
    public static func start(nodeID: Int32 = 1, layout: FakeClusterLayout = FakeClusterLayout(),
                      advertised: [APIKey: ClosedRange<Int16>] = FakeKafkaBroker.defaultAdvertised) async throws -> FakeKafkaBroker {
        let broker = FakeKafkaBroker(nodeID: nodeID, layout: layout, advertised: advertised)
        try await broker.start()
        return broker
    }

    /// Binds (port 0 = ephemeral; a fixed port brings a stopped broker back where it was) and
    /// registers this broker's port in the layout, so Metadata answers point at it.
    public func start(port: Int = 0) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                self.accepted(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(KafkaFrameDecoder()),
                        FakeBrokerHandler(broker: self))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        let boundPort = server.localAddress?.port ?? port
        state.withLockedValue {
            $0.server = server
            $0.port = boundPort
        }
        layout.update { $0.brokers[nodeID] = boundPort }
    }

    /// Stops listening and drops every client connection: the broker is down.
    public func stop() async {
        let (server, clients) = state.withLockedValue { state in
            defer { state.server = nil; state.clients = [:] }
            return (state.server, Array(state.clients.values))
        }
        try? await server?.close()
        for client in clients { try? await client.close() }
    }

    public var port: Int { state.withLockedValue { $0.port } }
    public var address: BrokerAddress { BrokerAddress(host: "127.0.0.1", port: port) }

    // MARK: Script

    /// Replaces the default answer for `api`.
    public func script(_ api: APIKey, _ script: @escaping FakeScript) {
        state.withLockedValue { $0.scripts[api] = script }
    }

    /// Back to the default answer for `api`.
    public func clearScript(_ api: APIKey) {
        _ = state.withLockedValue { $0.scripts.removeValue(forKey: api) }
    }

    /// The version ranges ApiVersions advertises; an API missing here is "not supported".
    public var advertised: [APIKey: ClosedRange<Int16>] {
        get { state.withLockedValue { $0.advertised } }
        set { state.withLockedValue { $0.advertised = newValue } }
    }

    // MARK: Recording

    public var received: [ReceivedRequest] { state.withLockedValue { $0.received } }

    public func received(_ api: APIKey) -> [ReceivedRequest] { received.filter { $0.api == api } }

    public var acceptedConnections: Int { state.withLockedValue { $0.acceptedConnections } }

    /// Correlation ids of the answers written, in writing order.
    public var answeredCorrelationIDs: [Int32] { state.withLockedValue { $0.answered } }

    /// Things that went wrong on the fake's side (undecodable header, encode failure): a test
    /// that expects a clean exchange asserts this is empty.
    public var problems: [String] { state.withLockedValue { $0.problems } }

    public func forgetReceived() {
        state.withLockedValue { $0.received = []; $0.answered = [] }
    }

    // MARK: Called by the channel handler

    public func receive(header: RequestHeader, api: APIKey, body: ByteBuffer) -> FakeReply {
        let request = ReceivedRequest(header: header, api: api, body: body,
                                      decoded: DecodedRequest(api: api, version: header.apiVersion, body: body))
        let script = state.withLockedValue { state in
            state.received.append(request)
            return state.scripts[api]
        }
        if let script { return script(header, body) }
        return defaultReply(to: request)
    }

    public func noteAnswered(_ correlationID: Int32) {
        state.withLockedValue { $0.answered.append(correlationID) }
    }

    public func noteProblem(_ problem: String) {
        state.withLockedValue { $0.problems.append(problem) }
    }

    private func accepted(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLockedValue {
            $0.acceptedConnections += 1
            $0.clients[id] = channel
        }
        channel.closeFuture.whenComplete { [self] _ in
            _ = self.state.withLockedValue { $0.clients.removeValue(forKey: id) }
        }
    }
}
