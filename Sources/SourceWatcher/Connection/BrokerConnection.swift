/// One TCP connection to one broker: connects, learns the broker's API versions, and sends
/// typed requests at the highest version both sides speak. Several requests may be in flight.
/// With `ConnectionSettings.tls` the bytes go through TLS (see TLSSettings.swift).
import NIOCore
import NIOPosix
import NIOSSL

public struct ConnectionSettings: Sendable {
    public var clientID: String
    public var connectTimeout: Duration
    /// One read of the cluster (`source.request_timeout`): a request, and a whole read's
    /// metadata refresh, requests and retry together, end within it.
    public var requestTimeout: Duration
    public var maximumFrameSize: Int
    /// nil: plaintext. Otherwise every connection of the cluster, bootstrap and brokers from
    /// metadata alike, speaks TLS with this one shared context.
    public var tls: TLSSettings?
    /// SASL credentials: when set, every new connection authenticates right after ApiVersions.
    public var sasl: SaslSettings?

    public init(clientID: String = "exporterd", connectTimeout: Duration = .seconds(5),
                requestTimeout: Duration = .seconds(5), maximumFrameSize: Int = 64 * 1024 * 1024,
                tls: TLSSettings? = nil, sasl: SaslSettings? = nil) {
        self.clientID = clientID
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maximumFrameSize = maximumFrameSize
        self.tls = tls
        self.sasl = sasl
    }
}

public final class BrokerConnection: Sendable {
    public let broker: BrokerAddress
    public let apiVersions: BrokerAPIVersions
    /// The SASL session lifetime the broker granted (KIP-368); the cluster replaces the
    /// connection before it runs out. nil: no SASL, or no expiry.
    public let saslSessionLifetime: Duration?
    private let channel: any Channel
    private let settings: ConnectionSettings

    private init(broker: BrokerAddress, channel: any Channel, apiVersions: BrokerAPIVersions,
                 saslSessionLifetime: Duration?, settings: ConnectionSettings) {
        self.broker = broker
        self.channel = channel
        self.apiVersions = apiVersions
        self.saslSessionLifetime = saslSessionLifetime
        self.settings = settings
    }

    public var isActive: Bool { channel.isActive }

