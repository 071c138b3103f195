/// Metadata request and response against kafka-python's fixtures, every supported version,
/// both directions (decode + compare fields, encode + compare bytes).

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct MetadataTests {
    @Test(arguments: MetadataRequest.supportedVersions)
    func requestMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(MetadataRequest.self, version: version)
    }

    @Test(arguments: MetadataResponse.supportedVersions)
    func responseMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(MetadataResponse.self, version: version)
    }
}
