/// SaslAuthenticate request and response against kafka-python's fixtures, every supported version,
/// both directions (decode + compare fields, encode + compare bytes).

import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct SaslAuthenticateTests {
    @Test(arguments: SaslAuthenticateRequest.supportedVersions)
    func requestMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(SaslAuthenticateRequest.self, version: version)
    }

    @Test(arguments: SaslAuthenticateResponse.supportedVersions)
    func responseMatchesKafkaPython(version: Int16) throws {
        try Fixtures.check(SaslAuthenticateResponse.self, version: version)
    }
}
