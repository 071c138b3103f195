/// The audit as JSON (CONTRACT §8): what `exporterd audit --format json` prints and
/// `GET /api/v1/audit` answers, byte for byte. The contract's keys (`generated_at`, `verdict`,
/// `topics[].topic/destination_topic/verdict/reasons`, `unmigrated_topics`) plus the evidence
/// behind each verdict. Every key is always present; what was not read is an explicit null,
/// and the reason's detail says why. Described in `docs/openapi.yaml` (`Audit`).
import Diagnostics
import Foundation

public enum AuditJSON {
    /// Keys sorted, so the same report always gives the same bytes.
    public static func render(_ report: AuditReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return try encoder.encode(document(report))
    }

    typealias Tree = AuditJSONTree

    static func document(_ report: AuditReport) -> Tree {
        var o: [String: Tree] = [:]
        o["generated_at"] = .string(RFC3339.string(from: report.generatedAt))
        o["verdict"] = .string(report.verdict.rawValue)
        o["verified"] = .bool(report.verified)
        o["exit_code"] = .int(Int64(report.exitCode))
        o["recent_since"] = .string(RFC3339.string(from: report.recentSince))
        o["reasons"] = .array(report.reasons.map(reason))
        o["topics"] = .array(report.topics.map(topic))
        o["unmigrated_topics"] = .array(report.unmigratedTopics.map(unmigrated))
        return .object(o)
    }

    static func reason(_ reason: AuditReason) -> Tree {
        .object(["check": .string(reason.check.rawValue), "ok": .bool(reason.ok), "detail": .string(reason.detail)])
    }

    static func topic(_ topic: AuditTopicReport) -> Tree {
        let evidence = topic.evidence
        let state: AuditStateEvidence? = evidence.state.value
        let history: AuditHistory? = evidence.history.value
        var o: [String: Tree] = [:]
        o["topic"] = .string(topic.topic)
        o["destination_topic"] = .string(topic.destinationTopic)
        o["verdict"] = .string(topic.verdict.rawValue)
        o["verified"] = .bool(topic.verified)
        o["reasons"] = .array(topic.reasons.map(reason))
        o["state"] = .text(state?.state.rawValue)
        o["state_since"] = .date(state?.since)
        o["initiated_at"] = .date(history?.initiatedAt)
        o["completed_at"] = .date(history?.completedAt)
        o["cutover_at"] = .date(topic.cutoverAt)
        o["post_migration_records"] = .number(topic.postMigrationRecords)
        let partitions = (evidence.partitions.value ?? []).sorted { $0.partition < $1.partition }
        o["partitions"] = .array(partitions.map(partition))
        o["consumer_groups"] = groups(evidence.consumerGroups)
        o["producers"] = producers(evidence.producers)
        return .object(o)
    }

    static func partition(_ partition: AuditPartitionEvidence) -> Tree {
        var firstPostMigration: Int64?
        if case .firstOffset(let offset) = partition.cutoverOffset { firstPostMigration = offset }
        var o: [String: Tree] = [:]
        o["partition"] = .int(Int64(partition.partition))
        o["source_high_watermark"] = .number(partition.sourceHighWatermark.value)
        o["destination_high_watermark"] = .number(partition.destinationHighWatermark.value)
        o["source_last_record"] = record(partition.sourceLastRecord)
        o["destination_last_record"] = record(partition.destinationLastRecord)
        o["first_post_migration_offset"] = .number(firstPostMigration)
        return .object(o)
    }

    static func record(_ read: AuditRecordRead) -> Tree {
        guard case .record(let offset, let milliseconds) = read else { return .null }
        return .object(["offset": .int(offset), "timestamp": .date(milliseconds: milliseconds)])
    }

    static func groups(_ evidence: AuditGroupsEvidence) -> Tree {
        guard case .read(let groups) = evidence else {
            return .object(["checked": .bool(false), "groups": .array([])])
        }
        return .object(["checked": .bool(true), "groups": .array(groups.sorted { $0.groupId < $1.groupId }.map(group))])
    }

