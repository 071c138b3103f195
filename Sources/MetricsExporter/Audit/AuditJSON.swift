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

    static func document(_ report: AuditReport) -> AuditJSONTree {
        .object([
            "generated_at": .string(RFC3339.string(from: report.generatedAt)),
            "verdict": .string(report.verdict.rawValue),
            "verified": .bool(report.verified),
            "exit_code": .int(Int64(report.exitCode)),
            "recent_since": .string(RFC3339.string(from: report.recentSince)),
            "reasons": .array(report.reasons.map(reason)),
            "topics": .array(report.topics.map(topic)),
            "unmigrated_topics": .array(report.unmigratedTopics.map(unmigrated)),
        ])
    }

    static func reason(_ reason: AuditReason) -> AuditJSONTree {
        .object(["check": .string(reason.check.rawValue), "ok": .bool(reason.ok), "detail": .string(reason.detail)])
    }

    static func topic(_ topic: AuditTopicReport) -> AuditJSONTree {
        let evidence = topic.evidence
        let state = evidence.state.value
        let history = evidence.history.value
        return .object([
            "topic": .string(topic.topic),
            "destination_topic": .string(topic.destinationTopic),
            "verdict": .string(topic.verdict.rawValue),
            "verified": .bool(topic.verified),
            "reasons": .array(topic.reasons.map(reason)),
            "state": state.map { .string($0.state.rawValue) } ?? .null,
            "state_since": .date(state?.since),
            "initiated_at": .date(history?.initiatedAt),
            "completed_at": .date(history?.completedAt),
            "cutover_at": .date(topic.cutoverAt),
            "post_migration_records": topic.postMigrationRecords.map { .int($0) } ?? .null,
            "partitions": .array((evidence.partitions.value ?? []).sorted { $0.partition < $1.partition }.map(partition)),
            "consumer_groups": groups(evidence.consumerGroups),
            "producers": producers(evidence.producers),
        ])
    }

    static func partition(_ partition: AuditPartitionEvidence) -> AuditJSONTree {
        let firstPostMigration: JSON
        if case .firstOffset(let offset) = partition.cutoverOffset { firstPostMigration = .int(offset) } else { firstPostMigration = .null }
        return .object([
            "partition": .int(Int64(partition.partition)),
            "source_high_watermark": partition.sourceHighWatermark.value.map { .int($0) } ?? .null,
            "destination_high_watermark": partition.destinationHighWatermark.value.map { .int($0) } ?? .null,
            "source_last_record": record(partition.sourceLastRecord),
            "destination_last_record": record(partition.destinationLastRecord),
            "first_post_migration_offset": firstPostMigration,
        ])
    }

    static func record(_ read: AuditRecordRead) -> AuditJSONTree {
        guard case .record(let offset, let milliseconds) = read else { return .null }
        return .object([
            "offset": .int(offset),
            "timestamp": .string(RFC3339.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))),
        ])
    }

    static func groups(_ evidence: AuditGroupsEvidence) -> AuditJSONTree {
        switch evidence {
        case .read(let groups):
            return .object(["checked": .bool(true), "groups": .array(groups.sorted { $0.groupId < $1.groupId }.map(group))])
        case .notAnswered, .notChecked:
            return .object(["checked": .bool(false), "groups": .array([])])
        }
    }

    static func group(_ group: AuditConsumerGroup) -> AuditJSONTree {
        .object([
            "group_id": .string(group.groupId),
            "state": .string(group.state),
            "members": .array(group.members.sorted { $0.memberId < $1.memberId }.map { member in
                .object([
                    "member_id": .string(member.memberId),
                    "client_id": .string(member.clientId),
                    "client_host": .string(member.clientHost),
                    "partitions": member.partitions.map { .array($0.sorted().map { .int(Int64($0)) }) } ?? .null,
                ])
            }),
            "committed_offsets": .array(group.committedOffsets.sorted { $0.key < $1.key }.map {
                .object(["partition": .int(Int64($0.key)), "offset": .int($0.value)])
            }),
        ])
    }

    static func producers(_ evidence: AuditProducersEvidence) -> AuditJSONTree {
        switch evidence {
        case .read(let producers):
            return .object(["checked": .bool(true), "producers": .array(producers.map { producer in
                .object([
                    "producer_id": .int(producer.producerId),
                    "producer_epoch": .int(Int64(producer.producerEpoch)),
                    "partition": .int(Int64(producer.partition)),
                    "last_write": .date(producer.lastTimestamp),
                ])
            })])
        case .unsupported, .notAnswered:
            return .object(["checked": .bool(false), "producers": .array([])])
        }
    }

    static func unmigrated(_ entry: AuditUnmigratedReport) -> AuditJSONTree {
        .object([
            "topic": .string(entry.topic),
            "verdict": .string(entry.verdict.rawValue),
            "reasons": .array(entry.reasons.map(reason)),
            "recent_records": entry.recentRecords.map { .int($0) } ?? .null,
            "partitions": .array((entry.evidence.partitions.value ?? []).sorted { $0.partition < $1.partition }.map { partition in
                .object([
                    "partition": .int(Int64(partition.partition)),
                    "high_watermark": .int(partition.highWatermark),
                    "first_recent_offset": partition.firstRecentTimestampMs == nil ? .null : partition.firstRecentOffset.map { .int($0) } ?? .null,
                    "first_recent_timestamp": partition.firstRecentTimestampMs.map {
                        .string(RFC3339.string(from: Date(timeIntervalSince1970: Double($0) / 1000)))
                    } ?? .null,
                ])
            }),
        ])
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
        date.map { .string(RFC3339.string(from: $0)) } ?? .null
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
