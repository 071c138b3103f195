/// The contract between generated message codecs and the connection layer: the request and
/// response protocols, the request/response headers, and which header version a response uses.

import NIOCore

public protocol KafkaRequest: Sendable {
    associatedtype Response: KafkaResponse
    static var apiKey: APIKey { get }
    /// The versions this codec encodes and decodes.
    static var supportedVersions: ClosedRange<Int16> { get }
    static func isFlexible(_ version: Int16) -> Bool
    /// Writes the body only; the header and the length prefix belong to the caller.
    func encode(into buffer: inout ByteBuffer, version: Int16) throws(KafkaCodecError)
}

public protocol KafkaResponse: Sendable {
    static func isFlexible(_ version: Int16) -> Bool
    /// Reads the body only; the response header has already been consumed.
    init(from buffer: inout ByteBuffer, version: Int16) throws(KafkaCodecError)
}

/// Both directions of one message body, which every generated request and response
/// offers: the client encodes requests and decodes responses, the fake broker the reverse.
public protocol KafkaMessageCodec: Sendable, Equatable {
    static var supportedVersions: ClosedRange<Int16> { get }
    static func isFlexible(_ version: Int16) -> Bool
    init(from buffer: inout ByteBuffer, version: Int16) throws(KafkaCodecError)
    func encode(into buffer: inout ByteBuffer, version: Int16) throws(KafkaCodecError)
}

/// Request header v1 (non-flexible) or v2 (flexible: adds an empty tagged-field section).
/// The client id stays a classic int16 string even in v2 (its flexibleVersions is "none").
public struct RequestHeader: Sendable, Equatable {
    public var apiKey: Int16
    public var apiVersion: Int16
    public var correlationId: Int32
    public var clientId: String?

    public init(apiKey: Int16, apiVersion: Int16, correlationId: Int32, clientId: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.clientId = clientId
    }

    public func encode(into buffer: inout ByteBuffer, flexible: Bool) {
        buffer.writeInteger(apiKey)
        buffer.writeInteger(apiVersion)
        buffer.writeInteger(correlationId)
        // An int16 length cannot frame more than 32767 bytes; such a client id is sent as null.
        if let clientId, let length = Int16(exactly: clientId.utf8.count) {
            buffer.writeInteger(length)
            buffer.writeString(clientId)
        } else {
            buffer.writeInteger(Int16(-1))
        }
        if flexible { buffer.writeUnsignedVarint(0) }
    }

    /// For the fake broker: reads a header written by `encode`, skipping any tagged fields.
    public static func decode(from buffer: inout ByteBuffer, flexible: Bool) throws(KafkaCodecError) -> RequestHeader {
        let apiKey = try buffer.readKafkaInteger(as: Int16.self, "RequestHeader", "apiKey")
        let apiVersion = try buffer.readKafkaInteger(as: Int16.self, "RequestHeader", "apiVersion")
        let correlationId = try buffer.readKafkaInteger(as: Int32.self, "RequestHeader", "correlationId")
        let clientId = try buffer.readKafkaString(compact: false, "RequestHeader", "clientId")
        if flexible { try skipTaggedFields(&buffer, "RequestHeader") }
        return RequestHeader(apiKey: apiKey, apiVersion: apiVersion, correlationId: correlationId, clientId: clientId)
    }
}

/// Response header v0 (correlation id) or v1 (plus tagged fields, all skipped).
public struct ResponseHeader: Sendable, Equatable {
    public var correlationId: Int32

    public init(correlationId: Int32) {
        self.correlationId = correlationId
    }

    public static func decode(from buffer: inout ByteBuffer, flexible: Bool) throws(KafkaCodecError) -> ResponseHeader {
        let correlationId = try buffer.readKafkaInteger(as: Int32.self, "ResponseHeader", "correlationId")
        if flexible { try skipTaggedFields(&buffer, "ResponseHeader") }
        return ResponseHeader(correlationId: correlationId)
    }

    public func encode(into buffer: inout ByteBuffer, flexible: Bool) {
        buffer.writeInteger(correlationId)
        if flexible { buffer.writeUnsignedVarint(0) }
    }
}

/// Whether a response to `apiKey` at `version` carries header v1. ApiVersions responses
/// always use header v0 so a client can parse them before it knows what the broker speaks.
public func responseHeaderIsFlexible(apiKey: APIKey, version: Int16) -> Bool {
    switch apiKey {
    case .apiVersions: false
    case .produce: version >= 9  // ProduceResponse.json flexibleVersions "9+"; no codec here yet.
    case .fetch: FetchResponse.isFlexible(version)
    case .listOffsets: ListOffsetsResponse.isFlexible(version)
    case .metadata: MetadataResponse.isFlexible(version)
    case .offsetFetch: OffsetFetchResponse.isFlexible(version)
    case .findCoordinator: FindCoordinatorResponse.isFlexible(version)
    case .describeGroups: DescribeGroupsResponse.isFlexible(version)
    case .listGroups: ListGroupsResponse.isFlexible(version)
    case .saslHandshake: SaslHandshakeResponse.isFlexible(version)
    case .saslAuthenticate: SaslAuthenticateResponse.isFlexible(version)
    case .describeProducers: DescribeProducersResponse.isFlexible(version)
    }
}

/// Whether a request to `apiKey` at `version` uses request header v2.
public func requestHeaderIsFlexible(apiKey: APIKey, version: Int16) -> Bool {
    switch apiKey {
    case .produce: version >= 9
    case .apiVersions: ApiVersionsRequest.isFlexible(version)
    case .fetch: FetchRequest.isFlexible(version)
    case .listOffsets: ListOffsetsRequest.isFlexible(version)
    case .metadata: MetadataRequest.isFlexible(version)
    case .offsetFetch: OffsetFetchRequest.isFlexible(version)
    case .findCoordinator: FindCoordinatorRequest.isFlexible(version)
    case .describeGroups: DescribeGroupsRequest.isFlexible(version)
    case .listGroups: ListGroupsRequest.isFlexible(version)
    case .saslHandshake: SaslHandshakeRequest.isFlexible(version)
    case .saslAuthenticate: SaslAuthenticateRequest.isFlexible(version)
    case .describeProducers: DescribeProducersRequest.isFlexible(version)
    }
}

/// Reads and discards a whole tagged-field section.
func skipTaggedFields(_ buffer: inout ByteBuffer, _ message: String) throws(KafkaCodecError) {
    let count = try buffer.readTaggedFieldCount(message)
    for _ in 0..<count { _ = try buffer.readTaggedField(message) }
}
