/// libFuzzer entry for the Kafka wire decoders a broker's answer goes through: the frame
/// decoder over the whole input, then one response body. The first byte picks which
/// message and version reads the rest (`decoders[byte % count]`), so each corpus file is
/// that byte followed by a body (see Fuzz/seed_corpus.py). A body that decodes must
/// re-encode and decode to the same value: a decoder that reads something other than what
/// it consumed is a bug even when nothing crashes.
import NIOCore
import SourceWatcher
import Foundation
import LibFuzzerEntry

/// One message type at one version.
struct BodyDecoder: Sendable {
    let name: String
    let run: @Sendable (inout ByteBuffer) -> Void
}

func roundTrip<M: KafkaMessageCodec>(_ type: M.Type, version: Int16) -> BodyDecoder {
    BodyDecoder(name: "\(M.self)-v\(version)") { buffer in
        guard let message = try? M(from: &buffer, version: version) else { return }
        var encoded = ByteBuffer()
        do {
            try message.encode(into: &encoded, version: version)
        } catch {
            fatalError("\(M.self) v\(version): a decoded message does not encode: \(error)")
        }
        let again: M
        do {
            again = try M(from: &encoded, version: version)
        } catch {
            fatalError("\(M.self) v\(version): its own encoding does not decode: \(error)")
        }
        precondition(again == message, "\(M.self) v\(version): decode(encode(m)) != m")
        precondition(encoded.readableBytes == 0, "\(M.self) v\(version): bytes left after decoding its own encoding")
    }
}

func all<M: KafkaMessageCodec>(_ type: M.Type) -> [BodyDecoder] {
    M.supportedVersions.map { roundTrip(type, version: $0) }
}

/// The table order is the corpus format: append, never reorder.
let decoders: [BodyDecoder] = {
    var table: [BodyDecoder] = []
    table += all(ApiVersionsResponse.self)
    table += all(DescribeGroupsResponse.self)
    table += all(DescribeProducersResponse.self)
    table += all(FetchResponse.self)
    table += all(FindCoordinatorResponse.self)
    table += all(ListGroupsResponse.self)
    table += all(ListOffsetsResponse.self)
    table += all(MetadataResponse.self)
    table += all(OffsetFetchResponse.self)
    table += all(SaslAuthenticateResponse.self)
    table += all(SaslHandshakeResponse.self)
    for version in ApiVersionsResponse.supportedVersions {
        table.append(BodyDecoder(name: "ApiVersionsResponse-fallback-v\(version)") { buffer in
            _ = try? ApiVersionsResponse.decodeAllowingV0Fallback(from: &buffer, version: version)
        })
    }
    table.append(BodyDecoder(name: "ConsumerProtocolAssignment") { buffer in
        _ = try? ConsumerProtocolAssignment(decoding: Array(buffer.readableBytesView))
    })
    table.append(BodyDecoder(name: "ResponseHeader-v0") { buffer in
        _ = try? ResponseHeader.decode(from: &buffer, flexible: false)
    })
    table.append(BodyDecoder(name: "ResponseHeader-v1") { buffer in
        _ = try? ResponseHeader.decode(from: &buffer, flexible: true)
    })
    return table
}()

/// Feeds the bytes to the frame decoder as a connection would, in two reads split at
/// `split`, and checks every frame it hands out lies inside the input.
func frames(_ bytes: ByteBuffer, split: Int) {
    var decoder = KafkaFrameDecoder(maximumFrameSize: 1 << 16)
    let cut = min(split, bytes.readableBytes)
    let reads = [
        bytes.getSlice(at: bytes.readerIndex, length: cut)!,
        bytes.getSlice(at: bytes.readerIndex + cut, length: bytes.readableBytes - cut)!,
    ]
    var pending = ByteBuffer()
    var framed = 0
    for read in reads {
        pending.writeImmutableBuffer(read)
        while true {
            let frame: ByteBuffer?
            do { frame = try decoder.decode(buffer: &pending) } catch { return }  // the connection would close
            guard let frame else { break }
            framed += 4 + frame.readableBytes
            precondition(frame.readableBytes >= 4, "a frame shorter than a correlation id")
            precondition(framed <= bytes.readableBytes, "frames longer than the input")
        }
    }
    _ = try? decoder.decodeLast(buffer: &pending, seenEOF: true)
}

@main
enum Entry {
    static func main() {
        exit(libfuzzer_run(CommandLine.argc, CommandLine.unsafeArgv, testOneInput))
    }
}

/// One input; libFuzzer reports a crash, a sanitizer finding or a failed precondition.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    guard let selector = input.first else { return 0 }
    let whole = ByteBuffer(bytes: input)
    frames(whole, split: Int(selector))
    var body = ByteBuffer(bytes: input.dropFirst())
    decoders[Int(selector) % decoders.count].run(&body)
    return 0
}
