/// ApiVersions request and response against kafka-python's fixtures, every supported version,
/// both directions (decode + compare fields, encode + compare bytes).

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct ApiVersionsTests {
    @Test(arguments: ApiVersionsRequest.supportedVersions)
    func requestMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(ApiVersionsRequest.self, version: version)
    }

    @Test(arguments: ApiVersionsResponse.supportedVersions)
    func responseMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(ApiVersionsResponse.self, version: version)
    }
}

@Suite struct ApiVersionsFallbackTests {
    /// A broker too old for our ApiVersionsRequest v3 answers with a v0 body.
    @Test func errorBodyIsReadAsV0() throws {
        var buffer = ByteBuffer()
        let v0 = ApiVersionsResponse(
            errorCode: ApiVersionsResponse.unsupportedVersionErrorCode,
            apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 2)])
        try v0.encode(into: &buffer, version: 0)
        let (response, bodyVersion) = try ApiVersionsResponse.decodeAllowingV0Fallback(from: &buffer, version: 3)
        #expect(bodyVersion == 0)
        #expect(response == v0)
        #expect(buffer.readableBytes == 0)
    }

    @Test func successBodyKeepsItsVersion() throws {
        var buffer = ByteBuffer(bytes: try Fixtures.bytes("ApiVersionsResponse-v3"))
        let (_, bodyVersion) = try ApiVersionsResponse.decodeAllowingV0Fallback(from: &buffer, version: 3)
        #expect(bodyVersion == 3)
        #expect(buffer.readableBytes == 0)
    }
}
