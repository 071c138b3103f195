/// Sits right behind the TLS handler, turns swift-nio-ssl's errors into the typed
/// `KafkaClientError.tls` the requests in flight fail with, and keeps the most telling one, so a
/// failed connect reports why TLS failed (untrusted certificate, wrong hostname, refused
/// client certificate) instead of "connection closed". TLS 1.3 servers refuse a client
/// certificate after our side of the handshake is done, so errors are kept for the whole
/// connection, not only until the handshake completes.
import NIOConcurrencyHelpers
import NIOCore
import NIOTLS

final class TLSHandshakeObserver: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let broker: BrokerAddress
    private let settings: TLSSettings
    private let failure = NIOLockedValueBox<TLSFailure?>(nil)
    private let completed = NIOLockedValueBox(false)

    init(broker: BrokerAddress, settings: TLSSettings) {
        self.broker = broker
        self.settings = settings
    }

    /// The most specific TLS failure seen on the connection, if any.
    var recordedFailure: TLSFailure? { failure.withLockedValue { $0 } }

    /// Whether the handshake ended on our side; a connect that timed out before it did
    /// timed out in TLS, not in Kafka.
    var handshakeCompleted: Bool { completed.withLockedValue { $0 } }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent {
            completed.withLockedValue { $0 = true }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let classified = TLSFailure.classify(error, host: broker.host, settings: settings) else {
            context.fireErrorCaught(error)
            return
        }
        failure.withLockedValue { recorded in
            if recorded == nil || (recorded!.isGeneric && !classified.isGeneric) { recorded = classified }
        }
        context.fireErrorCaught(KafkaClientError.tls(cluster: settings.cluster, broker: broker, classified))
    }
}
