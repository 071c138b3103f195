/// The offsets poll: one ListOffsets request per leader broker covering all the partitions it
/// leads, all leaders at once. Partitions whose leader moved or could not be reached are retried
/// once after a metadata refresh within the same poll; everything else that fails is reported, not hidden.
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
    /// Reads high watermarks (and, when asked, log start offsets) of every partition of `topics`.
    public func readOffsets(of topics: [String], includeLogStartOffsets: Bool = false) async -> ClusterOffsets {
        let clock = ContinuousClock()
        let started = clock.now
        var result = ClusterOffsets(cluster: name, readAt: Date())
        let metadata: ClusterMetadata
        do {
            metadata = try await currentMetadata(covering: topics)
        } catch {
            result.errors.append(error)
            for topic in topics { result.topics[topic] = .init(partitionCount: nil, topicFailure: error) }
            result.duration = clock.now - started
            return result
        }
        var collected: [TopicPartition] = []
        for topic in topics {
            if let partitions = metadata.partitions(of: topic) {
                result.topics[topic] = .init(partitionCount: partitions.count)
                collected += partitions
            } else {
                result.topics[topic] = .init(partitionCount: nil, topicFailure: .topicNotFound(cluster: name, topic: topic))
            }
        }
        let watched = collected  // grouped by topic, in `topics` order

        async let latestAnswer = listOffsets(watched, query: .latest, metadata: metadata)
        async let earliestAnswer = includeLogStartOffsets
            ? listOffsets(watched, query: .earliest, metadata: metadata)
            : ListOffsetsOutcome()
        var latest = await latestAnswer
        var earliest = await earliestAnswer

        // Leaders move: one metadata refresh and one retry of just those partitions.
        let moved = Set(latest.failures.filter(\.value.callsForRetry).map(\.key))
            .union(earliest.failures.filter(\.value.callsForRetry).map(\.key))
        if !moved.isEmpty {
            invalidateMetadata()
            if let fresh = try? await refreshMetadata(topics: topics) {
                let retry = moved.sorted()
                async let latestRetry = listOffsets(retry.filter { latest.failures[$0] != nil }, query: .latest, metadata: fresh)
                async let earliestRetry = includeLogStartOffsets
                    ? listOffsets(retry.filter { earliest.failures[$0] != nil }, query: .earliest, metadata: fresh)
                    : ListOffsetsOutcome()
                latest.merge(await latestRetry)
                earliest.merge(await earliestRetry)
            }
        }

        // Each topic's answer is built locally and stored once: writing partition by partition
        // through `result.topics[topic]?` would risk copying the topic's table on every write.
        var index = watched.startIndex
        while index < watched.endIndex {
            let topic = watched[index].topic
            var entry = result.topics[topic] ?? .init(partitionCount: nil)
            while index < watched.endIndex, watched[index].topic == topic {
                let partition = watched[index]
                index += 1
                if let answer = latest.offsets[partition] {
                    if includeLogStartOffsets, let failure = earliest.failures[partition] {
                        entry.failures[partition.partition] = failure
                        continue
                    }
                    entry.partitions[partition.partition] = PartitionOffsets(
                        highWatermark: answer.offset,
                        logStartOffset: includeLogStartOffsets ? earliest.offsets[partition]?.offset : nil,
                        leader: answer.leader)
                } else {
                    entry.failures[partition.partition] = latest.failures[partition] ?? .missingFromAnswer
                }
            }
            result.topics[topic] = entry
        }
        result.errors += latest.errors + earliest.errors
        result.duration = clock.now - started
        return result
    }

    /// ListOffsets for `partitions`, one request per leader, all leaders concurrently.
    public func listOffsets(_ partitions: [TopicPartition], query: OffsetQuery, metadata: ClusterMetadata? = nil) async -> ListOffsetsOutcome {
        var outcome = ListOffsetsOutcome()
        guard !partitions.isEmpty else { return outcome }
        let layout: ClusterMetadata
        if let metadata {
            layout = metadata
        } else {
            do {
                layout = try await currentMetadata(covering: Array(Set(partitions.map(\.topic))))
            } catch {
                outcome.errors.append(error)
                for partition in partitions { outcome.failures[partition] = .request(error) }
                return outcome
            }
        }
        let (byLeader, leaderless) = layout.groupedByLeader(partitions)
        for partition in leaderless { outcome.failures[partition] = .noLeader }
        // Whole milliseconds of the timeout (`components.seconds` alone would turn 300 ms into 0).
        let timeoutMs = Int32(clamping: Int64(settings.requestTimeout / .milliseconds(1)))
        await withTaskGroup(of: ListOffsetsOutcome.self) { group in
            for (leaderID, entry) in byLeader {
                group.addTask {
                    await self.listOffsets(entry.partitions, query: query, leaderID: leaderID, address: entry.address, timeoutMs: timeoutMs)
                }
            }
            for await part in group { outcome.merge(part) }
        }
        return outcome
    }

    private func listOffsets(_ partitions: [TopicPartition], query: OffsetQuery, leaderID: Int32, address: BrokerAddress, timeoutMs: Int32) async -> ListOffsetsOutcome {
        var outcome = ListOffsetsOutcome()
        var byTopic: [String: [ListOffsetsRequest.ListOffsetsPartition]] = [:]
        for partition in partitions {
            byTopic[partition.topic, default: []].append(
                .init(partitionIndex: partition.partition, currentLeaderEpoch: -1, timestamp: query.wireTimestamp))
        }
        let request = ListOffsetsRequest(
            replicaId: -1,
            isolationLevel: 0,  // READ_UNCOMMITTED: the high watermark, transaction markers included
            topics: byTopic.map { .init(name: $0.key, partitions: $0.value) },
            timeoutMs: timeoutMs)
        let response: ListOffsetsResponse
        do {
            response = try await send(request, to: address)
        } catch {
            outcome.errors.append(error)
            for partition in partitions { outcome.failures[partition] = .request(error) }
            return outcome
        }
        let asked = Set(partitions)
        for topic in response.topics {
            for answer in topic.partitions {
                let partition = TopicPartition(topic: topic.name, partition: answer.partitionIndex)
                guard asked.contains(partition) else { continue }
                let code = KafkaErrorCode(answer.errorCode)
                if code == .none {
                    outcome.offsets[partition] = ListedOffset(offset: answer.offset, timestamp: answer.timestamp, leader: leaderID)
                } else {
                    outcome.failures[partition] = .broker(code)
                }
            }
        }
        for partition in partitions where outcome.offsets[partition] == nil && outcome.failures[partition] == nil {
            outcome.failures[partition] = .missingFromAnswer
        }
        return outcome
    }
}

/// Per-partition answers and failures of a ListOffsets round.
public struct ListOffsetsOutcome: Sendable {
    public var offsets: [TopicPartition: ListedOffset] = [:]
    public var failures: [TopicPartition: PartitionFailure] = [:]
    public var errors: [KafkaClientError] = []

    public init() {}

    mutating func merge(_ other: ListOffsetsOutcome) {
        for (partition, offset) in other.offsets {
            offsets[partition] = offset
            failures.removeValue(forKey: partition)
        }
        for (partition, failure) in other.failures where offsets[partition] == nil {
            failures[partition] = failure
        }
        errors += other.errors
    }
}

extension PartitionFailure {
    /// Failures a metadata refresh can cure within the same poll.
    var callsForRetry: Bool {
        switch self {
        case .broker(let code): code.callsForMetadataRefresh
        case .noLeader, .missingFromAnswer: true
        // The leader went away (closed, refused, backing off): after a failover the metadata
        // already names its successor. These fail fast, so the retry is cheap; a timeout is not
        // retried (against a hung broker it would double the poll).
        case .request(.connectionClosed), .request(.connectFailed), .request(.backingOff): true
        case .request: false
        }
    }
}
