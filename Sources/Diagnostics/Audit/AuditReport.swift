/// The pre-decommission audit's result (CONTRACT §8): per watched topic a verdict with every
/// reason, the source topics that no mapping covers yet hold recent records, and the overall
/// verdict and exit code. Built by `AuditVerdicts.judge`; rendered to JSON, Markdown and HTML
/// by MetricsExporter.
import Foundation

public enum AuditVerdict: String, Sendable, Hashable, Codable {
    case safe = "SAFE"
    case unsafe = "UNSAFE"
}

/// The checks, by the names the report's `check` field carries.
public enum AuditCheck: String, Sendable, Hashable, CaseIterable, Codable {
    /// The topic is COMPLETE: producers write to the destination only.
    case topicComplete = "topic_complete"
    /// No record reached the source after the cutover.
    case noPostMigrationRecords = "no_post_migration_records"
    /// Per partition destination HWM ≥ source HWM, and the source's last record is on the
    /// destination at the same offset with the same timestamp.
    case allRecordsOnDestination = "all_records_on_destination"
    /// No consumer group with members reads the topic from the source.
    case noSourceConsumers = "no_source_consumers"
    /// No idempotent producer writes to the topic on the source.
    case noIdempotentProducers = "no_idempotent_producers"
    /// A source topic no mapping covers has records newer than `--since`.
    case unmigratedTopic = "unmigrated_topic"
    /// The source's topic list was read, so every unmigrated topic is known.
    case sourceTopicsListed = "source_topics_listed"
}

/// One line of evidence. `verified` is false when a read it needed did not answer: such a
/// reason is never ok, and the report is incomplete (exit 2).
public struct AuditReason: Sendable, Hashable {
    public var check: AuditCheck
    public var ok: Bool
    public var detail: String
    public var verified: Bool

    public init(check: AuditCheck, ok: Bool, detail: String, verified: Bool = true) {
        self.check = check
        self.ok = ok && verified
        self.detail = detail
        self.verified = verified
    }

    static func notVerified(_ check: AuditCheck, _ detail: String) -> AuditReason {
        AuditReason(check: check, ok: false, detail: "not verified: " + detail, verified: false)
    }
}

public struct AuditTopicReport: Sendable, Hashable {
    public var topic: String
    public var destinationTopic: String
    public var verdict: AuditVerdict
    /// Every check, in `AuditCheck` order, passed or not.
    public var reasons: [AuditReason]
    /// Records on the source after the cutover (the larger of the live count and the
    /// daemon's stored counter); nil when not known.
    public var postMigrationRecords: Int64?
    /// The cutover time the post-migration count starts from.
    public var cutoverAt: Date?
    public var evidence: AuditTopicEvidence

    public var verified: Bool { reasons.allSatisfy(\.verified) }
}

public struct AuditUnmigratedReport: Sendable, Hashable {
    public var topic: String
    public var verdict: AuditVerdict
    public var reasons: [AuditReason]
    /// Records newer than the window's start, over all partitions; nil when not read.
    public var recentRecords: Int64?
    public var evidence: AuditUnmappedTopic
}

public struct AuditReport: Sendable, Hashable {
    public var generatedAt: Date
    /// The start of the `--since` window.
    public var recentSince: Date
    public var verdict: AuditVerdict
    public var topics: [AuditTopicReport]
    public var unmigratedTopics: [AuditUnmigratedReport]
    /// Checks about the whole source cluster (its topic list).
    public var reasons: [AuditReason]

    /// Every read the audit needed answered.
    public var verified: Bool {
        reasons.allSatisfy(\.verified) && topics.allSatisfy(\.verified)
            && unmigratedTopics.allSatisfy { $0.reasons.allSatisfy(\.verified) }
    }

    /// CONTRACT §8: 0 when everything is SAFE, 1 when something is UNSAFE, 2 when the audit
    /// could not verify something (a cluster, partition or the state source did not answer):
    /// never 0 on missing evidence.
    public var exitCode: Int32 {
        if !verified { return 2 }
        return verdict == .safe ? 0 : 1
    }
}
