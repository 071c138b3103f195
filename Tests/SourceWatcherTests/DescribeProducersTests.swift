/// DescribeProducers request and response against kafka-python's fixtures, every supported version,
/// both directions (decode + compare fields, encode + compare bytes).

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct DescribeProducersTests {
    @Test(arguments: DescribeProducersRequest.supportedVersions)
    func requestMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(DescribeProducersRequest.self, version: version)
    }

    @Test(arguments: DescribeProducersResponse.supportedVersions)
    func responseMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(DescribeProducersResponse.self, version: version)
    }
}
