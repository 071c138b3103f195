/// Reading when a record was written, for the replication time lag (CONTRACT §4): Fetch the
/// batch that holds an offset from the partition's leader and look the record up in it.
import NIOCore

/// What a timestamp read returns: the timestamp (nil when no record exists at or after the
/// offset) and the partition's high watermark as Fetch reported it.
public struct TimestampRead: Sendable, Equatable {
    public var timestamp: RecordTimestamp?
    public var highWatermark: Int64
}

extension KafkaCluster {
    /// Bytes asked per Fetch: one batch is enough, and Kafka returns a whole first batch even
    /// when it is larger than this (KIP-74), so a small cap never hides a record.
    static let timestampFetchBytes: Int32 = 256 * 1024

    /// The timestamp of the first record at or after `offset` in `partition`.
    public func recordTimestamp(of partition: TopicPartition, atOrAfter offset: Int64) async throws(KafkaClientError) -> TimestampRead {
        let metadata = try await currentMetadata(covering: [partition.topic])
        guard let leader = metadata.leader(of: partition) else {
            invalidateMetadata()
            throw .unknownLeader(topic: partition.topic, partition: partition.partition, leaderID: -1)
        }
        // minBytes 1: Tansu 0.6 leaves every partition out of a minBytes-0 answer. Kafka answers
        // at once anyway, since we only ask below the high watermark where data exists.
        let request = FetchRequest(
            replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: Self.timestampFetchBytes,
            isolationLevel: 0,  // READ_UNCOMMITTED: an open transaction's records are lag too
            topics: [.init(topic: partition.topic, partitions: [
                .init(partition: partition.partition, fetchOffset: offset, partitionMaxBytes: Self.timestampFetchBytes),
            ])])
        let response = try await send(request, to: leader.address)
        let topLevel = KafkaErrorCode(response.errorCode)
        guard topLevel == .none else { throw .brokerError(broker: leader.address, api: .fetch, code: topLevel) }
        guard let answer = response.responses.first(where: { $0.topic == partition.topic })?
            .partitions.first(where: { $0.partitionIndex == partition.partition }) else {
            throw .protocolViolation(broker: leader.address, detail: "Fetch answer left out \(partition)")
        }
        let code = KafkaErrorCode(answer.errorCode)
        if code != .none {
            if code.callsForMetadataRefresh { invalidateMetadata() }
            throw .brokerError(broker: leader.address, api: .fetch, code: code)
        }
        guard let bytes = answer.records, bytes.readableBytes > 0 else {
            return TimestampRead(timestamp: nil, highWatermark: answer.highWatermark)
        }
        do {
            let records = try FetchedRecords(decoding: bytes)
            return TimestampRead(timestamp: records.timestamp(ofFirstRecordAtOrAfter: offset), highWatermark: answer.highWatermark)
        } catch {
            throw .records(broker: leader.address, partition: partition, error)
        }
    }
}
