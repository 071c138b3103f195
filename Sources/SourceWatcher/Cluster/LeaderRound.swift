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

/// One topic's part of a reply or a round: per partition a value or why not.
struct TopicReply<Value: Sendable>: Sendable {
    var values: [Int32: Value] = [:]
    var failures: [Int32: PartitionFailure] = [:]

    /// Takes `other`'s answers: a value replaces a failure, a failure only fills a gap.
    mutating func absorb(_ other: TopicReply<Value>) {
        if values.isEmpty, failures.isEmpty {
            self = other
            return
        }
        for (partition, value) in other.values {
            values[partition] = value
            failures.removeValue(forKey: partition)
        }
        for (partition, failure) in other.failures where values[partition] == nil {
            failures[partition] = failure
        }
    }
}

/// What one leader's exchange gave for the partitions it was asked about.
struct LeaderReply<Value: Sendable>: Sendable {
    var topics: [String: TopicReply<Value>] = [:]
    var errors: [KafkaClientError] = []
    /// The leader does not offer the API: nothing failed, the read cannot be made there.
    var unsupported: BrokerAddress?
    /// The first send and last receive of the exchange (it may take several requests).
    var exchange: Exchange?

    init(exchange: Exchange? = nil) {
        self.exchange = exchange
    }

    /// Fails every partition with the exchange's error.
    init(failing partitions: PartitionsByTopic, with error: KafkaClientError, exchange: Exchange?) {
        self.exchange = exchange
        errors = [error]
        for (topic, numbers) in partitions.topics {
            var reply = TopicReply<Value>()
            reply.failures.reserveCapacity(numbers.count)
            for number in numbers { reply.failures[number] = .request(error) }
            topics[topic] = reply
        }
    }

    /// Records one response topic's answers, only for partitions that were asked.
    mutating func take(topic: String, _ answers: some Sequence<(Int32, PartitionAnswer<Value>)>, asked: PartitionsByTopic) {
        guard let numbers = asked.topics[topic] else { return }
        var reply = topics.removeValue(forKey: topic) ?? TopicReply()
        if reply.values.isEmpty { reply.values.reserveCapacity(numbers.count) }
        for (partition, answer) in answers where PartitionsByTopic.contains(partition, in: numbers) {
            switch answer {
            case .answered(let value):
                reply.values[partition] = value
                reply.failures.removeValue(forKey: partition)
            case .refused(let code):
                reply.failures[partition] = .broker(code)
            }
        }
        topics[topic] = reply
    }

    /// Asked partitions the response left out become `missingFromAnswer`; call after `take`.
    mutating func noteMissing(asked: PartitionsByTopic) {
        for (topic, numbers) in asked.topics {
            var reply = topics.removeValue(forKey: topic) ?? TopicReply()
            // Values and failures only hold asked partitions, so full counts mean nothing is missing.
            if reply.values.count + reply.failures.count < numbers.count {
                for number in numbers where reply.values[number] == nil && reply.failures[number] == nil {
                    reply.failures[number] = .missingFromAnswer
                }
            }
            topics[topic] = reply
        }
    }
}

/// A round's merged answer, topic by topic.
struct RoundAnswers<Value: Sendable>: Sendable {
    var topics: [String: TopicReply<Value>] = [:]
    var errors: [KafkaClientError] = []
    var unsupported: [BrokerAddress] = []
    /// Per topic: the earliest send and latest receive of the exchanges its partitions needed.
    var exchanges: [String: Exchange] = [:]

    mutating func merge(_ reply: LeaderReply<Value>, asked partitions: PartitionsByTopic) {
        for (topic, part) in reply.topics {
            topics[topic, default: TopicReply()].absorb(part)
        }
        errors += reply.errors
        if let broker = reply.unsupported { unsupported.append(broker) }
        if let exchange = reply.exchange {
            for topic in partitions.topics.keys { widen(topic, by: exchange) }
        }
    }

    /// Another round's answers for some of the same partitions (a retry) over these.
    mutating func absorb(_ other: RoundAnswers<Value>) {
        for (topic, part) in other.topics {
            topics[topic, default: TopicReply()].absorb(part)
        }
        for (topic, exchange) in other.exchanges { widen(topic, by: exchange) }
        errors += other.errors
        unsupported += other.unsupported
    }

    mutating func widen(_ topic: String, by exchange: Exchange) {
        guard let known = exchanges[topic] else {
            exchanges[topic] = exchange
            return
        }
        exchanges[topic] = Exchange(sentAt: min(known.sentAt, exchange.sentAt),
                                    receivedAt: max(known.receivedAt, exchange.receivedAt))
    }

