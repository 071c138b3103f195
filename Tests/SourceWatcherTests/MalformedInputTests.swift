/// Garbage in, typed error out: every bad input must end in the specific `KafkaCodecError`
/// case it provokes, never in a crash, a trap or a large allocation.

import NIOCore
import Testing
@testable import SourceWatcher

struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var expected: KafkaCodecError.Kind
    var run: @Sendable (inout ByteBuffer) throws -> Void

    var testDescription: String { name }
}

/// A decode of `M` at `version` as a table entry.
private func decoding<M: KafkaMessageCodec>(_: M.Type, _ version: Int16) -> @Sendable (inout ByteBuffer) throws -> Void {
    { buffer in _ = try M(from: &buffer, version: version) }
}

/// Deterministic bytes (SplitMix64), so a "random" case fails the same way on every run.
func seededBytes(seed: UInt64, count: Int) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
}

// ListGroupsResponse v0 cases pad the group so it meets the 4-byte minimum of a group
// (two int16 string lengths); otherwise the count check would fire before the string.
let badInputs: [BadInput] = [
    BadInput(name: "empty buffer, ApiVersionsResponse v0", bytes: [], expected: .truncated,
             run: decoding(ApiVersionsResponse.self, 0)),
    BadInput(name: "empty buffer, MetadataRequest v12", bytes: [], expected: .truncated,
             run: decoding(MetadataRequest.self, 12)),
    BadInput(name: "half an int16, DescribeGroupsResponse v0", bytes: [0x00], expected: .truncated,
             run: decoding(DescribeGroupsResponse.self, 0)),
    BadInput(name: "array count -2", bytes: [0xff, 0xff, 0xff, 0xfe], expected: .invalidLength,
             run: decoding(ListOffsetsResponse.self, 1)),
    BadInput(name: "array count Int32.max with nothing behind it", bytes: [0x7f, 0xff, 0xff, 0xff],
             expected: .invalidLength, run: decoding(ListOffsetsResponse.self, 1)),
    BadInput(name: "null array where the schema has no nullableVersions", bytes: [0xff, 0xff, 0xff, 0xff],
             expected: .unexpectedNull, run: decoding(ListOffsetsResponse.self, 1)),
    BadInput(name: "null topics in MetadataRequest v0 (nullable from v1)", bytes: [0xff, 0xff, 0xff, 0xff],
             expected: .unexpectedNull, run: decoding(MetadataRequest.self, 0)),
    BadInput(name: "compact array count 2^32-2", bytes: [0xff, 0xff, 0xff, 0xff, 0x0f],
             expected: .invalidLength, run: decoding(MetadataRequest.self, 9)),
    BadInput(name: "string length past the end", bytes: [0, 0, 0, 0, 0, 1, 0x00, 0x64, 0x61, 0x62, 0x63],
             expected: .truncated, run: decoding(ListGroupsResponse.self, 0)),
    BadInput(name: "string length -5", bytes: [0, 0, 0, 0, 0, 1, 0xff, 0xfb, 0, 0],
             expected: .invalidLength, run: decoding(ListGroupsResponse.self, 0)),
    BadInput(name: "null for a non-nullable string", bytes: [0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 0],
             expected: .unexpectedNull, run: decoding(ListGroupsResponse.self, 0)),
    BadInput(name: "null compact string for a non-nullable key", bytes: [0x00],
             expected: .unexpectedNull, run: decoding(FindCoordinatorRequest.self, 3)),
    BadInput(name: "invalid UTF-8 (0xff 0xfe)", bytes: [0x00, 0x02, 0xff, 0xfe],
             expected: .invalidUTF8, run: decoding(SaslHandshakeRequest.self, 0)),
    BadInput(name: "UTF-8-encoded surrogate", bytes: [0x00, 0x03, 0xed, 0xa0, 0x80],
             expected: .invalidUTF8, run: decoding(FindCoordinatorRequest.self, 0)),
    BadInput(name: "UTF-8 sequence cut in half", bytes: [0x00, 0x01, 0xc3],
             expected: .invalidUTF8, run: decoding(SaslHandshakeRequest.self, 1)),
    BadInput(name: "unsigned varint of 6 bytes", bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
             expected: .varintTooLong, run: decoding(MetadataRequest.self, 9)),
    BadInput(name: "unsigned varint over 32 bits", bytes: [0xff, 0xff, 0xff, 0xff, 0x7f],
             expected: .varintTooLong, run: decoding(MetadataRequest.self, 9)),
    BadInput(name: "unsigned varlong of 11 bytes", bytes: Array(repeating: 0x80, count: 10) + [0x01],
             expected: .varintTooLong,
             run: { buffer in _ = try buffer.readUnsignedVarlong("test", "varlong") }),
    BadInput(name: "unknown tagged field claims 50 bytes, 2 remain", bytes: [0x01, 0x01, 0x63, 0x32, 0x00, 0x00],
             expected: .truncated, run: decoding(SaslAuthenticateRequest.self, 2)),
    BadInput(name: "tagged field count 100 with 3 bytes left", bytes: [0x01, 0x64, 0x00, 0x00, 0x00],
             expected: .invalidLength, run: decoding(SaslAuthenticateRequest.self, 2)),
    BadInput(name: "bytes length 1000 with 2 bytes left", bytes: [0x00, 0x00, 0x03, 0xe8, 0x01, 0x02],
             expected: .truncated, run: decoding(SaslAuthenticateRequest.self, 0)),
    BadInput(name: "bytes length -7", bytes: [0xff, 0xff, 0xff, 0xf9],
             expected: .invalidLength, run: decoding(SaslAuthenticateRequest.self, 0)),
    BadInput(
        name: "records length 100 with 2 bytes left, FetchResponse v4",
        bytes: [0, 0, 0, 0] + [0, 0, 0, 1] + [0, 1, 0x74] + [0, 0, 0, 1] + [0, 0, 0, 0] + [0, 0]
            + Array(repeating: 0, count: 16) + [0xff, 0xff, 0xff, 0xff] + [0, 0, 0, 100, 1, 2],
        expected: .truncated, run: decoding(FetchResponse.self, 4)),
    BadInput(name: "response header v1 without its tagged fields", bytes: [0, 0, 0, 1], expected: .truncated,
             run: { buffer in _ = try ResponseHeader.decode(from: &buffer, flexible: true) }),
    BadInput(name: "random bytes (seed 42) as MetadataResponse v12", bytes: seededBytes(seed: 42, count: 64),
             expected: .invalidLength, run: decoding(MetadataResponse.self, 12)),
    BadInput(name: "ListOffsets v0 is below the schema's validVersions", bytes: [], expected: .unsupportedVersion,
             run: decoding(ListOffsetsRequest.self, 0)),
    BadInput(name: "Fetch v13 is above our cap (topic ids only)", bytes: [], expected: .unsupportedVersion,
             run: decoding(FetchRequest.self, 13)),
    BadInput(name: "encode: isolationLevel 1 in ListOffsetsRequest v1", bytes: [], expected: .fieldNotInVersion,
             run: { buffer in try ListOffsetsRequest(isolationLevel: 1).encode(into: &buffer, version: 1) }),
    BadInput(name: "encode: preferredReadReplica in FetchResponse v10", bytes: [], expected: .fieldNotInVersion,
             run: { buffer in
                 let partition = FetchResponse.PartitionData(preferredReadReplica: 3)
                 let response = FetchResponse(responses: [.init(topic: "t", partitions: [partition])])
                 try response.encode(into: &buffer, version: 10)
             }),
    BadInput(name: "encode: null topics in MetadataRequest v0", bytes: [], expected: .unexpectedNull,
             run: { buffer in try MetadataRequest(topics: nil).encode(into: &buffer, version: 0) }),
]

