/// The one response whose body version can differ from the request's: a broker that does
/// not know the ApiVersionsRequest version answers with a v0 body and UNSUPPORTED_VERSION,
/// so the client can retry with a version from that v0 list (KIP-511; the Java client and
/// kafka-python both decode it this way).

import NIOCore

extension ApiVersionsResponse {
    /// Kafka's UNSUPPORTED_VERSION error code.
    public static let unsupportedVersionErrorCode: Int16 = 35

    /// Decodes at `version`, or at v0 when the body starts with a non-zero error code.
    /// Returns the response and the version its body was decoded at.
    public static func decodeAllowingV0Fallback(
        from buffer: inout ByteBuffer, version: Int16
    ) throws(KafkaCodecError) -> (response: ApiVersionsResponse, bodyVersion: Int16) {
        let errorCode = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int16.self)
        let bodyVersion: Int16 = (errorCode ?? 0) != 0 ? 0 : version
        return (try ApiVersionsResponse(from: &buffer, version: bodyVersion), bodyVersion)
    }
}
