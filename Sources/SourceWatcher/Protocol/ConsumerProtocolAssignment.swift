/// The assignment a "consumer" protocol group's leader hands each member, as DescribeGroups
/// returns it in `memberAssignment`: versions 0–3 of Kafka's ConsumerProtocolAssignment (an
/// int16 version, then topic → partitions, then user data). Newer versions may only append
/// fields (the schema's rule), so they are read with the v3 layout and their tail ignored.
/// User data (Kafka Streams' task map, a custom assignor's state) is kept as bytes, unread.
import NIOCore

public struct ConsumerProtocolAssignment: Sendable, Equatable {
    public struct AssignedTopic: Sendable, Equatable {
        public var topic: String
        public var partitions: [Int32]

        public init(topic: String, partitions: [Int32]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    /// The highest layout this decoder knows; every version up to it has the same fields.
    public static let knownVersions: ClosedRange<Int16> = 0...3

    public var version: Int16
    public var assignedPartitions: [AssignedTopic]
    public var userData: [UInt8]?

    public init(version: Int16, assignedPartitions: [AssignedTopic], userData: [UInt8]? = nil) {
        self.version = version
        self.assignedPartitions = assignedPartitions
        self.userData = userData
    }

    /// Decodes `bytes`; garbage throws, it never traps.
    public init(decoding bytes: [UInt8]) throws(ConsumerProtocolError) {
        var buffer = ByteBuffer(bytes: bytes)
        do {
            version = try buffer.readKafkaInteger(as: Int16.self, Self.message, "version")
        } catch {
            throw .codec(error)
        }
        guard version >= 0 else { throw .negativeVersion(version) }
        do {
            assignedPartitions = try Self.readTopics(from: &buffer)
            userData = try buffer.readKafkaBytes(compact: false, Self.message, "userData")
        } catch {
            throw .codec(error)
        }
        // A known version must end here: bytes left over mean we are not reading what we think.
        if Self.knownVersions.contains(version), buffer.readableBytes > 0 {
            throw .trailingBytes(version: version, count: buffer.readableBytes)
        }
    }

    /// Every assigned partition, in the order the assignment lists them.
    public var partitions: [TopicPartition] {
        assignedPartitions.flatMap { topic in topic.partitions.map { TopicPartition(topic: topic.topic, partition: $0) } }
    }

    /// The wire form (the fake broker's groups and the round-trip tests use it).
    public func encoded() throws(KafkaCodecError) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        try buffer.writeKafkaLength(assignedPartitions.count, compact: false, wide: true, Self.message, "assignedPartitions")
        for topic in assignedPartitions {
            try buffer.writeKafkaString(topic.topic, compact: false, Self.message, "topic")
            try buffer.writeKafkaLength(topic.partitions.count, compact: false, wide: true, Self.message, "partitions")
            for partition in topic.partitions { buffer.writeInteger(partition) }
        }
        try buffer.writeKafkaBytes(userData, compact: false, Self.message, "userData")
        return Array(buffer.readableBytesView)
    }

    private static let message = "ConsumerProtocolAssignment"

    private static func readTopics(from buffer: inout ByteBuffer) throws(KafkaCodecError) -> [AssignedTopic] {
        // minElementSize: a topic is at least its string length (2) and partition count (4).
        guard let count = try buffer.readKafkaLength(compact: false, wide: true, minElementSize: 6, message, "assignedPartitions") else {
            throw .unexpectedNull(message: message, field: "assignedPartitions")
        }
        var topics: [AssignedTopic] = []
        topics.reserveCapacity(count)
        for _ in 0..<count {
            guard let topic = try buffer.readKafkaString(compact: false, message, "topic") else {
                throw .unexpectedNull(message: message, field: "topic")
            }
            guard let partitionCount = try buffer.readKafkaLength(compact: false, wide: true, minElementSize: 4, message, "partitions") else {
                throw .unexpectedNull(message: message, field: "partitions")
            }
            var partitions: [Int32] = []
            partitions.reserveCapacity(partitionCount)
            for _ in 0..<partitionCount {
                partitions.append(try buffer.readKafkaInteger(as: Int32.self, message, "partitions"))
            }
            topics.append(AssignedTopic(topic: topic, partitions: partitions))
        }
        return topics
    }
}

/// Why a member's assignment bytes are not a consumer protocol assignment.
public enum ConsumerProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    case negativeVersion(Int16)
    /// A field does not decode (truncated, bad length, bad UTF-8, a null where none may be).
    case codec(KafkaCodecError)
    /// A version this decoder knows in full, followed by bytes it does not account for.
    case trailingBytes(version: Int16, count: Int)

    public var description: String {
        switch self {
        case .negativeVersion(let version): "consumer protocol assignment with negative version \(version)"
        case .codec(let error): "consumer protocol assignment does not decode: \(error)"
        case .trailingBytes(let version, let count): "consumer protocol assignment v\(version) has \(count) bytes after its last field"
        }
    }
}
