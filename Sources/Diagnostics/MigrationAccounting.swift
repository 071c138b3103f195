/// The accounting of every watched topic, driven once per poll by a `PollObservation`. It splits
/// the poll into per-topic slices, keeps topics apart (one topic's gap never stalls another), and
/// owns the snapshot the persistence layer stores after each poll.
import Foundation

/// Everything that must survive a restart, as one Codable value.
public struct AccountingSnapshot: Sendable, Hashable, Codable {
    /// Bumped when the stored shape changes incompatibly.
    public static let currentVersion = 1
    public var version: Int
    public var topics: [String: TopicSnapshot]

    public init(topics: [String: TopicSnapshot] = [:]) {
        self.version = Self.currentVersion
        self.topics = topics
    }
}

/// The result of one poll over all watched topics.
public struct PollOutcome: Sendable, Hashable {
    /// In the order of the poll's topics.
    public var topics: [TopicStatus]
    /// Events in the order they should be stored (sequence numbers are the store's).
    public var events: [MigrationEvent]
    public var actions: [AccountingAction]
}

public struct MigrationAccounting: Sendable {
    public let configuration: AccountingConfiguration
    public private(set) var topics: [String: TopicAccounting] = [:]
    /// See `TopicPoll.previousPollAt`.
    private var lastPollAt: Date?

    public init(configuration: AccountingConfiguration, restoring snapshot: AccountingSnapshot? = nil) {
        self.configuration = configuration
        for (name, topic) in snapshot?.topics ?? [:] {
            topics[name] = TopicAccounting(restoring: topic, configuration: configuration)
        }
    }

    public var snapshot: AccountingSnapshot {
        AccountingSnapshot(topics: topics.mapValues(\.snapshot))
    }

    /// Advances every topic the poll read. A topic that stops being watched keeps its stored
    /// accounting (it is only reported while watched), so re-adding it resumes its counters.
    public mutating func observe(_ poll: PollObservation) -> PollOutcome {
        var outcome = PollOutcome(topics: [], events: [], actions: [])
        outcome.topics.reserveCapacity(poll.topics.count)
        let configuration = configuration
        for read in poll.topics {
            let topicPoll = TopicPoll(poll, read: read, previousPollAt: lastPollAt)
            // Advanced in place: a copy taken out and stored back cost a second lookup by name
            // and a copy of the topic's accounting, per topic and poll (~8% of the accounting of
            // a 100,000-topic poll, docs/performance.md "Big state documents").
            let result = topics[read.topic, default: TopicAccounting(topic: read.topic, configuration: configuration)]
                .observe(topicPoll)
            outcome.topics.append(result.status)
            outcome.events += result.events
            outcome.actions += result.actions
        }
        lastPollAt = poll.at
        return outcome
    }

    /// Hands back the answer to `AccountingAction.lookUpSourceOffsets`.
    public mutating func acceptTimestampLookup(
        topic: String, answer: [OffsetForTimestamp], at now: Date
    ) throws(BaselineLookupError) -> [MigrationEvent] {
        guard var accounting = topics[topic] else { throw .unknownTopic(topic) }
        let events = try accounting.acceptTimestampLookup(answer, at: now)
        topics[topic] = accounting
        return events
    }
}
