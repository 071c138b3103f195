/// The typed errors of the Kafka codec. Every case names the message and field being read
/// or written, so a bad frame from a broker can be reported without a hex dump.

public enum KafkaCodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes remain than the field needs.
    case truncated(message: String, field: String, needed: Int, available: Int)
    /// A length or count is negative (other than the null marker) or larger than what remains.
    case invalidLength(message: String, field: String, length: Int)
    /// A string's bytes are not valid UTF-8.
    case invalidUTF8(message: String, field: String)
    /// A null arrived (or is being written) where this version does not allow one.
    case unexpectedNull(message: String, field: String)
    /// The codec does not know this version of the API.
    case unsupportedVersion(api: APIKey, version: Int16)
    /// A non-ignorable field holds a non-default value that this version cannot carry (Kafka's rule).
    case fieldNotInVersion(message: String, field: String, version: Int16)
    /// A varint kept its continuation bit past 5 (32-bit) or 10 (64-bit) bytes.
    case varintTooLong(message: String, field: String)

    /// The case without its context, for matching in tests and metrics labels.
    public enum Kind: String, Sendable {
        case truncated, invalidLength, invalidUTF8, unexpectedNull
        case unsupportedVersion, fieldNotInVersion, varintTooLong
    }

    public var kind: Kind {
        switch self {
        case .truncated: .truncated
        case .invalidLength: .invalidLength
        case .invalidUTF8: .invalidUTF8
        case .unexpectedNull: .unexpectedNull
        case .unsupportedVersion: .unsupportedVersion
        case .fieldNotInVersion: .fieldNotInVersion
        case .varintTooLong: .varintTooLong
        }
    }

    public var description: String {
        switch self {
        case let .truncated(message, field, needed, available):
            "\(message).\(field): truncated, needed \(needed) bytes, \(available) available"
        case let .invalidLength(message, field, length):
            "\(message).\(field): invalid length \(length)"
        case let .invalidUTF8(message, field):
            "\(message).\(field): invalid UTF-8"
        case let .unexpectedNull(message, field):
            "\(message).\(field): null not allowed in this version"
        case let .unsupportedVersion(api, version):
            "\(api) v\(version) is not supported by this codec"
        case let .fieldNotInVersion(message, field, version):
            "\(message).\(field): non-default value cannot be sent in v\(version)"
        case let .varintTooLong(message, field):
            "\(message).\(field): varint too long"
        }
    }
}
