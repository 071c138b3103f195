/// How a connection authenticates with SASL: the mechanism and the resolved credentials
/// (read from env vars by the config), and the typed failure of an authentication. The
/// password never appears in a description, a debug description or a mirror, so neither a
/// log line nor an error message can carry it.

/// The SASL mechanisms exporterd speaks, by their Kafka (IANA) names.
public enum SaslMechanism: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case plain = "PLAIN"
    case scramSHA256 = "SCRAM-SHA-256"
    case scramSHA512 = "SCRAM-SHA-512"

    public var description: String { rawValue }
}

public struct SaslSettings: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// "source" or "destination": named in every authentication error.
    public var cluster: String
    public var mechanism: SaslMechanism
    public var username: String
    public var password: String

    public init(cluster: String, mechanism: SaslMechanism, username: String, password: String) {
        self.cluster = cluster
        self.mechanism = mechanism
        self.username = username
        self.password = password
    }

    public var description: String { "SASL \(mechanism) for the \(cluster) cluster (password redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["cluster": cluster, "mechanism": mechanism, "password": "<redacted>"])
    }
}

/// A failed SASL authentication: which cluster, broker and mechanism, and why. Carries no
/// credential, so it can be logged and shown by `check` as it is.
public struct SaslError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// SaslHandshake: the broker does not enable our mechanism (its list).
        case mechanismNotEnabled(brokerMechanisms: [String])
        /// SaslHandshake or SaslAuthenticate v0 unavailable: we need the KIP-152 framing.
        case handshakeUnsupported
        /// The broker refused: wrong username or password, or another broker-side error.
        case rejected(code: KafkaErrorCode, message: String?)
        case scram(ScramError)

        public var description: String {
            switch self {
            case .mechanismNotEnabled(let theirs):
                "the broker does not enable it (enabled: \(theirs.isEmpty ? "none" : theirs.joined(separator: ", ")))"
            case .handshakeUnsupported:
                "the broker does not speak SaslHandshake v1 and SaslAuthenticate"
            case .rejected(let code, let message):
                if let message, !message.isEmpty { "the broker refused the credentials (\(code): \(message))" }
                else { "the broker refused the credentials (\(code))" }
            case .scram(let error): "\(error)"
            }
        }
    }

    public var cluster: String
    public var broker: BrokerAddress
    public var mechanism: SaslMechanism
    public var reason: Reason

    public init(cluster: String, broker: BrokerAddress, mechanism: SaslMechanism, reason: Reason) {
        self.cluster = cluster
        self.broker = broker
        self.mechanism = mechanism
        self.reason = reason
    }

    public var description: String {
        "SASL \(mechanism) authentication to the \(cluster) cluster (broker \(broker)) failed: \(reason)"
    }
}