@Suite struct MalformedInputTests {
    @Test(arguments: badInputs)
    func throwsTheSpecificError(_ input: BadInput) {
        var buffer = ByteBuffer(bytes: input.bytes)
        do {
            try input.run(&buffer)
            Issue.record("\(input.name): no error thrown")
        } catch let error as KafkaCodecError {
            #expect(error.kind == input.expected, "\(input.name): \(error)")
        } catch {
            Issue.record("\(input.name): untyped error \(error)")
        }
    }

    /// Every proper prefix of a real message fails cleanly. A cut inside a fixed field or a
    /// string is `.truncated`; a cut right after an array count is `.invalidLength`, since a
    /// count can only be judged against the bytes that remain.
    @Test(arguments: ["MetadataResponse-v12", "FetchResponse-v12", "FetchResponse-v4", "ApiVersionsResponse-v3",
                      "DescribeGroupsResponse-v5", "OffsetFetchResponse-v8", "ListOffsetsRequest-v11"])
    func truncatedAtEveryPosition(_ key: String) throws {
        let bytes = try Fixtures.bytes(key)
        guard let dash = key.lastIndex(of: "-"), let version = Int16(key[key.index(dash, offsetBy: 2)...]) else {
            Issue.record("bad fixture key \(key)")
            return
        }
        let decode = switch key[..<dash] {
        case "MetadataResponse": decoding(MetadataResponse.self, version)
        case "FetchResponse": decoding(FetchResponse.self, version)
        case "ApiVersionsResponse": decoding(ApiVersionsResponse.self, version)
        case "DescribeGroupsResponse": decoding(DescribeGroupsResponse.self, version)
        case "OffsetFetchResponse": decoding(OffsetFetchResponse.self, version)
        default: decoding(ListOffsetsRequest.self, version)
        }
        for cut in 0..<bytes.count {
            var buffer = ByteBuffer(bytes: bytes[..<cut])
            do {
                try decode(&buffer)
                Issue.record("\(key) cut at \(cut): decoded without error")
            } catch let error as KafkaCodecError {
                #expect([.truncated, .invalidLength].contains(error.kind), "\(key) cut at \(cut): \(error)")
            } catch {
                Issue.record("\(key) cut at \(cut): untyped error \(error)")
            }
        }
    }

