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
