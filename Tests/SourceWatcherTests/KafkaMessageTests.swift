/// Request/response headers against kafka-python's bytes, and which header version each
/// response uses.

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct KafkaMessageTests {
    @Test(arguments: [("RequestHeader-v1", false, "exporterd-ü"), ("RequestHeader-v2", true, "exporterd-ü"),
                      ("RequestHeader-v1-nullClientId", false, nil)] as [(String, Bool, String?)])
    func requestHeaderMatchesKafkaPython(key: String, flexible: Bool, clientId: String?) throws {
        let header = RequestHeader(apiKey: 3, apiVersion: 12, correlationId: -7, clientId: clientId)
        var encoded = ByteBuffer()
        header.encode(into: &encoded, flexible: flexible)
        let expected = try Fixtures.bytes(key)
        #expect(Array(encoded.readableBytesView) == expected)

        var buffer = ByteBuffer(bytes: expected)
        #expect(try RequestHeader.decode(from: &buffer, flexible: flexible) == header)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [("ResponseHeader-v0", false), ("ResponseHeader-v1", true)])
    func responseHeaderMatchesKafkaPython(key: String, flexible: Bool) throws {
        var buffer = ByteBuffer(bytes: try Fixtures.bytes(key))
        #expect(try ResponseHeader.decode(from: &buffer, flexible: flexible) == ResponseHeader(correlationId: .max))
        #expect(buffer.readableBytes == 0)

        var encoded = ByteBuffer()
        ResponseHeader(correlationId: .max).encode(into: &encoded, flexible: flexible)
        #expect(Array(encoded.readableBytesView) == (try Fixtures.bytes(key)))
    }

    /// A whole request as the connection will write it (header + body, no length prefix).
    @Test func requestWithHeaderMatchesKafkaPython() throws {
        let version: Int16 = 12
        var buffer = ByteBuffer()
        RequestHeader(apiKey: MetadataRequest.apiKey.rawValue, apiVersion: version, correlationId: 42, clientId: "exporterd")
            .encode(into: &buffer, flexible: requestHeaderIsFlexible(apiKey: .metadata, version: version))
        try MetadataRequest(topics: [], allowAutoTopicCreation: false).encode(into: &buffer, version: version)
        #expect(Array(buffer.readableBytesView) == (try Fixtures.bytes("MetadataRequest-v12-withHeader")))
    }

    @Test func apiVersionsResponsesAlwaysUseHeaderV0() {
        for version in ApiVersionsResponse.supportedVersions {
            #expect(!responseHeaderIsFlexible(apiKey: .apiVersions, version: version))
        }
        #expect(requestHeaderIsFlexible(apiKey: .apiVersions, version: 3))
        #expect(responseHeaderIsFlexible(apiKey: .metadata, version: 9))
        #expect(!responseHeaderIsFlexible(apiKey: .metadata, version: 8))
        #expect(!responseHeaderIsFlexible(apiKey: .saslHandshake, version: 1))
    }

    @Test func unsupportedVersionsAreRefusedBothWays() {
        var buffer = ByteBuffer()
        #expect(throws: KafkaCodecError.unsupportedVersion(api: .fetch, version: 13)) {
            try FetchRequest().encode(into: &buffer, version: 13)
        }
        #expect(throws: KafkaCodecError.unsupportedVersion(api: .listOffsets, version: 0)) {
            try ListOffsetsResponse(from: &buffer, version: 0)
        }
    }
}
