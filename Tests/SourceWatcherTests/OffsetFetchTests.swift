/// OffsetFetch request and response against kafka-python's fixtures, every supported version,
/// both directions (decode + compare fields, encode + compare bytes).

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct OffsetFetchTests {
    @Test(arguments: OffsetFetchRequest.supportedVersions)
    func requestMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(OffsetFetchRequest.self, version: version)
    }

    @Test(arguments: OffsetFetchResponse.supportedVersions)
    func responseMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(OffsetFetchResponse.self, version: version)
    }
}
