/// What one poll cycle read, handed to the accounting as values. The I/O layer fills it in the
/// order the contract requires: agents first, then the clusters, so `proxied.readAt` is before
/// every topic's `sourceRequestedAt`. A source read is not an instant: the broker read the
/// offsets somewhere between sending the request and receiving the answer, so a topic's read
/// carries both ends (CONTRACT §5, guarantee 1).
import Foundation

/// The agents' counters of one poll, summed over agents and corrected for agent restarts.
/// Absent when any agent target failed: then unproxied accounting is suspended for every topic.
public struct ProxiedRead: Sendable, Hashable {
    public var readAt: Date
    /// Reset-corrected proxied records per source topic. A topic missing here has proxied
    /// nothing yet and counts as 0.
    public var recordsByTopic: [String: Int64]
    /// Source topics whose restart correction had to guess since the last complete read (a
    /// series of theirs went backwards or was retired, or its agent's process restarted, so
    /// increments between its last scrape and the restart may be lost). Their totals are then
    /// not comparable with earlier reads, and their unproxied accounting takes fresh baselines.
    public var restartedTopics: Set<String>

    public init(readAt: Date, recordsByTopic: [String: Int64], restartedTopics: Set<String> = []) {
        self.readAt = readAt
        self.recordsByTopic = recordsByTopic
        self.restartedTopics = restartedTopics
    }

    public func records(for topic: String) -> Int64 { recordsByTopic[topic] ?? 0 }
    public func countersRestarted(for topic: String) -> Bool { restartedTopics.contains(topic) }
}

/// One topic's cluster reads in a poll.
public struct TopicRead: Sendable, Hashable {
    public var topic: String
    /// When the first request the topic's source read needed was sent: the broker read its
    /// offsets no earlier (agents read before this are "before t_k" in §5).
    public var sourceRequestedAt: Date
    /// When the last answer the topic's source read needed came back (retry included): the
    /// broker read its offsets no later (agents read `publish_delay` after this are "after").
    public var sourceAnsweredAt: Date
    /// Partition → high watermark; nil unless every partition of the topic answered.
    public var sourceHighWatermarks: [Int32: Int64]?
    /// The same on the destination.
    public var destinationHighWatermarks: [Int32: Int64]?
    /// Replication time lag computed by the I/O layer (Fetch of the first unreplicated record).
    public var timeLagSeconds: Double?
    /// DescribeProducers on the source; nil when not read this poll (or not every partition
    /// answered): the last read then stands.
    public var directProducers: DirectProducers?

    public init(
        topic: String, sourceRequestedAt: Date, sourceAnsweredAt: Date, sourceHighWatermarks: [Int32: Int64]?,
        destinationHighWatermarks: [Int32: Int64]?, timeLagSeconds: Double? = nil,
        directProducers: DirectProducers? = nil
    ) {
        self.directProducers = directProducers
        self.topic = topic
        self.sourceRequestedAt = sourceRequestedAt
        self.sourceAnsweredAt = max(sourceAnsweredAt, sourceRequestedAt)
        self.sourceHighWatermarks = sourceHighWatermarks
        self.destinationHighWatermarks = destinationHighWatermarks
        self.timeLagSeconds = timeLagSeconds
    }

    /// A read answered the instant it was asked (fixtures; a broker that answers in no time).
    public init(
        topic: String, sourceReadAt: Date, sourceHighWatermarks: [Int32: Int64]?,
        destinationHighWatermarks: [Int32: Int64]?, timeLagSeconds: Double? = nil,
        directProducers: DirectProducers? = nil
    ) {
        self.init(topic: topic, sourceRequestedAt: sourceReadAt, sourceAnsweredAt: sourceReadAt,
                  sourceHighWatermarks: sourceHighWatermarks, destinationHighWatermarks: destinationHighWatermarks,
                  timeLagSeconds: timeLagSeconds, directProducers: directProducers)
    }
}

/// Everything one poll read.
public struct PollObservation: Sendable, Hashable {
    /// The poll's time: stamps inferred events and drives the five-minute windows and timeouts.
    public var at: Date
    /// nil when any agent failed.
    public var proxied: ProxiedRead?
    /// nil when the state source failed or its document was invalid: the last good states stay
    /// in force, but no topic's accounting advances.
    public var stateDocument: MigrationStateDocument?
    /// One entry per watched topic.
    public var topics: [TopicRead]
    /// The wall clock stepped since the previous poll (its elapsed time disagreed with the
    /// monotonic clock's by more than a second), or nothing is known about it (the first poll
    /// of a process): stamps of earlier polls are not comparable with this poll's, so bounds
    /// still waiting on them are dropped (losing a bound is safe, a wrong one is not).
    public var wallClockStepped: Bool

    public init(at: Date, proxied: ProxiedRead?, stateDocument: MigrationStateDocument?, topics: [TopicRead],
                wallClockStepped: Bool = false) {
        self.at = at
        self.proxied = proxied
        self.stateDocument = stateDocument
        self.topics = topics
        self.wallClockStepped = wallClockStepped
    }
}

/// The per-topic slice of a poll that `TopicAccounting` consumes.
public struct TopicPoll: Sendable, Hashable {
    public var at: Date
    public var read: TopicRead
    /// Agents' total for this topic and when it was read; nil when any agent failed.
    public var proxiedRecords: Int64?
    public var proxiedReadAt: Date?
    public var proxiedCountersRestarted: Bool
    /// Whether the state source answered this poll.
    public var stateSourceUp: Bool
    /// The topic's entry; nil with `stateSourceUp` means the document does not list it (REJECT).
    public var report: TopicStateReport?
    /// The document's events for this topic.
    public var reportedEvents: [ReportedEvent]
    /// See `PollObservation.wallClockStepped`.
    public var wallClockStepped: Bool
    /// When this process polled before, whatever it read then; nil for its first poll. Not
    /// persisted: a restart is a gap in what was seen, however soon the next poll comes.
    public var previousPollAt: Date?

    public init(
        at: Date, read: TopicRead, proxiedRecords: Int64?, proxiedReadAt: Date?,
        proxiedCountersRestarted: Bool = false, stateSourceUp: Bool, report: TopicStateReport?,
        reportedEvents: [ReportedEvent] = [], wallClockStepped: Bool = false, previousPollAt: Date? = nil
    ) {
        self.wallClockStepped = wallClockStepped
        self.previousPollAt = previousPollAt
        self.at = at
        self.read = read
        self.proxiedRecords = proxiedRecords
        self.proxiedReadAt = proxiedReadAt
        self.proxiedCountersRestarted = proxiedCountersRestarted
        self.stateSourceUp = stateSourceUp
        self.report = report
        self.reportedEvents = reportedEvents
    }

    init(_ poll: PollObservation, read: TopicRead, previousPollAt: Date?) {
        self.init(
            at: poll.at, read: read,
            proxiedRecords: poll.proxied?.records(for: read.topic),
            proxiedReadAt: poll.proxied?.readAt,
            proxiedCountersRestarted: poll.proxied?.countersRestarted(for: read.topic) ?? false,
            stateSourceUp: poll.stateDocument != nil,
            report: poll.stateDocument?.report(for: read.topic),
            reportedEvents: poll.stateDocument?.events(for: read.topic) ?? [],
            wallClockStepped: poll.wallClockStepped, previousPollAt: previousPollAt)
    }
}
