/// What a broker said it speaks in ApiVersions, and the version choice for each request:
/// the highest version both sides support.
public struct BrokerAPIVersions: Sendable, Equatable {
    public let ranges: [Int16: ClosedRange<Int16>]

    public init(ranges: [Int16: ClosedRange<Int16>]) {
        self.ranges = ranges
    }

    init(_ response: ApiVersionsResponse) {
        var ranges: [Int16: ClosedRange<Int16>] = [:]
        for key in response.apiKeys where key.minVersion <= key.maxVersion {
            ranges[key.apiKey] = key.minVersion...key.maxVersion
        }
        self.ranges = ranges
    }

    public func supports(_ api: APIKey) -> Bool { ranges[api.rawValue] != nil }

    /// The version to use for `Request`, or `.unsupportedAPI` naming both ranges.
    public func negotiate<Request: KafkaRequest>(_ request: Request.Type, broker: BrokerAddress? = nil) throws(KafkaClientError) -> Int16 {
        let ours = Request.supportedVersions
        guard let theirs = ranges[Request.apiKey.rawValue] else {
            throw .unsupportedAPI(broker: broker ?? BrokerAddress(host: "?", port: 0), api: Request.apiKey, brokerVersions: nil, ourVersions: ours)
        }
        let high = min(ours.upperBound, theirs.upperBound)
        guard high >= max(ours.lowerBound, theirs.lowerBound) else {
            throw .unsupportedAPI(broker: broker ?? BrokerAddress(host: "?", port: 0), api: Request.apiKey, brokerVersions: theirs, ourVersions: ours)
        }
        return high
    }
}
