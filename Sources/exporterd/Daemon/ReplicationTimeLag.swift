/// The replication time lag of CONTRACT §4: per partition, now minus the timestamp of the
/// first source record the destination does not have yet (the record at the destination's
/// high watermark, since offsets are preserved). Timestamps are cached per partition and
/// offset: a record's timestamp never changes, and a stalled replicator leaves the same
/// offset behind poll after poll, so a steady state costs no Fetch at all. The one way the
/// record at an offset can change is the source topic being deleted and recreated; its high
/// watermark going backwards drops the entry.
import Foundation
import SourceWatcher

struct ReplicationTimeLag {
    /// A partition whose source is ahead of its destination.
    struct Lagging: Sendable {
        var partition: TopicPartition
        var destinationHighWatermark: Int64
        var sourceHighWatermark: Int64
    }

    private struct Entry {
        var offset: Int64
        var milliseconds: Int64
        var sourceHighWatermark: Int64
    }

    private var cache: [TopicPartition: Entry] = [:]
    /// Fetches in flight at once: enough to hide round trips, few enough not to flood a broker.
    static let concurrency = 16

    /// Max lag in seconds per source topic; a topic is absent when any of its lagging
    /// partitions could not be read (no lag is better than a wrong one).
    mutating func measure(lagging: [Lagging], source: KafkaCluster, now: Date) async -> [String: Double] {
        await measure(lagging: lagging, now: now) { partition, offset in
            try? await source.recordTimestamp(of: partition, atOrAfter: offset).timestamp?.milliseconds
        }
    }

    /// The same with the Fetch passed in: `timestamp` answers the milliseconds of the first
    /// record at or after an offset, or nil when it could not tell.
    mutating func measure(
        lagging: [Lagging], now: Date,
        timestamp: @escaping @Sendable (TopicPartition, Int64) async -> Int64?
    ) async -> [String: Double] {
        var timestamps: [TopicPartition: Int64?] = [:]
        var toFetch: [Lagging] = []
        for entry in lagging {
            if var hit = cache[entry.partition], hit.offset == entry.destinationHighWatermark,
               entry.sourceHighWatermark >= hit.sourceHighWatermark {
                hit.sourceHighWatermark = entry.sourceHighWatermark
                cache[entry.partition] = hit
                timestamps[entry.partition] = hit.milliseconds
            } else {
                toFetch.append(entry)
            }
        }
        var fetched: [(Lagging, Int64?)] = []
        await withTaskGroup(of: (Lagging, Int64?).self) { group in
            var next = toFetch.makeIterator()
            func addNext() -> Bool {
                guard let entry = next.next() else { return false }
                group.addTask { (entry, await timestamp(entry.partition, entry.destinationHighWatermark)) }
                return true
            }
            for _ in 0..<Self.concurrency where !addNext() { break }
            for await result in group {
                fetched.append(result)
                _ = addNext()
            }
        }
        for (entry, milliseconds) in fetched {
            timestamps[entry.partition] = .some(milliseconds)
            if let milliseconds {
                cache[entry.partition] = Entry(
                    offset: entry.destinationHighWatermark, milliseconds: milliseconds,
                    sourceHighWatermark: entry.sourceHighWatermark)
            } else {
                cache[entry.partition] = nil
            }
        }
        let laggingNow = Set(lagging.map(\.partition))
        cache = cache.filter { laggingNow.contains($0.key) }

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
