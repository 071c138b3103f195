/// Which migration state document a poll acts on (CONTRACT §3). A controller that rewrites its
/// file in place can be read mid-write, and YAML cut at a line boundary is still a valid
/// document, one that lists fewer topics. Acted on, it would turn the missing topics into
/// REJECT: spurious DISABLED events, a permanent INVALID_TRANSITION for a COMPLETE topic, and
/// fresh baselines that drop the direct writes made just before. So:
/// - content is acted on only when it is stable: unchanged since the previous poll's read, or
///   the same on a second read at least `settleInterval` after the first;
/// - a topic that drops out of a stable document keeps its last report for one more poll, and
///   is REJECT only when the next stable document confirms it gone (a writer that stalls
///   mid-file for longer than the settle interval is caught there).
///
/// No I/O and no clock: the reader hands in the bytes it read and when it read them.
import Foundation

public struct StableStateDocument: Sendable {
    /// The least time between the two reads that show content is not being written.
    public static let settleInterval: TimeInterval = 0.1

    /// What the reader does with a read it handed in.
    public enum Step: Sendable, Equatable {
        /// New content: read the document again, no earlier than `notBefore`, and hand that in.
        case readAgain(notBefore: Date)
        /// Stable: parse this content and hand the document to `act(on:)`.
        case stable(Data)
        /// The two reads differ: the document is being written. Nothing is acted on this poll.
        case changing
    }

    /// The content the last finished poll read; nil at start and after a failed read.
    private var previousContent: Data?
    /// This poll's first read of new content, waiting for its confirming second read.
    private var pendingContent: Data?
    private var pendingReadAt: Date?
    /// The document the last acted-on poll used, carried topics included.
    public private(set) var actedOn: MigrationStateDocument?
    /// Topics that `actedOn` lists only because they were carried over: the next stable
    /// document that lacks them confirms them gone.
    public private(set) var vanishing: Set<String> = []
    /// The stable document `act(on:)` was last handed, before any carried topic was added.
    private var lastDocument: MigrationStateDocument?

    public init() {}

    /// After a restart: the topics the restored accounting last saw listed count as acted on,
    /// so a document caught mid-write by the first poll turns none of them REJECT either.
    public init(restoring snapshot: AccountingSnapshot?) {
        let listed = (snapshot?.topics.values ?? [:].values).compactMap { topic -> TopicStateReport? in
            guard let reported = topic.reportedState, reported != .reject, let since = topic.since else { return nil }
            return TopicStateReport(topic: topic.topic, state: reported, since: since, migrationTimeoutSeconds: topic.migrationTimeoutSeconds)
        }
        if !listed.isEmpty { actedOn = MigrationStateDocument(topics: listed.sorted { $0.topic < $1.topic }) }
    }

    /// Hands in one read of the document's raw content.
    public mutating func read(_ content: Data, at: Date) -> Step {
        if let pending = pendingContent, let firstAt = pendingReadAt {
            let earliest = firstAt.addingTimeInterval(Self.settleInterval)
            guard at >= earliest else { return .readAgain(notBefore: earliest) }
            pendingContent = nil
            pendingReadAt = nil
            // Either way this is what the document held when the poll ended; unchanged on the
            // next poll, it is stable then.
            previousContent = content
            return content == pending ? .stable(content) : .changing
        }
        if content == previousContent { return .stable(content) }
        pendingContent = content
        pendingReadAt = at
        return .readAgain(notBefore: at.addingTimeInterval(Self.settleInterval))
    }

    /// The poll's read failed (unreadable, too large, invalid): nothing of it counts as the
    /// previous content, so the next poll's content is confirmed by a second read.
    public mutating func readFailed() {
        previousContent = nil
        pendingContent = nil
        pendingReadAt = nil
    }

    /// Takes a stable document and returns the one to act on: `document` plus, for one poll,
    /// the last report of each topic that has just dropped out of it.
    public mutating func act(on document: MigrationStateDocument) -> MigrationStateDocument {
        // The document acted on last time again (every poll on unchanged content; the reader
        // hands back the same parsed value, which compares equal at once): what it carried over
        // then is confirmed gone now, and nothing else is missing from it. The lookups below
        // would find just that, at 100,000 hashed names per poll.
        if let lastDocument, lastDocument == document {
            vanishing = []
            actedOn = document
            return document
        }
        lastDocument = document
        var effective = document
        let carried = (actedOn?.topics ?? []).filter {
            document.report(for: $0.topic) == nil && !vanishing.contains($0.topic)
        }
        effective.append(carried)
        vanishing = Set(carried.map(\.topic))
        actedOn = effective
        return effective
    }
}
