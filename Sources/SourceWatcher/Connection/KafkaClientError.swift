/// Everything that can go wrong talking to a cluster, with the broker and API it happened on,
/// so a log line or a `check` report says where to look.
public enum KafkaClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case connectFailed(broker: BrokerAddress, reason: String)
    /// TCP connected but TLS failed: the certificate, the hostname or the client certificate.
    case tls(cluster: String, broker: BrokerAddress, TLSFailure)
    case connectionClosed(broker: BrokerAddress)
    case requestTimedOut(broker: BrokerAddress, api: APIKey, timeout: Duration)
    /// The last connect attempt failed and the backoff has not expired: fail fast, do not
    /// hammer a broker that is down.
    case backingOff(broker: BrokerAddress, lastError: String)
    case framing(broker: BrokerAddress, KafkaFrameError)
    case codec(broker: BrokerAddress, api: APIKey, KafkaCodecError)
    case protocolViolation(broker: BrokerAddress, detail: String)
    /// The broker does not offer the API at all, or no version both sides speak.
    case unsupportedAPI(broker: BrokerAddress, api: APIKey, brokerVersions: ClosedRange<Int16>?, ourVersions: ClosedRange<Int16>)
    /// A top-level error code in a response (partition-level codes are reported per partition).
    case brokerError(broker: BrokerAddress, api: APIKey, code: KafkaErrorCode)
    case noBrokerAvailable(cluster: String, lastError: String)
    case unknownLeader(topic: String, partition: Int32, leaderID: Int32)
    case topicNotFound(cluster: String, topic: String)
    /// A Fetch answer whose record bytes do not decode.
    case records(broker: BrokerAddress, partition: TopicPartition, RecordBatchError)
    /// SASL authentication failed: names cluster, broker and mechanism, never the secret.
    case authentication(SaslError)

    public var description: String {
        switch self {
        case .connectFailed(let broker, let reason): "cannot connect to \(broker): \(reason)"
        case .tls(let cluster, let broker, let failure): "TLS to \(broker) of the \(cluster) cluster failed: \(failure)"
        case .connectionClosed(let broker): "connection to \(broker) closed"
        case .requestTimedOut(let broker, let api, let timeout): "\(api) request to \(broker) timed out after \(Self.milliseconds(timeout)) ms"
        case .backingOff(let broker, let lastError): "\(broker) is backing off after: \(lastError)"
        case .framing(let broker, let error): "\(broker): \(error)"
        case .codec(let broker, let api, let error): "\(broker): cannot decode \(api): \(error)"
        case .protocolViolation(let broker, let detail): "\(broker): protocol violation: \(detail)"
        case .unsupportedAPI(let broker, let api, let brokerVersions, let ours):
            if let brokerVersions {
                "\(broker) supports \(api) v\(brokerVersions.lowerBound)-\(brokerVersions.upperBound), exporterd needs v\(ours.lowerBound)-\(ours.upperBound)"
            } else {
                "\(broker) does not support \(api)"
            }
        case .brokerError(let broker, let api, let code): "\(broker) answered \(api) with \(code)"
        case .noBrokerAvailable(let cluster, let lastError): "no broker of the \(cluster) cluster answered (last error: \(lastError))"
        case .unknownLeader(let topic, let partition, let leaderID): "\(topic)/\(partition): leader \(leaderID) is not in the broker list"
        case .topicNotFound(let cluster, let topic): "topic \(topic) does not exist on the \(cluster) cluster"
        case .records(let broker, let partition, let error): "\(broker): records of \(partition) do not decode: \(error)"
        case .authentication(let error): "\(error)"
        }
    }

    /// Whole milliseconds, rounded: a deadline's remainder (0.299890828 s) reads as the 300 ms
    /// that was configured.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds.multipliedReportingOverflow(by: 1000).overflow
            ? .max : seconds * 1000 + Int64((Double(attoseconds) / 1e15).rounded())
    }
}
