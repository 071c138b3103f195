/// Kafka's framing: every message is a 4-byte big-endian size followed by that many bytes.
/// The decoder bounds the size before buffering, so a hostile or confused peer (a port that is
/// not Kafka, an HTTP server answering "HTTP/1.1 …" = 1.2 GB "length") cannot make us allocate.
import NIOCore

public struct KafkaFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// Largest frame accepted. Fetch responses are the big ones and we cap their size in the
    /// request, so anything far beyond that is garbage.
    public let maximumFrameSize: Int

    public init(maximumFrameSize: Int = 64 * 1024 * 1024) {
        self.maximumFrameSize = maximumFrameSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard length >= 4 else {
            // Every response carries at least a correlation id; a negative or tiny size is garbage.
            throw KafkaFrameError.invalidLength(length)
        }
        guard Int(length) <= maximumFrameSize else {
            throw KafkaFrameError.frameTooLarge(length: Int(length), limit: maximumFrameSize)
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(length))
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        if let frame = try decode(buffer: &buffer) { return frame }
        if seenEOF, buffer.readableBytes > 0 {
            throw KafkaFrameError.truncatedFrame(available: buffer.readableBytes)
        }
        return nil
    }
}

/// Framing failures: the connection is unusable after any of them.
public enum KafkaFrameError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidLength(Int32)
    case frameTooLarge(length: Int, limit: Int)
    case truncatedFrame(available: Int)

    public var description: String {
        switch self {
        case .invalidLength(let length): "invalid Kafka frame length \(length)"
        case .frameTooLarge(let length, let limit): "Kafka frame of \(length) bytes exceeds the \(limit)-byte limit (is this port really Kafka?)"
        case .truncatedFrame(let available): "connection closed inside a frame (\(available) bytes of it received)"
        }
    }
}
