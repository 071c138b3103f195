/// What the fake broker can do with a request, and what it remembers having received.
/// Tests script misbehaviour with these values; the broker's channel handler performs them.
import NIOCore
import SourceWatcher

/// A response body the fake can encode at the request's version. The generated codecs already
/// have `encode(into:version:)`; the conformances below only name that for the fake.
public protocol FakeResponseBody: Sendable {
    func encode(into buffer: inout ByteBuffer, version: Int16) throws(KafkaCodecError)
}

extension ApiVersionsResponse: FakeResponseBody {}
extension MetadataResponse: FakeResponseBody {}
extension ListOffsetsResponse: FakeResponseBody {}
extension DescribeProducersResponse: FakeResponseBody {}
extension ListGroupsResponse: FakeResponseBody {}
extension FindCoordinatorResponse: FakeResponseBody {}
extension DescribeGroupsResponse: FakeResponseBody {}
extension OffsetFetchResponse: FakeResponseBody {}

/// One scripted reaction to one request.
public indirect enum FakeReply: Sendable {
    /// Encode at the request's version, behind the right response header.
    case response(any FakeResponseBody)
    /// Like `.response` but stamped with another correlation id (an out-of-step broker).
    case responseWithCorrelationID(any FakeResponseBody, Int32)
    /// Bytes written as they are, no framing: garbage, a half frame, an HTTP page.
    case raw(ByteBuffer)
    /// Wait, then do `reply` (out-of-order answers, slow brokers).
    case delayed(TimeAmount, FakeReply)
    /// Never answer.
    case hang
    /// Close the connection instead of answering.
    case close
    /// What a broker older than the request's ApiVersions version sends: UNSUPPORTED_VERSION in
    /// the v0 layout, listing only the ApiVersions range it does speak.
    case unsupportedApiVersions(ClosedRange<Int16>)

    public static func raw(_ text: String) -> FakeReply {
        .raw(ByteBuffer(string: text))
    }
}

/// A request body decoded with our codecs, so tests assert on fields, not bytes.
public enum DecodedRequest: Sendable {
    case apiVersions(ApiVersionsRequest)
    case metadata(MetadataRequest)
    case listOffsets(ListOffsetsRequest)
    case describeProducers(DescribeProducersRequest)
    case listGroups(ListGroupsRequest)
    case findCoordinator(FindCoordinatorRequest)
    case describeGroups(DescribeGroupsRequest)
    case offsetFetch(OffsetFetchRequest)
    /// An API the fake has no codec for, or a body our codec rejected (the reason).
    case undecodable(String)

    public init(api: APIKey, version: Int16, body: ByteBuffer) {
        var body = body
        do {
            switch api {
            case .apiVersions: self = .apiVersions(try ApiVersionsRequest(from: &body, version: version))
            case .metadata: self = .metadata(try MetadataRequest(from: &body, version: version))
            case .listOffsets: self = .listOffsets(try ListOffsetsRequest(from: &body, version: version))
            case .describeProducers: self = .describeProducers(try DescribeProducersRequest(from: &body, version: version))
            case .listGroups: self = .listGroups(try ListGroupsRequest(from: &body, version: version))
            case .findCoordinator: self = .findCoordinator(try FindCoordinatorRequest(from: &body, version: version))
            case .describeGroups: self = .describeGroups(try DescribeGroupsRequest(from: &body, version: version))
            case .offsetFetch: self = .offsetFetch(try OffsetFetchRequest(from: &body, version: version))
            default: self = .undecodable("no fake codec for \(api)")
            }
        } catch {
            self = .undecodable("\(error)")
        }
    }
}

/// A request as the fake received it.
public struct ReceivedRequest: Sendable {
    public let header: RequestHeader
    public let api: APIKey
    public let body: ByteBuffer
    public let decoded: DecodedRequest

    public var version: Int16 { header.apiVersion }

    public var metadata: MetadataRequest? {
        if case .metadata(let request) = decoded { request } else { nil }
    }

    public var listOffsets: ListOffsetsRequest? {
        if case .listOffsets(let request) = decoded { request } else { nil }
    }

    public var describeProducers: DescribeProducersRequest? {
        if case .describeProducers(let request) = decoded { request } else { nil }
    }

    public var findCoordinator: FindCoordinatorRequest? {
        if case .findCoordinator(let request) = decoded { request } else { nil }
    }

    public var describeGroups: DescribeGroupsRequest? {
        if case .describeGroups(let request) = decoded { request } else { nil }
    }

    public var offsetFetch: OffsetFetchRequest? {
        if case .offsetFetch(let request) = decoded { request } else { nil }
    }

    /// The group keys a FindCoordinator request asked about (v4+ batched, else its one key).
    public var coordinatorKeys: [String] {
        guard let request = findCoordinator else { return [] }
        return version >= 4 ? request.coordinatorKeys : [request.key]
    }

    /// The groups an OffsetFetch request asked about (v8+ batched, else its one group).
    public var offsetFetchGroups: [String] {
        guard let request = offsetFetch else { return [] }
        return version >= 8 ? request.groups.map(\.groupId) : [request.groupId]
    }

    /// The partitions a ListOffsets request asked about, with the timestamp asked for each.
    public var listOffsetsPartitions: [TopicPartition: Int64] {
        var asked: [TopicPartition: Int64] = [:]
        for topic in listOffsets?.topics ?? [] {
            for partition in topic.partitions {
                asked[TopicPartition(topic: topic.name, partition: partition.partitionIndex)] = partition.timestamp
            }
        }
        return asked
    }
}
