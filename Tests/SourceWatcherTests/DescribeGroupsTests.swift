/// DescribeGroups request and response against kafka-python's fixtures, every supported version,
/// both directions (decode + compare fields, encode + compare bytes).

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct DescribeGroupsTests {
    @Test(arguments: DescribeGroupsRequest.supportedVersions)
    func requestMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(DescribeGroupsRequest.self, version: version)
    }

    @Test(arguments: DescribeGroupsResponse.supportedVersions)
    func responseMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(DescribeGroupsResponse.self, version: version)
    }
}
