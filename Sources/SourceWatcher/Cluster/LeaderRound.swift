/// The per-leader round every per-partition read shares (ListOffsets, DescribeProducers, and
/// next the group APIs): partitions grouped by leader, one exchange per leader, all leaders
/// at once; partitions whose leader moved or went away retried once after one metadata
/// refresh; everything within one `ReadDeadline`; one completeness rule (`TopicAnswers`);
/// and per topic the wall-clock send time of the first request it needed and the receive
/// time of the last answer it needed (CONTRACT §5 needs both ends of a source read).
import struct Foundation.Date

/// One topic's answers in a round: per partition a value or why not.
public struct TopicAnswers<Value: Sendable>: Sendable {
    /// Partitions the metadata lists for the topic; nil when the topic itself is unavailable.
    public var partitionCount: Int?
    public var partitions: [Int32: Value] = [:]
    public var failures: [Int32: PartitionFailure] = [:]
    /// Why the whole topic has no answer (missing on the cluster, metadata unreadable).
    public var topicFailure: KafkaClientError?
    /// Wall time the first request this topic's answer needed was sent (the metadata refresh
    /// when the read needed one): whatever the broker read, it read it after this.
    public var requestedAt: Date?
    /// Wall time the last answer its partitions needed came back (the retry's, when there was
    /// one): whatever the broker read, it read it before this.
    public var answeredAt: Date?

    public init(partitionCount: Int?, topicFailure: KafkaClientError? = nil) {
        self.partitionCount = partitionCount
        self.topicFailure = topicFailure
    }

    /// Every partition the metadata lists answered (kminion's rule): a sum or a diagnostic
    /// over a partial answer would lie.
    public var isComplete: Bool {
        guard let partitionCount, topicFailure == nil else { return false }
        return failures.isEmpty && partitions.count == partitionCount
    }
}

/// One partition in a leader's response: a value, or the error code it answered instead.
enum PartitionAnswer<Value: Sendable>: Sendable {
    case answered(Value)
    case refused(KafkaErrorCode)
}

/// What one leader's exchange gave for the partitions it was asked about.
struct LeaderReply<Value: Sendable>: Sendable {
    var values: [TopicPartition: Value] = [:]
    var failures: [TopicPartition: PartitionFailure] = [:]
    var errors: [KafkaClientError] = []
    /// The leader does not offer the API: nothing failed, the read cannot be made there.
    var unsupported: BrokerAddress?
    /// The first send and last receive of the exchange (it may take several requests).
    var exchange: Exchange?

    init(exchange: Exchange? = nil) {
        self.exchange = exchange
    }

    /// Fails every partition with the exchange's error.
    init(failing partitions: [TopicPartition], with error: KafkaClientError, exchange: Exchange?) {
        self.exchange = exchange
        errors = [error]
        for partition in partitions { failures[partition] = .request(error) }
    }

    /// Records per-partition results of a response; partitions it left out are `missingFromAnswer`.
    mutating func take(_ answers: [(TopicPartition, PartitionAnswer<Value>)], asked partitions: [TopicPartition]) {
        let asked = Set(partitions)
        for (partition, answer) in answers where asked.contains(partition) {
            switch answer {
            case .answered(let value): values[partition] = value
            case .refused(let code): failures[partition] = .broker(code)
            }
        }
        for partition in partitions where values[partition] == nil && failures[partition] == nil {
            failures[partition] = .missingFromAnswer
        }
    }
}

/// A round's merged answer, partition by partition.
struct RoundAnswers<Value: Sendable>: Sendable {
    var values: [TopicPartition: Value] = [:]
    var failures: [TopicPartition: PartitionFailure] = [:]
    var errors: [KafkaClientError] = []
    var unsupported: [BrokerAddress] = []
    /// Per partition: the earliest send and latest receive of the exchanges it needed.
    var exchanges: [TopicPartition: Exchange] = [:]

    mutating func merge(_ reply: LeaderReply<Value>, asked partitions: [TopicPartition]) {
        for (partition, value) in reply.values {
            values[partition] = value
            failures.removeValue(forKey: partition)
        }
        for (partition, failure) in reply.failures where values[partition] == nil {
            failures[partition] = failure
        }
        errors += reply.errors
        if let broker = reply.unsupported { unsupported.append(broker) }
        if let exchange = reply.exchange {
            for partition in partitions { widen(partition, by: exchange) }
        }
    }

    mutating func widen(_ partition: TopicPartition, by exchange: Exchange) {
        guard let known = exchanges[partition] else {
            exchanges[partition] = exchange
            return
        }
        exchanges[partition] = Exchange(sentAt: min(known.sentAt, exchange.sentAt),
                                        receivedAt: max(known.receivedAt, exchange.receivedAt))
    }
}

/// A whole read of some topics: per topic its answers, plus what failed beyond one partition.
struct TopicsRound<Value: Sendable>: Sendable {
    var topics: [String: TopicAnswers<Value>] = [:]
    var errors: [KafkaClientError] = []
    /// Leaders that do not offer the API (then no retry is made: the read cannot succeed).
    var unsupported: [BrokerAddress] = []
}

/// Sends one leader's request(s) for its partitions and reports per partition.
typealias LeaderExchange<Value: Sendable> = @Sendable (
    _ cluster: KafkaCluster, _ leader: Int32, _ address: BrokerAddress, _ partitions: [TopicPartition], _ deadline: ReadDeadline
) async -> LeaderReply<Value>

