/// The channel handler of one broker connection: stamps each outgoing request with a
/// correlation id and header, matches answers back to their waiters, and enforces each
/// request's deadline. The bookkeeping itself is `InFlightRequests`; this is its I/O edge.
import NIOCore

/// A request ready to go out: its body is already encoded, the header is written here because
/// only the handler knows the correlation id.
struct OutboundKafkaRequest: Sendable {
    let apiKey: APIKey
    let apiVersion: Int16
    let requestHeaderIsFlexible: Bool
    let responseHeaderIsFlexible: Bool
    let body: ByteBuffer
    let timeout: TimeAmount
    /// Succeeds with the response body (header already consumed).
    let response: EventLoopPromise<ByteBuffer>
}

final class KafkaClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = OutboundKafkaRequest
    typealias OutboundOut = ByteBuffer

    private let broker: BrokerAddress
    private let clientID: String
    private var inFlight = InFlightRequests<EventLoopPromise<ByteBuffer>>()
    private var deadlines: [Int32: Scheduled<Void>] = [:]

    init(broker: BrokerAddress, clientID: String) {
        self.broker = broker
        self.clientID = clientID
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard let id = inFlight.register(
            apiKey: request.apiKey, apiVersion: request.apiVersion,
            responseHeaderIsFlexible: request.responseHeaderIsFlexible,
            waiter: request.response
        ) else {
            request.response.fail(KafkaClientError.connectionClosed(broker: broker))
            promise?.fail(KafkaClientError.connectionClosed(broker: broker))
            return
        }
        var frame = context.channel.allocator.buffer(capacity: request.body.readableBytes + 32 + clientID.utf8.count)
        frame.writeInteger(Int32(0))  // size, patched below once the frame is complete
        RequestHeader(apiKey: request.apiKey.rawValue, apiVersion: request.apiVersion, correlationId: id, clientId: clientID)
            .encode(into: &frame, flexible: request.requestHeaderIsFlexible)
        var body = request.body
        frame.writeBuffer(&body)
        frame.setInteger(Int32(frame.readableBytes - 4), at: frame.readerIndex)

        let apiKey = request.apiKey
        let timeout = request.timeout
        deadlines[id] = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            self.deadlinePassed(context: context, correlationID: id, apiKey: apiKey, timeout: timeout)
        }
        context.writeAndFlush(wrapOutboundOut(frame), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        guard let correlationID = frame.getInteger(at: frame.readerIndex, as: Int32.self) else {
            fail(context: context, error: .protocolViolation(broker: broker, detail: "frame without correlation id"))
            return
        }
        let flexible = inFlight.headerIsFlexible(correlationID: correlationID) ?? false
        switch inFlight.receive(correlationID: correlationID) {
        case .deliver(let entry):
            deadlines.removeValue(forKey: correlationID)?.cancel()
            do {
                _ = try ResponseHeader.decode(from: &frame, flexible: flexible)
                entry.waiter.succeed(frame)
            } catch {
                entry.waiter.fail(KafkaClientError.codec(broker: broker, api: entry.apiKey, error))
            }
        case .protocolViolation(let id):
            fail(context: context, error: .protocolViolation(broker: broker, detail: "answer for unknown correlation id \(id)"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let clientError: KafkaClientError
        switch error {
        case let frameError as KafkaFrameError: clientError = .framing(broker: broker, frameError)
        case let decoderError as ByteToMessageDecoderError:
            if case .dataReceivedInErrorState(let first as KafkaFrameError, _) = decoderError {
                clientError = .framing(broker: broker, first)
            } else {
                clientError = .protocolViolation(broker: broker, detail: "\(decoderError)")
            }
        case let known as KafkaClientError: clientError = known
        default: clientError = .connectFailed(broker: broker, reason: "\(error)")
        }
        fail(context: context, error: clientError)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(with: .connectionClosed(broker: broker))
        context.fireChannelInactive()
    }

    private func deadlinePassed(context: ChannelHandlerContext, correlationID: Int32, apiKey: APIKey, timeout: TimeAmount) {
        deadlines.removeValue(forKey: correlationID)
        guard let entry = inFlight.timeOut(correlationID: correlationID) else { return }
        let timedOut = KafkaClientError.requestTimedOut(broker: broker, api: apiKey, timeout: Duration(timeout))
        entry.waiter.fail(timedOut)
        // A broker that missed one deadline answers the rest of this connection late or never,
        // in order; a fresh connection is the only way to get timely answers again. The requests
        // still waiting fail with the timeout too: `.connectionClosed` would say the broker went
        // away, which callers retry at once, against the same unresponsive broker.
        fail(context: context, error: timedOut)
    }

    private func fail(context: ChannelHandlerContext, error: KafkaClientError) {
        failAll(with: error)
        context.close(promise: nil)
    }

    private func failAll(with error: KafkaClientError) {
        for entry in inFlight.close() {
            entry.waiter.fail(error)
        }
        for deadline in deadlines.values { deadline.cancel() }
        deadlines.removeAll()
    }
}
