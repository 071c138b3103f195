/// Kafka's numeric error codes, with names for the ones exporterd meets or reports.
/// Unknown codes keep their number (a newer broker may send codes we do not know).
public struct KafkaErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }
    public init(_ rawValue: Int16) { self.rawValue = rawValue }

    public static let none = KafkaErrorCode(0)
    public static let offsetOutOfRange = KafkaErrorCode(1)
    public static let corruptMessage = KafkaErrorCode(2)
    public static let unknownTopicOrPartition = KafkaErrorCode(3)
    public static let leaderNotAvailable = KafkaErrorCode(5)
    public static let notLeaderOrFollower = KafkaErrorCode(6)
    public static let requestTimedOut = KafkaErrorCode(7)
    public static let replicaNotAvailable = KafkaErrorCode(9)
    public static let coordinatorLoadInProgress = KafkaErrorCode(14)
    public static let coordinatorNotAvailable = KafkaErrorCode(15)
    public static let notCoordinator = KafkaErrorCode(16)
    public static let topicAuthorizationFailed = KafkaErrorCode(29)
    public static let groupAuthorizationFailed = KafkaErrorCode(30)
    public static let clusterAuthorizationFailed = KafkaErrorCode(31)
    public static let unsupportedSaslMechanism = KafkaErrorCode(33)
    public static let illegalSaslState = KafkaErrorCode(34)
    public static let unsupportedVersion = KafkaErrorCode(35)
    public static let saslAuthenticationFailed = KafkaErrorCode(58)
    public static let fencedLeaderEpoch = KafkaErrorCode(74)
    public static let unknownLeaderEpoch = KafkaErrorCode(75)
    public static let offsetNotAvailable = KafkaErrorCode(78)
    /// DescribeGroups on a group of the new consumer protocol (KIP-848), which only
    /// ConsumerGroupDescribe describes.
    public static let groupIdNotFound = KafkaErrorCode(69)
    public static let unstableOffsetCommit = KafkaErrorCode(88)

    /// Codes after which a fresh Metadata read may route the request correctly.
    public var callsForMetadataRefresh: Bool {
        [.unknownTopicOrPartition, .leaderNotAvailable, .notLeaderOrFollower, .replicaNotAvailable,
         .fencedLeaderEpoch, .unknownLeaderEpoch, .offsetNotAvailable].contains(self)
    }

    public var description: String {
        let names: [Int16: String] = [
            0: "NONE", 1: "OFFSET_OUT_OF_RANGE", 2: "CORRUPT_MESSAGE", 3: "UNKNOWN_TOPIC_OR_PARTITION",
            5: "LEADER_NOT_AVAILABLE", 6: "NOT_LEADER_OR_FOLLOWER", 7: "REQUEST_TIMED_OUT",
            9: "REPLICA_NOT_AVAILABLE", 14: "COORDINATOR_LOAD_IN_PROGRESS", 15: "COORDINATOR_NOT_AVAILABLE",
            16: "NOT_COORDINATOR", 29: "TOPIC_AUTHORIZATION_FAILED", 30: "GROUP_AUTHORIZATION_FAILED",
            31: "CLUSTER_AUTHORIZATION_FAILED", 33: "UNSUPPORTED_SASL_MECHANISM", 34: "ILLEGAL_SASL_STATE",
            35: "UNSUPPORTED_VERSION", 58: "SASL_AUTHENTICATION_FAILED", 74: "FENCED_LEADER_EPOCH",
            75: "UNKNOWN_LEADER_EPOCH", 78: "OFFSET_NOT_AVAILABLE", 69: "GROUP_ID_NOT_FOUND",
            88: "UNSTABLE_OFFSET_COMMIT",
        ]
        return "\(names[rawValue] ?? "ERROR") (\(rawValue))"
    }
}