extension KafkaCluster {
    /// Reads every partition of `topics` with `ask`, one exchange per leader.
    func leaderRound<Value: Sendable>(
        topics: [String], deadline: ReadDeadline, ask: @escaping LeaderExchange<Value>
    ) async -> TopicsRound<Value> {
        var result = TopicsRound<Value>()
        let metadata: ClusterMetadata
        let metadataExchange: Exchange?
        do {
            let read = try await metadataForRead(covering: topics, deadline: deadline)
            metadata = read.metadata
            metadataExchange = read.exchange
        } catch {
            result.errors.append(error)
            for topic in topics { result.topics[topic] = TopicAnswers(partitionCount: nil, topicFailure: error) }
            return result
        }
        var watched: [TopicPartition] = []
        for topic in topics {
            if let partitions = metadata.partitions(of: topic) {
                result.topics[topic] = TopicAnswers(partitionCount: partitions.count)
                watched += partitions
            } else {
                result.topics[topic] = TopicAnswers(partitionCount: nil, topicFailure: .topicNotFound(cluster: name, topic: topic))
            }
        }

        var answers = await partitionRound(watched, topics: topics, metadata: metadata, deadline: deadline, ask: ask)
        if let metadataExchange {
            for partition in watched { answers.widen(partition, by: metadataExchange) }
        }
        result.errors = answers.errors
        result.unsupported = answers.unsupported

        // Each topic's answer is built locally and stored once: writing partition by partition
        // through `result.topics[topic]?` would copy the topic's table on every write.
        var index = watched.startIndex
        while index < watched.endIndex {
            let topic = watched[index].topic
            var entry = result.topics[topic] ?? TopicAnswers(partitionCount: nil)
            while index < watched.endIndex, watched[index].topic == topic {
                let partition = watched[index]
                index += 1
                if let value = answers.values[partition] {
                    entry.partitions[partition.partition] = value
                } else {
                    entry.failures[partition.partition] = answers.failures[partition] ?? .missingFromAnswer
                }
                if let exchange = answers.exchanges[partition] {
                    entry.requestedAt = min(entry.requestedAt ?? exchange.sentAt, exchange.sentAt)
                    entry.answeredAt = max(entry.answeredAt ?? exchange.receivedAt, exchange.receivedAt)
                }
            }
            result.topics[topic] = entry
        }
        return result
    }

    /// `partitions` read with `ask` from their leaders in `metadata`, the moved ones once more
    /// after a refresh of `topics`' metadata (the read's whole list, so the cache keeps
    /// covering it), all within `deadline`.
    func partitionRound<Value: Sendable>(
        _ partitions: [TopicPartition], topics: [String], metadata: ClusterMetadata, deadline: ReadDeadline,
        ask: @escaping LeaderExchange<Value>
    ) async -> RoundAnswers<Value> {
        var answers = await askLeaders(partitions, metadata: metadata, deadline: deadline, ask: ask)
        let moved = answers.failures.filter(\.value.callsForRetry).map(\.key).sorted()
        guard answers.unsupported.isEmpty, !moved.isEmpty,
              deadline.remaining(at: clock.monotonicNow()) > .zero else { return answers }
        invalidateMetadata()
        let sentAt = clock.wallNow()
        guard let fresh = try? await refreshMetadata(topics: topics, deadline: deadline) else {
            return answers
        }
        let refresh = Exchange(sentAt: sentAt, receivedAt: clock.wallNow())
        let retried = await askLeaders(moved, metadata: fresh, deadline: deadline, ask: ask)
        for partition in moved {
            answers.widen(partition, by: refresh)
            if let exchange = retried.exchanges[partition] { answers.widen(partition, by: exchange) }
        }
        for (partition, value) in retried.values {
            answers.values[partition] = value
            answers.failures.removeValue(forKey: partition)
        }
        for (partition, failure) in retried.failures where answers.values[partition] == nil {
            answers.failures[partition] = failure
        }
        answers.errors += retried.errors
        answers.unsupported += retried.unsupported
        return answers
    }

    /// One exchange per leader, all leaders concurrently.
    private func askLeaders<Value: Sendable>(
        _ partitions: [TopicPartition], metadata: ClusterMetadata, deadline: ReadDeadline, ask: @escaping LeaderExchange<Value>
    ) async -> RoundAnswers<Value> {
        var answers = RoundAnswers<Value>()
        guard !partitions.isEmpty else { return answers }
        let (byLeader, leaderless) = metadata.groupedByLeader(partitions)
        for partition in leaderless { answers.failures[partition] = .noLeader }
        await withTaskGroup(of: (LeaderReply<Value>, [TopicPartition]).self) { group in
            for (leaderID, entry) in byLeader {
                group.addTask {
                    (await ask(self, leaderID, entry.address, entry.partitions, deadline), entry.partitions)
                }
            }
            for await (reply, asked) in group { answers.merge(reply, asked: asked) }
        }
        return answers
    }
}

extension PartitionFailure {
    /// Failures a metadata refresh can cure within the same read.
    var callsForRetry: Bool {
        switch self {
        case .broker(let code): code.callsForMetadataRefresh
        case .noLeader, .missingFromAnswer: true
        // The leader went away (closed, refused, backing off): after a failover the metadata
        // already names its successor. These fail fast, so the retry is cheap; a timeout is not
        // retried (the read's deadline is spent by then anyway).
        case .request(.connectionClosed), .request(.connectFailed), .request(.backingOff): true
        case .request: false
        }
    }
}