    /// Opens the connection and performs the ApiVersions exchange Kafka expects first, each
    /// within its timeout (the settings' unless a read's deadline asks for less).
    public static func connect(
        to broker: BrokerAddress, settings: ConnectionSettings,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: Duration? = nil, handshakeTimeout: Duration? = nil
    ) async throws(KafkaClientError) -> BrokerConnection {
        let channel: any Channel
        // TLS step: the TLS handler and its error observer go first in the pipeline; the
        // handshake runs on connect and the ApiVersions request waits behind it.
        let tlsObserver = settings.tls.map { TLSHandshakeObserver(broker: broker, settings: $0) }
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(connectTimeout ?? settings.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls = settings.tls, let tlsObserver {
                            try channel.pipeline.syncOperations.addHandlers(
                                try NIOSSLClientHandler(context: tls.context, serverHostname: TLSSettings.serverName(for: broker.host)),
                                tlsObserver)
                        }
                        try channel.pipeline.syncOperations.addHandlers(
                            ByteToMessageHandler(KafkaFrameDecoder(maximumFrameSize: settings.maximumFrameSize)),
                            KafkaClientHandler(broker: broker, clientID: settings.clientID)
                        )
                    }
                }
                .connect(host: broker.host, port: broker.port)
                .get()
        } catch {
            throw .connectFailed(broker: broker, reason: "\(error)")
        }
        do {
            let versions = try await negotiateAPIVersions(
                channel: channel, broker: broker, timeout: handshakeTimeout ?? settings.requestTimeout)
            // SASL step (SaslAuthentication.swift): after ApiVersions, before any other request.
            var sessionLifetime: Duration?
            if let sasl = settings.sasl {
                sessionLifetime = try await authenticate(
                    channel: channel, broker: broker, versions: versions, sasl: sasl,
                    timeout: handshakeTimeout ?? settings.requestTimeout)
            }
            return BrokerConnection(broker: broker, channel: channel, apiVersions: versions,
                                    saslSessionLifetime: sessionLifetime, settings: settings)
        } catch {
            channel.close(promise: nil)
            // A TLS failure may surface as a closed connection; the observer knows the cause
            // once the event loop has finished the tick that failed the request (one read can
            // raise a vague error and then the telling one).
            if let tls = settings.tls, let tlsObserver {
                try? await channel.eventLoop.submit {}.get()
                if let failure = tlsObserver.recordedFailure {
                    throw .tls(cluster: tls.cluster, broker: broker, failure)
                }
                if case .requestTimedOut(_, _, let waited) = error, !tlsObserver.handshakeCompleted {
                    throw .tls(cluster: tls.cluster, broker: broker, .handshakeTimedOut(after: waited))
                }
            }
            throw error
        }
    }

    /// Sends `request` at the highest version both we and the broker support.
    public func send<Request: KafkaRequest>(_ request: Request, timeout: Duration? = nil) async throws(KafkaClientError) -> Request.Response {
        let version = try apiVersions.negotiate(Request.self, broker: broker)
        return try await send(request, version: version, timeout: timeout)
    }

    /// Sends `request` at an explicit version (tests and the ApiVersions fallback need this).
    public func send<Request: KafkaRequest>(_ request: Request, version: Int16, timeout: Duration? = nil) async throws(KafkaClientError) -> Request.Response {
        var body = try Self.encode(request, version: version, broker: broker, allocator: channel.allocator)
        let responseBody = try await Self.roundTrip(
            channel: channel, broker: broker, api: Request.apiKey, version: version,
            requestHeaderIsFlexible: Request.isFlexible(version),
            responseHeaderIsFlexible: responseHeaderIsFlexible(apiKey: Request.apiKey, version: version),
            body: &body, timeout: timeout ?? settings.requestTimeout)
        var buffer = responseBody
        do {
            return try Request.Response(from: &buffer, version: version)
        } catch {
            throw .codec(broker: broker, api: Request.apiKey, error)
        }
    }

    public func close() async {
        try? await channel.close()
    }

    /// Closes after `delay`, so requests already in flight on it still get their answers
    /// (a SASL session about to expire is replaced this way).
    public func retire(after delay: Duration) {
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: TimeAmount(delay)) { channel.close(promise: nil) }
    }

    static func encode<Request: KafkaRequest>(_ request: Request, version: Int16, broker: BrokerAddress, allocator: ByteBufferAllocator) throws(KafkaClientError) -> ByteBuffer {
        var body = allocator.buffer(capacity: 256)
        do {
            try request.encode(into: &body, version: version)
        } catch {
            throw .codec(broker: broker, api: Request.apiKey, error)
        }
        return body
    }

    static func roundTrip(
        channel: any Channel, broker: BrokerAddress, api: APIKey, version: Int16,
        requestHeaderIsFlexible: Bool, responseHeaderIsFlexible: Bool,
        body: inout ByteBuffer, timeout: Duration
    ) async throws(KafkaClientError) -> ByteBuffer {
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let outbound = OutboundKafkaRequest(
            apiKey: api, apiVersion: version,
            requestHeaderIsFlexible: requestHeaderIsFlexible, responseHeaderIsFlexible: responseHeaderIsFlexible,
            body: body, timeout: TimeAmount(timeout), response: promise)
        channel.writeAndFlush(outbound).whenFailure { error in
            promise.fail(error)
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as KafkaClientError {
            throw error
        } catch {
            throw .connectionClosed(broker: broker)
        }
    }

    /// ApiVersions must be the first request. A broker older than our preferred version answers
    /// UNSUPPORTED_VERSION in the v0 layout, listing the versions it does speak; we retry once
    /// with the highest of those.
    private static func negotiateAPIVersions(channel: any Channel, broker: BrokerAddress, timeout: Duration) async throws(KafkaClientError) -> BrokerAPIVersions {
        let request = ApiVersionsRequest(clientSoftwareName: "exporterd", clientSoftwareVersion: "0")
        var version = min(ApiVersionsRequest.supportedVersions.upperBound, 3)
        for attempt in 0..<2 {
            var body = try encode(request, version: version, broker: broker, allocator: channel.allocator)
            var answer = try await roundTrip(
                channel: channel, broker: broker, api: .apiVersions, version: version,
                requestHeaderIsFlexible: ApiVersionsRequest.isFlexible(version), responseHeaderIsFlexible: false,
                body: &body, timeout: timeout)
            let response: ApiVersionsResponse
            do {
                response = try ApiVersionsResponse.decodeAllowingV0Fallback(from: &answer, version: version).response
            } catch {
                throw .codec(broker: broker, api: .apiVersions, error)
            }
            let code = KafkaErrorCode(response.errorCode)
            if code == .none { return BrokerAPIVersions(response) }
            guard code == .unsupportedVersion, attempt == 0,
                  let theirs = response.apiKeys.first(where: { $0.apiKey == APIKey.apiVersions.rawValue }),
                  theirs.maxVersion < version else {
                throw .brokerError(broker: broker, api: .apiVersions, code: code)
            }
            version = max(theirs.maxVersion, ApiVersionsRequest.supportedVersions.lowerBound)
        }
        throw .brokerError(broker: broker, api: .apiVersions, code: .unsupportedVersion)
    }
}
