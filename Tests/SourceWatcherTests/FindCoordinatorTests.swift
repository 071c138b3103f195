/// FindCoordinator request and response against kafka-python's fixtures, every supported version,
/// both directions (decode + compare fields, encode + compare bytes).

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct FindCoordinatorTests {
    @Test(arguments: FindCoordinatorRequest.supportedVersions)
    func requestMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(FindCoordinatorRequest.self, version: version)
    }

    @Test(arguments: FindCoordinatorResponse.supportedVersions)
    func responseMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(FindCoordinatorResponse.self, version: version)
    }
}
