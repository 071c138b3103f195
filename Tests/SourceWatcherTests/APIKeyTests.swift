import Testing
@testable import SourceWatcher

@Suite struct APIKeyTests {
    /// The numbers are Kafka's (clients/src/main/resources/common/message/*.json "apiKey").
    @Test func wireNumbersMatchKafka() {
        #expect(APIKey.listOffsets.rawValue == 2)
        #expect(APIKey.apiVersions.rawValue == 18)
        #expect(APIKey.describeProducers.rawValue == 61)
        #expect(APIKey(rawValue: 99) == nil)
    }
}
