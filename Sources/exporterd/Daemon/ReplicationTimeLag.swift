/// The replication time lag of CONTRACT §4: per partition, now minus the timestamp of the
/// first source record the destination does not have yet (the record at the destination's
/// high watermark, since offsets are preserved). Timestamps are cached per partition and
/// offset: a record's timestamp never changes, and a stalled replicator leaves the same
/// offset behind poll after poll, so a steady state costs no Fetch at all.
import Foundation
import SourceWatcher

struct ReplicationTimeLag {
    private var cache: [TopicPartition: (offset: Int64, milliseconds: Int64)] = [:]
    /// Fetches in flight at once: enough to hide round trips, few enough not to flood a broker.
    static let concurrency = 16

    /// Max lag in seconds per source topic; a topic is absent when any of its lagging
    /// partitions could not be read (no lag is better than a wrong one).
    mutating func measure(
        lagging: [(partition: TopicPartition, destinationHighWatermark: Int64)],
        source: KafkaCluster, now: Date
    ) async -> [String: Double] {
        var timestamps: [TopicPartition: Int64?] = [:]
        var toFetch: [(TopicPartition, Int64)] = []
        for (partition, offset) in lagging {
            if let hit = cache[partition], hit.offset == offset {
                timestamps[partition] = hit.milliseconds
            } else {
                toFetch.append((partition, offset))
            }
        }
        var fetched: [(TopicPartition, Int64, Int64?)] = []
        await withTaskGroup(of: (TopicPartition, Int64, Int64?).self) { group in
            var next = toFetch.makeIterator()
            func addNext() -> Bool {
                guard let (partition, offset) = next.next() else { return false }
                group.addTask {
                    let read = try? await source.recordTimestamp(of: partition, atOrAfter: offset)
                    return (partition, offset, read?.timestamp?.milliseconds)
                }
                return true
            }
            for _ in 0..<Self.concurrency where !addNext() { break }
            for await result in group {
                fetched.append(result)
                _ = addNext()
            }
        }
        for (partition, offset, milliseconds) in fetched {
            timestamps[partition] = .some(milliseconds)
            if let milliseconds { cache[partition] = (offset, milliseconds) }
        }
        let lagging = Set(lagging.map(\.partition))
        cache = cache.filter { lagging.contains($0.key) }

        var result: [String: Double] = [:]
        var failed: Set<String> = []
        for (partition, milliseconds) in timestamps {
            guard let milliseconds = milliseconds else { failed.insert(partition.topic); continue }
            let lag = max(0, now.timeIntervalSince1970 - Double(milliseconds) / 1000)
            result[partition.topic] = max(result[partition.topic] ?? 0, lag)
        }
        for topic in failed { result.removeValue(forKey: topic) }
        return result
    }
}