    /// Random garbage into every response decoder: any outcome but a crash is fine.
    @Test func randomBytesNeverCrash() {
        for seed in UInt64(1)...300 {
            let bytes = seededBytes(seed: seed, count: Int(seed % 97))
            let decoders = [
                decoding(MetadataResponse.self, 12), decoding(FetchResponse.self, 12),
                decoding(FetchResponse.self, 4), decoding(ApiVersionsResponse.self, 3),
                decoding(ListOffsetsResponse.self, 11), decoding(DescribeGroupsResponse.self, 6),
                decoding(OffsetFetchResponse.self, 10), decoding(DescribeProducersResponse.self, 0),
            ]
            for decode in decoders {
                var buffer = ByteBuffer(bytes: bytes)
                _ = try? decode(&buffer)
            }
        }
    }

    @Test func unknownTaggedFieldIsSkipped() throws {
        // Compact bytes "" then one tagged field, tag 99, 2 bytes.
        var buffer = ByteBuffer(bytes: [0x01, 0x01, 0x63, 0x02, 0xaa, 0xbb])
        let request = try SaslAuthenticateRequest(from: &buffer, version: 2)
        #expect(request.authBytes == [])
        #expect(buffer.readableBytes == 0)
    }

    @Test func ignorableFieldIsDroppedSilently() throws {
        // RackId is ignorable and arrived in v11: older versions just leave it out.
        var buffer = ByteBuffer()
        try FetchRequest(rackId: "rack-a").encode(into: &buffer, version: 10)
        var plain = ByteBuffer()
        try FetchRequest().encode(into: &plain, version: 10)
        #expect(buffer == plain)
    }
}
