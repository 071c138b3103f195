/// One Kafka cluster as exporterd sees it: the connections to its brokers (opened lazily,
/// re-opened with backoff), and its metadata. The offset, fetch and group reads built on it
/// live in their own files as extensions; every read runs against one `ReadDeadline`.
import struct Foundation.Date
import Logging
import NIOCore
import NIOPosix

public actor KafkaCluster {
    /// "source" or "destination": names the cluster in errors, logs and metrics.
    public nonisolated let name: String
    public nonisolated let bootstrapBrokers: [BrokerAddress]
    public nonisolated let settings: ConnectionSettings
    /// Wall time for the stamps of each answer, monotonic time for deadlines, backoff and
    /// metadata age.
    public nonisolated let clock: any TimeSource
    private let group: any EventLoopGroup
    private let logger: Logger

    private enum Link {
        case connected(BrokerConnection)
        case connecting(Task<BrokerConnection, any Error>)
        case idle
    }

    private var links: [BrokerAddress: Link] = [:]
    private var backoffs: [BrokerAddress: ReconnectBackoff] = [:]
    private var lastErrors: [BrokerAddress: String] = [:]
    /// When a SASL connection is replaced, before the broker's session lifetime runs out (KIP-368).
    private var saslRenewals: [BrokerAddress: MonotonicInstant] = [:]
    public private(set) var metadata: ClusterMetadata?
    private var metadataIsStale = true
    private var metadataReadAt: MonotonicInstant?
    /// Metadata older than this is re-read before use: partitions added to a topic show up in
    /// no error answer, so without a maximum age a poll would go on summing the old ones.
    public nonisolated let metadataMaxAge: Duration

    public init(name: String, bootstrapBrokers: [BrokerAddress], settings: ConnectionSettings = .init(),
                metadataMaxAge: Duration = .seconds(60),
                clock: any TimeSource = SystemTimeSource(),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "exporterd.kafka")) {
        self.name = name
        self.bootstrapBrokers = bootstrapBrokers
        self.settings = settings
        self.metadataMaxAge = metadataMaxAge
        self.clock = clock
        self.group = group
        var logger = logger
        logger[metadataKey: "cluster"] = "\(name)"
        self.logger = logger
    }

    /// A deadline of `request_timeout` from now, for one read.
    public nonisolated func newReadDeadline() -> ReadDeadline {
        ReadDeadline(startedAt: clock.monotonicNow(), budget: settings.requestTimeout)
    }

    /// A live connection to `broker`, reusing the open one, joining a connect in progress, or
    /// connecting anew unless the broker is still in its backoff window. Within a read
    /// (`deadline` given) the connect and its ApiVersions exchange end by the read's deadline,
    /// and a failure from before the read began does not stop its first attempt.
    public func connection(to broker: BrokerAddress, deadline: ReadDeadline? = nil) async throws(KafkaClientError) -> BrokerConnection {
        retireIfSaslSessionExpiring(broker)
        switch links[broker] ?? .idle {
        case .connected(let connection) where connection.isActive:
            return connection
        case .connecting(let task):
            return try await Self.value(of: task, broker: broker)
        case .connected, .idle:
            let now = clock.monotonicNow()
            if let backoff = backoffs[broker], !backoff.allowsAttempt(at: now, readStartedAt: deadline?.startedAt) {
                throw .backingOff(broker: broker, lastError: lastErrors[broker] ?? "earlier failure")
            }
            var connectTimeout = settings.connectTimeout
            var handshakeTimeout = settings.requestTimeout
            if let deadline {
                let remaining = deadline.remaining(at: now)
                guard remaining > .zero else {
                    throw .requestTimedOut(broker: broker, api: .apiVersions, timeout: deadline.budget)
                }
                connectTimeout = min(connectTimeout, remaining)
                handshakeTimeout = min(handshakeTimeout, remaining)
            }
            let settings = self.settings
            let group = self.group
            let task = Task<BrokerConnection, any Error> { [connectTimeout, handshakeTimeout] in
                try await BrokerConnection.connect(
                    to: broker, settings: settings, group: group,
                    connectTimeout: connectTimeout, handshakeTimeout: handshakeTimeout)
            }
            links[broker] = .connecting(task)
            do {
                let connection = try await Self.value(of: task, broker: broker)
                links[broker] = .connected(connection)
                backoffs[broker, default: ReconnectBackoff()].succeeded()
                saslRenewals[broker] = Self.saslRenewal(of: connection, connectedAt: clock.monotonicNow())
                return connection
            } catch {
                // Named by the read's budget, as `send` names it, not by the remainder the
                // handshake happened to get (a loaded machine turned "300 ms" into "298 ms").
                var error = error
                if case .requestTimedOut(let address, let api, _) = error, let deadline {
                    error = .requestTimedOut(broker: address, api: api, timeout: deadline.budget)
                }
                links[broker] = .idle
                backoffs[broker, default: ReconnectBackoff()].failed(at: clock.monotonicNow(), jitter: Double.random(in: 0...1))
                lastErrors[broker] = error.description
                logger.warning("broker unreachable", metadata: ["broker": "\(broker)", "error": "\(error)"])
                throw error
            }
        }
    }

    /// A broker closes a SASL connection whose session expired at its next request, so the
    /// connection is replaced at 80 % of the lifetime (Kafka's client re-authenticates at 85-95 %;
    /// the lifetime counts from the broker's answer, a little before we note it). The old one
    /// closes only after `request_timeout`, so reads still using it finish.
    private func retireIfSaslSessionExpiring(_ broker: BrokerAddress) {
        guard case .connected(let connection) = links[broker], let renewAt = saslRenewals[broker],
              clock.monotonicNow() >= renewAt else { return }
        links[broker] = .idle
        saslRenewals[broker] = nil
        connection.retire(after: settings.requestTimeout)
        logger.debug("SASL session lifetime running out: reconnecting", metadata: ["broker": "\(broker)"])
    }

    private static func saslRenewal(of connection: BrokerConnection, connectedAt: MonotonicInstant) -> MonotonicInstant? {
        guard let lifetime = connection.saslSessionLifetime else { return nil }
        return connectedAt.advanced(by: lifetime * 0.8)
    }

    private static func value(of task: Task<BrokerConnection, any Error>, broker: BrokerAddress) async throws(KafkaClientError) -> BrokerConnection {
        do {
            return try await task.value
        } catch let error as KafkaClientError {
            throw error
        } catch {
            throw .connectFailed(broker: broker, reason: "\(error)")
        }
    }

    /// Drops a connection that failed a request, so the next use reconnects.
    public func discard(_ connection: BrokerConnection) async {
        if case .connected(let current) = links[connection.broker], current === connection {
            links[connection.broker] = .idle
        }
        await connection.close()
    }

    /// Reads metadata from any reachable broker (known brokers first, then the bootstrap list).
    /// `topics: nil` asks for every topic.
    @discardableResult
    public func refreshMetadata(topics: [String]?, deadline: ReadDeadline? = nil) async throws(KafkaClientError) -> ClusterMetadata {
        var candidates = metadata.map { Array($0.brokers.values).sorted { $0.description < $1.description } } ?? []
        candidates += bootstrapBrokers.filter { !candidates.contains($0) }
        var lastError: KafkaClientError?
        for broker in candidates {
            do {
                let request = MetadataRequest(
                    topics: topics.map { $0.map { MetadataRequest.MetadataRequestTopic(name: $0) } },
                    allowAutoTopicCreation: false)
                let response = try await send(request, to: broker, deadline: deadline)
                let fresh = ClusterMetadata(response)
                metadata = fresh
                metadataIsStale = false
                metadataReadAt = clock.monotonicNow()
                return fresh
            } catch {
                lastError = error
                // The read's time is spent: trying the next broker would only fail the same way.
                if let deadline, deadline.remaining(at: clock.monotonicNow()) <= .zero { break }
            }
        }
        throw .noBrokerAvailable(cluster: name, lastError: lastError?.description ?? "no brokers configured")
    }

    /// Marks metadata as out of date (a partition answered NOT_LEADER, a leader vanished…).
    public func invalidateMetadata() {
        metadataIsStale = true
    }

    /// Current metadata, refreshed first when stale or when it lacks one of `topics`.
    public func currentMetadata(covering topics: [String]?, deadline: ReadDeadline? = nil) async throws(KafkaClientError) -> ClusterMetadata {
        try await metadataForRead(covering: topics, deadline: deadline).metadata
    }

    /// The same, saying when the refresh (if one was needed) was sent and answered: a read's
    /// stamps include the requests it needed.
    func metadataForRead(covering topics: [String]?, deadline: ReadDeadline?) async throws(KafkaClientError) -> (metadata: ClusterMetadata, exchange: Exchange?) {
        if !metadataIsStale, let metadata, let metadataReadAt, clock.monotonicNow() - metadataReadAt < metadataMaxAge {
            // A topic answered with an error (not yet created, leader election) counts as lacking:
            // caching the error would report it missing forever after it appears.
            if let topics, topics.allSatisfy({ metadata.topics[$0]?.errorCode == KafkaErrorCode.none }) { return (metadata, nil) }
        }
        let sentAt = clock.wallNow()
        let fresh = try await refreshMetadata(topics: topics, deadline: deadline)
        return (fresh, Exchange(sentAt: sentAt, receivedAt: clock.wallNow()))
    }

    /// Sends over `connection`, discarding it when the request failed at the connection level.
    public func send<Request: KafkaRequest>(_ request: Request, over connection: BrokerConnection, timeout: Duration? = nil) async throws(KafkaClientError) -> Request.Response {
        do {
            return try await connection.send(request, timeout: timeout)
        } catch {
            switch error {
            case .unsupportedAPI, .brokerError, .codec: break
            default: await discard(connection)
            }
            throw error
        }
    }

    /// Sends `request` to broker `address` (connecting if needed). Within a read the request
    /// waits no longer than the read's deadline.
    public func send<Request: KafkaRequest>(_ request: Request, to address: BrokerAddress, deadline: ReadDeadline? = nil) async throws(KafkaClientError) -> Request.Response {
        let connection = try await connection(to: address, deadline: deadline)
        var timeout: Duration?
        if let deadline {
            let remaining = deadline.remaining(at: clock.monotonicNow())
            guard remaining > .zero else {
                throw .requestTimedOut(broker: address, api: Request.apiKey, timeout: deadline.budget)
            }
            timeout = min(settings.requestTimeout, remaining)
        }
        do {
            return try await send(request, over: connection, timeout: timeout)
        } catch .requestTimedOut(let broker, let api, let waited) {
            // Named by the configured budget, not by the remainder this request happened to get.
            throw .requestTimedOut(broker: broker, api: api, timeout: deadline?.budget ?? waited)
        }
    }

    /// Sends `request` and stamps the exchange with wall time: sent before connecting,
    /// received once the answer (or the failure) is in.
    func exchange<Request: KafkaRequest>(_ request: Request, to address: BrokerAddress, deadline: ReadDeadline) async -> (result: Result<Request.Response, KafkaClientError>, exchange: Exchange) {
        let sentAt = clock.wallNow()
        let result: Result<Request.Response, KafkaClientError>
        do {
            result = .success(try await send(request, to: address, deadline: deadline))
        } catch {
            result = .failure(error)
        }
        return (result, Exchange(sentAt: sentAt, receivedAt: clock.wallNow()))
    }

    /// The API versions of some reachable broker (for "is DescribeProducers supported here?").
    public func apiVersions(of address: BrokerAddress) async throws(KafkaClientError) -> BrokerAPIVersions {
        try await connection(to: address).apiVersions
    }

    public func shutdown() async {
        for link in links.values {
            switch link {
            case .connected(let connection): await connection.close()
            case .connecting(let task): task.cancel()
            case .idle: break
            }
        }
        links.removeAll()
    }
}

/// When one request went out and when its answer came back, by the wall clock.
public struct Exchange: Sendable, Hashable {
    public var sentAt: Date
    public var receivedAt: Date

    public init(sentAt: Date, receivedAt: Date) {
        self.sentAt = sentAt
        self.receivedAt = receivedAt
    }
}
