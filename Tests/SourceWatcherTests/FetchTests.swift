/// Fetch request and response against kafka-python's fixtures, every supported version,
/// both directions (decode + compare fields, encode + compare bytes).

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct FetchTests {
    @Test(arguments: FetchRequest.supportedVersions)
    func requestMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(FetchRequest.self, version: version)
    }

    @Test(arguments: FetchResponse.supportedVersions)
    func responseMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(FetchResponse.self, version: version)
    }
}
