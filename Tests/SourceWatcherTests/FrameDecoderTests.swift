/// `KafkaFrameDecoder`: frames come out whole however TCP splits them, and a bad size prefix
/// (negative, too small, too large) or a connection closed mid-frame is a typed error.
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
@testable import SourceWatcher

@Suite struct FrameDecoderTests {
    private func frame(_ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(payload.count))
        buffer.writeBytes(payload)
        return buffer
    }

    @Test func everySplitOfTheInputYieldsTheSameFrames() throws {
        let small: [UInt8] = [0, 0, 0, 7]
        let larger: [UInt8] = Array(0..<200).map { UInt8($0) }
        var twoInOne = frame(small)
        var second = frame(larger)
        twoInOne.writeBuffer(&second)
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (frame(small), [ByteBuffer(bytes: small)]),
                (frame(larger), [ByteBuffer(bytes: larger)]),
                (twoInOne, [ByteBuffer(bytes: small), ByteBuffer(bytes: larger)]),
            ],
            decoderFactory: { KafkaFrameDecoder(maximumFrameSize: 1024) })
    }

    @Test(arguments: [Int32(-1), Int32.min, 0, 3])
    func lengthBelowACorrelationIDIsInvalid(length: Int32) {
        var decoder = KafkaFrameDecoder()
        var buffer = ByteBuffer()
        buffer.writeInteger(length)
        buffer.writeBytes([1, 2, 3, 4])
        #expect(throws: KafkaFrameError.invalidLength(length)) { try decoder.decode(buffer: &buffer) }
    }

    @Test func lengthAboveTheLimitIsRejectedBeforeBuffering() {
        var decoder = KafkaFrameDecoder(maximumFrameSize: 100)
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(101))  // no body at all: the size alone decides
        #expect(throws: KafkaFrameError.frameTooLarge(length: 101, limit: 100)) { try decoder.decode(buffer: &buffer) }
    }

    @Test func exactlyTheLimitIsAccepted() throws {
        var decoder = KafkaFrameDecoder(maximumFrameSize: 8)
        var buffer = frame(Array(repeating: 9, count: 8))
        #expect(try decoder.decode(buffer: &buffer) == ByteBuffer(bytes: Array(repeating: 9, count: 8)))
    }

    @Test func httpTextIsAFrameTooLarge() {
        var decoder = KafkaFrameDecoder()
        var buffer = ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n\r\n")
        #expect(throws: KafkaFrameError.frameTooLarge(length: 0x4854_5450, limit: 64 * 1024 * 1024)) {
            try decoder.decode(buffer: &buffer)
        }
    }

    @Test func connectionClosedMidFrameIsTruncated() throws {
        var decoder = KafkaFrameDecoder()
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(10))
        buffer.writeBytes([1, 2, 3])
        #expect(try decoder.decode(buffer: &buffer) == nil)
        #expect(throws: KafkaFrameError.truncatedFrame(available: 7)) { try decoder.decodeLast(buffer: &buffer, seenEOF: true) }
    }

    @Test func connectionClosedInsideTheSizeIsTruncated() {
        var decoder = KafkaFrameDecoder()
        var buffer = ByteBuffer(bytes: [0, 0])
        #expect(throws: KafkaFrameError.truncatedFrame(available: 2)) { try decoder.decodeLast(buffer: &buffer, seenEOF: true) }
    }

    @Test func cleanCloseBetweenFramesIsNoError() throws {
        var decoder = KafkaFrameDecoder()
        var buffer = ByteBuffer()
        #expect(try decoder.decodeLast(buffer: &buffer, seenEOF: true) == nil)
    }

    @Test func pipelineSurfacesTheTypedErrorOnEOF() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(KafkaFrameDecoder()))
        var partial = ByteBuffer()
        partial.writeInteger(Int32(10))
        partial.writeBytes([1])
        try channel.writeInbound(partial)
        #expect(throws: KafkaFrameError.truncatedFrame(available: 5)) { _ = try channel.finish() }
    }
}
