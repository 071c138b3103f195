/// direct_source_producers (CONTRACT §5): the proxy does not produce idempotently, so any
/// producer DescribeProducers lists on a source partition wrote to it directly. The topic's
/// record of what it saw is a value kept in the snapshot, so a restart neither forgets the
/// producers already reported nor reports them again.
import Foundation

/// One producer the source's partition leader listed, as the accounting needs it.
public struct ProducerInfo: Sendable, Hashable, Codable {
    public var producerId: Int64
    public var producerEpoch: Int32
    /// The producer's last write (its last batch's max timestamp); nil when the broker does not
    /// know it (−1 on the wire).
    public var lastTimestamp: Date?
    public var partition: Int32

    public init(producerId: Int64, producerEpoch: Int32, lastTimestamp: Date?, partition: Int32) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.lastTimestamp = lastTimestamp
        self.partition = partition
    }

    /// From DescribeProducers' wire value: unix milliseconds, −1 for unknown.
    public init(producerId: Int64, producerEpoch: Int32, lastTimestampMs: Int64, partition: Int32) {
        self.init(
            producerId: producerId, producerEpoch: producerEpoch,
            lastTimestamp: lastTimestampMs < 0 ? nil : Date(timeIntervalSince1970: Double(lastTimestampMs) / 1000),
            partition: partition)
    }

    /// Whether the producer wrote within `window` before `now` (a write stamped after `now`,
    /// by a client clock ahead of ours, counts as recent).
    func wroteRecently(at now: Date, window: TimeInterval) -> Bool {
        guard let lastTimestamp else { return false }
        return now.timeIntervalSince(lastTimestamp) < window
    }

    /// Partition, then producer id: the order the status API shows.
    static func ordered(_ lhs: ProducerInfo, _ rhs: ProducerInfo) -> Bool {
        (lhs.partition, lhs.producerId) < (rhs.partition, rhs.producerId)
    }
}

/// This poll's DescribeProducers read of one topic on the source. `TopicRead.directProducers`
/// is nil when it was not read (or not every partition answered): the last read then stands.
public enum DirectProducers: Sendable, Hashable, Codable {
    /// The source does not offer DescribeProducers: the check cannot be made ("not checked").
    case unsupported
    /// Every producer listed on every partition of the topic (empty: none).
    case producers([ProducerInfo])
}

/// What the topic remembers of direct producers across polls and restarts.
struct DirectProducerTracking: Sendable, Hashable, Codable {
    /// From the last read: nil until read, false when the source lacks DescribeProducers.
    var supported: Bool?
    /// The producers the last supported read listed, ordered.
    var latest: [ProducerInfo] = []
    /// Producer ids already reported with DIRECT_PRODUCER_DETECTED → when last listed, so an id
    /// is reported once; forgotten after `forgetAfter` unlisted (the broker has long expired it).
    var reported: [Int64: Date] = [:]

    static let forgetAfter: TimeInterval = 7 * 24 * 3600

    /// Takes this poll's read. Returns the producers (grouped per id) newly seen writing
    /// recently, when `watching` (PROXY, MIGRATING, COMPLETE).
    mutating func observe(
        _ read: DirectProducers?, at now: Date, window: TimeInterval, watching: Bool
    ) -> [[ProducerInfo]] {
        guard let read else { return [] }
        switch read {
        case .unsupported:
            supported = false
            latest = []
            return []
        case .producers(let listed):
            supported = true
            latest = listed.sorted(by: ProducerInfo.ordered)
        }
        var byID: [Int64: [ProducerInfo]] = [:]
        for producer in latest { byID[producer.producerId, default: []].append(producer) }
        for id in byID.keys where reported[id] != nil { reported[id] = now }
        reported = reported.filter { now.timeIntervalSince($0.value) < Self.forgetAfter }
        guard watching else { return [] }
        var fresh: [[ProducerInfo]] = []
        for (id, entries) in byID.sorted(by: { $0.key < $1.key }) where reported[id] == nil {
            guard entries.contains(where: { $0.wroteRecently(at: now, window: window) }) else { continue }
            reported[id] = now
            fresh.append(entries)
        }
        return fresh
    }

    /// The diagnostic: a listed producer wrote within the window (the last read standing in
    /// for polls that could not read).
    func active(at now: Date, window: TimeInterval) -> Bool {
        supported == true && latest.contains { $0.wroteRecently(at: now, window: window) }
    }
}

extension MigrationState {
    /// States in which the proxy is the only legitimate writer to the source topic.
    var forbidsDirectProducers: Bool {
        switch self {
        case .proxy, .migrating, .complete: true
        case .reject: false
        }
    }
}
