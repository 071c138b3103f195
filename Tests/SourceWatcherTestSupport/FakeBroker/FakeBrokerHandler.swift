/// The fake broker's side of one client connection: reads request frames with our own header
/// codec, records them, asks the script what to do, and does it.
import NIOCore
import SourceWatcher

final class FakeBrokerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let broker: FakeKafkaBroker

    init(broker: FakeKafkaBroker) {
        self.broker = broker
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        // The header's own version depends on the API and version it announces, so peek first.
        guard let rawKey = frame.getInteger(at: frame.readerIndex, as: Int16.self),
              let version = frame.getInteger(at: frame.readerIndex + 2, as: Int16.self),
              let api = APIKey(rawValue: rawKey),
              let header = try? RequestHeader.decode(from: &frame, flexible: requestHeaderIsFlexible(apiKey: api, version: version))
        else {
            broker.noteProblem("unreadable request header")
            context.close(promise: nil)
            return
        }
        let reply = broker.receive(header: header, api: api, body: frame)
        Self.perform(reply, header: header, api: api, channel: context.channel, broker: broker)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        broker.noteProblem("\(error)")
        context.close(promise: nil)
    }

    /// Static and channel-based (not context-based) so a delayed reply can run after the
    /// handler is gone without touching a dead context.
    static func perform(_ reply: FakeReply, header: RequestHeader, api: APIKey, channel: any Channel, broker: FakeKafkaBroker) {
        switch reply {
        case .response(let body):
            write(body, correlationID: header.correlationId, header: header, api: api, channel: channel, broker: broker)
        case .responseWithCorrelationID(let body, let correlationID):
            write(body, correlationID: correlationID, header: header, api: api, channel: channel, broker: broker)
        case .raw(let bytes):
            channel.writeAndFlush(bytes, promise: nil)
        case .delayed(let delay, let next):
            channel.eventLoop.scheduleTask(in: delay) {
                perform(next, header: header, api: api, channel: channel, broker: broker)
            }
        case .hang:
            break
        case .close:
            channel.close(promise: nil)
        case .unsupportedApiVersions(let range):
            let body = ApiVersionsResponse(
                errorCode: KafkaErrorCode.unsupportedVersion.rawValue,
                apiKeys: [.init(apiKey: APIKey.apiVersions.rawValue, minVersion: range.lowerBound, maxVersion: range.upperBound)])
            var v0 = header
            v0.apiVersion = 0
            write(body, correlationID: header.correlationId, header: v0, api: .apiVersions, channel: channel, broker: broker)
        }
    }

    private static func write(_ body: any FakeResponseBody, correlationID: Int32, header: RequestHeader, api: APIKey, channel: any Channel, broker: FakeKafkaBroker) {
        var frame = channel.allocator.buffer(capacity: 256)
        frame.writeInteger(Int32(0))  // size, patched below
        ResponseHeader(correlationId: correlationID)
            .encode(into: &frame, flexible: responseHeaderIsFlexible(apiKey: api, version: header.apiVersion))
        do {
            try body.encode(into: &frame, version: header.apiVersion)
        } catch {
            broker.noteProblem("cannot encode \(api) v\(header.apiVersion): \(error)")
            channel.close(promise: nil)
            return
        }
        frame.setInteger(Int32(frame.readableBytes - 4), at: frame.readerIndex)
        broker.noteAnswered(correlationID)
        channel.writeAndFlush(frame, promise: nil)
    }
}
