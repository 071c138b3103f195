/// ListGroups request and response against kafka-python's fixtures, every supported version,
/// both directions (decode + compare fields, encode + compare bytes).

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct ListGroupsTests {
    @Test(arguments: ListGroupsRequest.supportedVersions)
    func requestMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(ListGroupsRequest.self, version: version)
    }

    @Test(arguments: ListGroupsResponse.supportedVersions)
    func responseMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(ListGroupsResponse.self, version: version)
    }
}
