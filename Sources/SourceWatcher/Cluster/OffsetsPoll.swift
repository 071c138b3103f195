/// The offsets read: ListOffsets through the shared per-leader round (`LeaderRound.swift`):
/// one exchange per leader broker covering all the partitions it leads, all leaders at once,
/// moved partitions retried once after a metadata refresh, everything within one deadline.
import struct Foundation.Date

/// Which offset ListOffsets should return for each partition.
public enum OffsetQuery: Sendable, Equatable {
    case latest
    case earliest
    /// The first offset whose timestamp is ≥ the given unix milliseconds.
    case timestamp(Int64)

    var wireTimestamp: Int64 {
        switch self {
        case .latest: -1
        case .earliest: -2
        case .timestamp(let ms): ms
        }
    }
}

/// ListOffsets' answer for one partition.
public struct ListedOffset: Sendable, Equatable {
    public var offset: Int64
    /// −1 when the broker found no record at or after the asked timestamp (or for latest/earliest).
    public var timestamp: Int64
    public var leader: Int32
}

extension KafkaCluster {
    /// Reads high watermarks (and, when asked, log start offsets) of every partition of
    /// `topics`, within `deadline` (default: `request_timeout` from now).
    public func readOffsets(of topics: [String], includeLogStartOffsets: Bool = false, deadline: ReadDeadline? = nil) async -> ClusterOffsets {
        let deadline = deadline ?? newReadDeadline()
        let started = clock.monotonicNow()
        var result = ClusterOffsets(cluster: name, readAt: clock.wallNow())
        let round = await leaderRound(topics: topics, deadline: deadline) { cluster, leader, address, partitions, deadline in
            await cluster.offsetsExchange(partitions, includeLogStartOffsets: includeLogStartOffsets,
                                          leaderID: leader, address: address, deadline: deadline)
        }
        result.topics = round.topics
        result.errors = round.errors
        result.duration = clock.monotonicNow() - started
        return result
    }

    /// ListOffsets for `partitions` with `query` through the per-leader round.
    public func listOffsets(_ partitions: [TopicPartition], query: OffsetQuery, metadata: ClusterMetadata? = nil,
                            deadline: ReadDeadline? = nil) async -> ListOffsetsOutcome {
        var outcome = ListOffsetsOutcome()
        guard !partitions.isEmpty else { return outcome }
        let deadline = deadline ?? newReadDeadline()
        let topics = Array(Set(partitions.map(\.topic))).sorted()
        let layout: ClusterMetadata
        if let metadata {
            layout = metadata
        } else {
            do {
                layout = try await currentMetadata(covering: topics, deadline: deadline)
            } catch {
                outcome.errors.append(error)
                for partition in partitions { outcome.failures[partition] = .request(error) }
                return outcome
            }
        }
        let answers = await partitionRound(PartitionsByTopic(partitions), topics: topics, metadata: layout, deadline: deadline) { cluster, leader, address, partitions, deadline in
            await cluster.listOffsetsReply(partitions, query: query, leaderID: leader, address: address, deadline: deadline)
        }
        outcome.offsets = answers.values
        outcome.failures = answers.failures
        outcome.errors = answers.errors
        return outcome
    }

    /// One leader's part of an offsets read: latest, and earliest beside it when asked; a
    /// partition has offsets only when every asked query answered for it.
    func offsetsExchange(_ partitions: PartitionsByTopic, includeLogStartOffsets: Bool, leaderID: Int32,
                         address: BrokerAddress, deadline: ReadDeadline) async -> LeaderReply<PartitionOffsets> {
        async let latestReply = listOffsetsReply(partitions, query: .latest, leaderID: leaderID, address: address, deadline: deadline)
        async let earliestReply: LeaderReply<ListedOffset>? = includeLogStartOffsets
            ? listOffsetsReply(partitions, query: .earliest, leaderID: leaderID, address: address, deadline: deadline)
            : nil
        let (latest, earliest) = await (latestReply, earliestReply)
        var exchange = latest.exchange
        if let other = earliest?.exchange, let known = exchange {
            exchange = Exchange(sentAt: min(known.sentAt, other.sentAt), receivedAt: max(known.receivedAt, other.receivedAt))
        }
        var reply = LeaderReply<PartitionOffsets>(exchange: exchange)
        reply.errors = latest.errors + (earliest?.errors ?? [])
        // Both replies cover every asked partition (a value or a failure), so the latest one's
        // table is the shape of the answer; `mapValues` keeps its layout, nothing is rehashed.
        for (topic, latestTopic) in latest.topics {
            var combined = TopicReply<PartitionOffsets>()
            combined.failures = latestTopic.failures
            guard let earliest else {
                combined.values = latestTopic.values.mapValues { PartitionOffsets(highWatermark: $0.offset, leader: $0.leader) }
                reply.topics[topic] = combined
                continue
            }
            let earliestTopic = earliest.topics[topic] ?? TopicReply()
            combined.values.reserveCapacity(latestTopic.values.count)
            for (partition, answer) in latestTopic.values {
                if let start = earliestTopic.values[partition] {
                    combined.values[partition] = PartitionOffsets(highWatermark: answer.offset, logStartOffset: start.offset, leader: answer.leader)
                } else {
                    combined.failures[partition] = earliestTopic.failures[partition] ?? .missingFromAnswer
                }
            }
            reply.topics[topic] = combined
        }
        return reply
    }

    /// One ListOffsets request to one leader.
    func listOffsetsReply(_ partitions: PartitionsByTopic, query: OffsetQuery, leaderID: Int32,
                          address: BrokerAddress, deadline: ReadDeadline) async -> LeaderReply<ListedOffset> {
        let wireTimestamp = query.wireTimestamp
        let request = ListOffsetsRequest(
            replicaId: -1,
            isolationLevel: 0,  // READ_UNCOMMITTED: the high watermark, transaction markers included
            topics: partitions.sorted.map { entry in
                .init(name: entry.topic, partitions: entry.partitions.map {
                    .init(partitionIndex: $0, currentLeaderEpoch: -1, timestamp: wireTimestamp)
                })
            },
            // Whole milliseconds of the budget (`components.seconds` alone would turn 300 ms into 0).
            timeoutMs: Int32(clamping: Int64(deadline.budget / .milliseconds(1))))
        let (result, exchange) = await self.exchange(request, to: address, deadline: deadline)
        switch result {
        case .failure(let error):
            return LeaderReply(failing: partitions, with: error, exchange: exchange)
        case .success(let response):
            var reply = LeaderReply<ListedOffset>(exchange: exchange)
            for topic in response.topics {
                reply.take(topic: topic.name, topic.partitions.lazy.map { answer -> (Int32, PartitionAnswer<ListedOffset>) in
                    let code = KafkaErrorCode(answer.errorCode)
                    return (answer.partitionIndex,
                            code == .none
                                ? .answered(ListedOffset(offset: answer.offset, timestamp: answer.timestamp, leader: leaderID))
                                : .refused(code))
                }, asked: partitions)
            }
            reply.noteMissing(asked: partitions)
            return reply
        }
    }
}

/// Per-partition answers and failures of a ListOffsets round.
public struct ListOffsetsOutcome: Sendable {
    public var offsets: [TopicPartition: ListedOffset] = [:]
    public var failures: [TopicPartition: PartitionFailure] = [:]
    public var errors: [KafkaClientError] = []

    public init() {}
}
