/// SaslHandshake request and response against kafka-python's fixtures, every supported version,
/// both directions (decode + compare fields, encode + compare bytes).

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct SaslHandshakeTests {
    @Test(arguments: SaslHandshakeRequest.supportedVersions)
    func requestMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(SaslHandshakeRequest.self, version: version)
    }

    @Test(arguments: SaslHandshakeResponse.supportedVersions)
    func responseMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(SaslHandshakeResponse.self, version: version)
    }
}
