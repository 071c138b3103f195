/// `BrokerAPIVersions.negotiate`: the highest common version, and typed refusals that name
/// both sides' ranges.
import Testing
@testable import SourceWatcher

@Suite struct BrokerAPIVersionsTests {
    private let broker = BrokerAddress(host: "kafka-1", port: 9092)

    @Test func picksTheHighestVersionBothSpeak() throws {
        let theirs = BrokerAPIVersions(ranges: [
            APIKey.metadata.rawValue: 0...5,     // below ours: theirs wins
            APIKey.listOffsets.rawValue: 0...99, // above ours: ours wins
        ])
        #expect(try theirs.negotiate(MetadataRequest.self, broker: broker) == 5)
        #expect(try theirs.negotiate(ListOffsetsRequest.self, broker: broker) == ListOffsetsRequest.supportedVersions.upperBound)
    }

    @Test func aSingleCommonVersionIsEnough() throws {
        // ListOffsets: ours start at 1.
        let theirs = BrokerAPIVersions(ranges: [APIKey.listOffsets.rawValue: 0...1])
        #expect(try theirs.negotiate(ListOffsetsRequest.self, broker: broker) == 1)
    }

    @Test func missingAPIIsUnsupportedWithoutABrokerRange() {
        let theirs = BrokerAPIVersions(ranges: [APIKey.metadata.rawValue: 0...12])
        #expect(!theirs.supports(.describeProducers))
        #expect(throws: KafkaClientError.unsupportedAPI(broker: broker, api: .describeProducers, brokerVersions: nil,
                                                         ourVersions: DescribeProducersRequest.supportedVersions)) {
            try theirs.negotiate(DescribeProducersRequest.self, broker: broker)
        }
    }

    @Test func noOverlapNamesBothRanges() {
        let below = BrokerAPIVersions(ranges: [APIKey.listOffsets.rawValue: 0...0])
        #expect(throws: KafkaClientError.unsupportedAPI(broker: broker, api: .listOffsets, brokerVersions: 0...0,
                                                         ourVersions: ListOffsetsRequest.supportedVersions)) {
            try below.negotiate(ListOffsetsRequest.self, broker: broker)
        }
        let above = BrokerAPIVersions(ranges: [APIKey.metadata.rawValue: 14...20])
        let error = #expect(throws: KafkaClientError.self) { try above.negotiate(MetadataRequest.self, broker: broker) }
        #expect(error == .unsupportedAPI(broker: broker, api: .metadata, brokerVersions: 14...20, ourVersions: MetadataRequest.supportedVersions))
        #expect(error?.description.contains("v14-20") == true)
    }

    @Test func invertedBrokerRangesAreIgnored() {
        let response = ApiVersionsResponse(apiKeys: [
            .init(apiKey: APIKey.metadata.rawValue, minVersion: 5, maxVersion: 2),
            .init(apiKey: APIKey.listOffsets.rawValue, minVersion: 0, maxVersion: 7),
        ])
        let versions = BrokerAPIVersions(response)
        #expect(!versions.supports(.metadata))
        #expect(versions.ranges == [APIKey.listOffsets.rawValue: 0...7])
    }
}
