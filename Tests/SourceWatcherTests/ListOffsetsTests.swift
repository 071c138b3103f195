/// ListOffsets request and response against kafka-python's fixtures, every supported version,
/// both directions (decode + compare fields, encode + compare bytes).

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct ListOffsetsTests {
    @Test(arguments: ListOffsetsRequest.supportedVersions)
    func requestMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(ListOffsetsRequest.self, version: version)
    }

    @Test(arguments: ListOffsetsResponse.supportedVersions)
    func responseMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(ListOffsetsResponse.self, version: version)
    }
}