    /// The failed partitions `isWanted` says to ask again.
    func failures(where isWanted: (PartitionFailure) -> Bool) -> PartitionsByTopic {
        var chosen = PartitionsByTopic()
        for (topic, reply) in topics {
            let numbers = reply.failures.filter { isWanted($0.value) }.keys.sorted()
            chosen.insert(topic: topic, partitions: numbers)
        }
        return chosen
    }

    var values: [TopicPartition: Value] {
        var flat: [TopicPartition: Value] = [:]
        for (topic, reply) in topics {
            for (partition, value) in reply.values { flat[TopicPartition(topic: topic, partition: partition)] = value }
        }
        return flat
    }

    var failures: [TopicPartition: PartitionFailure] {
        var flat: [TopicPartition: PartitionFailure] = [:]
        for (topic, reply) in topics {
            for (partition, failure) in reply.failures { flat[TopicPartition(topic: topic, partition: partition)] = failure }
        }
        return flat
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
    _ cluster: KafkaCluster, _ leader: Int32, _ address: BrokerAddress, _ partitions: PartitionsByTopic, _ deadline: ReadDeadline
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
        var watched = PartitionsByTopic()
        for topic in topics {
            if let entry = metadata.topics[topic], entry.errorCode == .none {
                result.topics[topic] = TopicAnswers(partitionCount: entry.partitions.count)
                watched.insert(topic: topic, partitions: entry.partitions.keys.sorted())
            } else {
                result.topics[topic] = TopicAnswers(partitionCount: nil, topicFailure: .topicNotFound(cluster: name, topic: topic))
            }
        }

        var answers = await partitionRound(watched, topics: topics, metadata: metadata, deadline: deadline, ask: ask)
        result.errors = answers.errors
        result.unsupported = answers.unsupported

        for (topic, numbers) in watched.topics {
            guard var entry = result.topics.removeValue(forKey: topic) else { continue }
            let reply = answers.topics.removeValue(forKey: topic) ?? TopicReply()
            entry.partitions = reply.values
            entry.failures = reply.failures
            if entry.partitions.count + entry.failures.count < numbers.count {
                for number in numbers where entry.partitions[number] == nil && entry.failures[number] == nil {
                    entry.failures[number] = .missingFromAnswer
                }
            }
            var exchange = answers.exchanges[topic]
            if let metadataExchange {
                exchange = exchange.map {
                    Exchange(sentAt: min($0.sentAt, metadataExchange.sentAt), receivedAt: max($0.receivedAt, metadataExchange.receivedAt))
                } ?? metadataExchange
            }
            entry.requestedAt = exchange?.sentAt
            entry.answeredAt = exchange?.receivedAt
            result.topics[topic] = entry
        }
        return result
    }

    /// `partitions` read with `ask` from their leaders in `metadata`, the moved ones once more
    /// after a refresh of `topics`' metadata (the read's whole list, so the cache keeps
    /// covering it), all within `deadline`.
    func partitionRound<Value: Sendable>(
        _ partitions: PartitionsByTopic, topics: [String], metadata: ClusterMetadata, deadline: ReadDeadline,
        ask: @escaping LeaderExchange<Value>
    ) async -> RoundAnswers<Value> {
        var answers = await askLeaders(partitions, metadata: metadata, deadline: deadline, ask: ask)
        let moved = answers.failures(where: \.callsForRetry)
        guard answers.unsupported.isEmpty, !moved.isEmpty,
              deadline.remaining(at: clock.monotonicNow()) > .zero else { return answers }
        invalidateMetadata()
        let sentAt = clock.wallNow()
        guard let fresh = try? await refreshMetadata(topics: topics, deadline: deadline) else {
            return answers
        }
        let refresh = Exchange(sentAt: sentAt, receivedAt: clock.wallNow())
        let retried = await askLeaders(moved, metadata: fresh, deadline: deadline, ask: ask)
        for topic in moved.topics.keys { answers.widen(topic, by: refresh) }
        answers.absorb(retried)
        return answers
    }

    /// One exchange per leader, all leaders concurrently.
    private func askLeaders<Value: Sendable>(
        _ partitions: PartitionsByTopic, metadata: ClusterMetadata, deadline: ReadDeadline, ask: @escaping LeaderExchange<Value>
    ) async -> RoundAnswers<Value> {
        var answers = RoundAnswers<Value>()
        guard !partitions.isEmpty else { return answers }
        let (byLeader, leaderless) = metadata.groupedByLeader(partitions)
        for (topic, numbers) in leaderless.topics {
            var reply = TopicReply<Value>()
            for number in numbers { reply.failures[number] = .noLeader }
            answers.topics[topic, default: TopicReply()].absorb(reply)
        }
        await withTaskGroup(of: (LeaderReply<Value>, PartitionsByTopic).self) { group in
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