    static func group(_ group: AuditConsumerGroup) -> Tree {
        let members: [Tree] = group.members.sorted { $0.memberId < $1.memberId }.map { member in
            var o: [String: Tree] = [:]
            o["member_id"] = .string(member.memberId)
            o["client_id"] = .string(member.clientId)
            o["client_host"] = .string(member.clientHost)
            if let partitions = member.partitions {
                o["partitions"] = .array(partitions.sorted().map { Tree.int(Int64($0)) })
            } else {
                o["partitions"] = .null
            }
            return .object(o)
        }
        let committed: [Tree] = group.committedOffsets.sorted { $0.key < $1.key }.map { entry in
            .object(["partition": .int(Int64(entry.key)), "offset": .int(entry.value)])
        }
        return .object(["group_id": .string(group.groupId), "state": .string(group.state),
                        "members": .array(members), "committed_offsets": .array(committed)])
    }

    static func producers(_ evidence: AuditProducersEvidence) -> Tree {
        guard case .read(let producers) = evidence else {
            return .object(["checked": .bool(false), "producers": .array([])])
        }
        let listed: [Tree] = producers.map { producer in
            var o: [String: Tree] = [:]
            o["producer_id"] = .int(producer.producerId)
            o["producer_epoch"] = .int(Int64(producer.producerEpoch))
            o["partition"] = .int(Int64(producer.partition))
            o["last_write"] = .date(producer.lastTimestamp)
            return .object(o)
        }
        return .object(["checked": .bool(true), "producers": .array(listed)])
    }

    static func unmigrated(_ entry: AuditUnmigratedReport) -> Tree {
        let partitions: [Tree] = (entry.evidence.partitions.value ?? []).sorted { $0.partition < $1.partition }.map { partition in
            let fresh = partition.firstRecentTimestampMs != nil
            var o: [String: Tree] = [:]
            o["partition"] = .int(Int64(partition.partition))
            o["high_watermark"] = .int(partition.highWatermark)
            o["first_recent_offset"] = .number(fresh ? partition.firstRecentOffset : nil)
            o["first_recent_timestamp"] = partition.firstRecentTimestampMs.map { Tree.date(milliseconds: $0) } ?? .null
            return .object(o)
        }
        var o: [String: Tree] = [:]
        o["topic"] = .string(entry.topic)
        o["verdict"] = .string(entry.verdict.rawValue)
        o["reasons"] = .array(entry.reasons.map(reason))
        o["recent_records"] = .number(entry.recentRecords)
        o["partitions"] = .array(partitions)
        return .object(o)
    }
}

/// A JSON tree, so every key is written even when its value is null.
indirect enum AuditJSONTree: Encodable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
    case array([AuditJSONTree])
    case object([String: AuditJSONTree])

    static func date(_ date: Date?) -> AuditJSONTree {
        guard let date else { return .null }
        return .string(RFC3339.string(from: date))
    }

    static func date(milliseconds: Int64) -> AuditJSONTree {
        .string(RFC3339.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)))
    }

    static func text(_ text: String?) -> AuditJSONTree {
        guard let text else { return .null }
        return .string(text)
    }

    static func number(_ value: Int64?) -> AuditJSONTree {
        guard let value else { return .null }
        return .int(value)
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let value):
            var c = encoder.singleValueContainer()
            try c.encode(value)
        case .int(let value):
            var c = encoder.singleValueContainer()
            try c.encode(value)
        case .bool(let value):
            var c = encoder.singleValueContainer()
            try c.encode(value)
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .array(let values):
            var c = encoder.unkeyedContainer()
            for value in values { try c.encode(value) }
        case .object(let members):
            var c = encoder.container(keyedBy: Key.self)
            for (key, value) in members { try c.encode(value, forKey: Key(stringValue: key)) }
        }
    }
}
