/// The audit's judgement (CONTRACT §8): from `AuditEvidence` and an injected `now`, every check
/// of every watched topic with its detail, a verdict per topic, the unmigrated topics and the
/// overall verdict. Pure: the same evidence always gives the same report.
///
/// The rule that runs through it: a read that did not answer never passes. Its check is "not
/// verified", the topic UNSAFE and the report incomplete (exit 2), whatever the other checks say.
import Foundation

public enum AuditVerdicts {
    /// Partitions listed by name in a detail; past this the detail summarises.
    static let listedPartitions = 8

    public static func judge(_ evidence: AuditEvidence, now: Date) -> AuditReport {
        let recentSince = now.addingTimeInterval(-evidence.since)
        let topics = evidence.topics.map { judge(topic: $0, now: now, recentSince: recentSince) }
        let unmigrated = evidence.unmappedTopics.compactMap { judge(unmapped: $0, recentSince: recentSince) }
        var reasons: [AuditReason] = []
        switch evidence.sourceTopicList {
        case .answered(let count):
            reasons.append(AuditReason(
                check: .sourceTopicsListed, ok: true,
                detail: "\(count) source topics listed; \(evidence.unmappedTopics.count) covered by no mapping, "
                    + "\(unmigrated.count) of them with records since \(RFC3339.string(from: recentSince))"))
        case .notAnswered(let why):
            reasons.append(.notVerified(.sourceTopicsListed, "the source's topic list could not be read (\(why)), so unmigrated topics are unknown"))
        }
        let safe = topics.allSatisfy { $0.verdict == .safe } && unmigrated.isEmpty && reasons.allSatisfy(\.ok)
        return AuditReport(
            generatedAt: now, recentSince: recentSince, verdict: safe ? .safe : .unsafe,
            topics: topics, unmigratedTopics: unmigrated, reasons: reasons)
    }

    static func judge(topic evidence: AuditTopicEvidence, now: Date, recentSince: Date) -> AuditTopicReport {
        let cutover = cutoverTime(evidence)
        let postMigration = postMigrationReason(evidence, cutover: cutover)
        let reasons = [
            stateReason(evidence),
            postMigration.reason,
            replicationReason(evidence),
            consumersReason(evidence),
            producersReason(evidence, activeSince: cutover ?? recentSince),
        ]
        return AuditTopicReport(
            topic: evidence.topic, destinationTopic: evidence.destinationTopic,
            verdict: reasons.allSatisfy(\.ok) ? .safe : .unsafe, reasons: reasons,
            postMigrationRecords: postMigration.count, cutoverAt: cutover, evidence: evidence)
    }

    /// When the topic became COMPLETE: the earlier of the state's `since` and the COMPLETED
    /// event exporterd stored (the event is stamped at the poll that saw it, after the fact).
    static func cutoverTime(_ evidence: AuditTopicEvidence) -> Date? {
        guard let state = evidence.state.value, state.state == .complete else { return nil }
        let candidates = [state.since, evidence.history.value?.completedAt].compactMap { $0 }
        return candidates.min()
    }

    // MARK: - topic_complete

    static func stateReason(_ evidence: AuditTopicEvidence) -> AuditReason {
        guard case .answered(let state) = evidence.state else {
            if case .notAnswered(let why) = evidence.state {
                return .notVerified(.topicComplete, "the migration state source did not answer (\(why))")
            }
            return .notVerified(.topicComplete, "no state")
        }
        let since = state.since.map { " since \(RFC3339.string(from: $0))" } ?? ""
        var history = ""
        switch evidence.history {
        case .answered(let stored):
            var events: [String] = []
            if let at = stored.initiatedAt { events.append("INITIATED at \(RFC3339.string(from: at))") }
            if let at = stored.completedAt { events.append("COMPLETED at \(RFC3339.string(from: at))") }
            history = events.isEmpty ? "; exporterd stored no INITIATED or COMPLETED event for it"
                : "; exporterd stored " + events.joined(separator: ", ")
        case .notAnswered(let why):
            history = "; exporterd's store not read (\(why))"
        }
        switch state.state {
        case .complete:
            return AuditReason(check: .topicComplete, ok: true, detail: "COMPLETE\(since)\(history)")
        case .migrating:
            return AuditReason(check: .topicComplete, ok: false,
                               detail: "MIGRATING\(since): the cutover is in progress and may still be aborted\(history)")
        case .proxy:
            return AuditReason(check: .topicComplete, ok: false,
                               detail: "PROXY\(since): producers still write to the source through the proxy\(history)")
        case .reject:
            return AuditReason(check: .topicComplete, ok: false,
                               detail: "REJECT\(since): producers still write to the source directly\(history)")
        }
    }

    // MARK: - no_post_migration_records

    static func postMigrationReason(_ evidence: AuditTopicEvidence, cutover: Date?) -> (reason: AuditReason, count: Int64?) {
        let check = AuditCheck.noPostMigrationRecords
        guard let state = evidence.state.value else {
            return (.notVerified(check, "the topic's state is unknown"), nil)
        }
        guard state.state == .complete else {
            return (AuditReason(check: check, ok: false,
                                detail: "no cutover yet: the topic is \(state.state.rawValue), so the source still receives its records"), nil)
        }
        let stored = evidence.history.value?.postMigrationRecords
        guard let cutover else {
            return (.notVerified(check, "no cutover time (the state gives no since and the store has no COMPLETED event)"
                + (stored.map { "; exporterd counted \($0) records since the cutover" } ?? "")), stored)
        }
        let at = RFC3339.string(from: cutover)
        guard case .answered(let partitions) = evidence.partitions else {
            return (.notVerified(check, "the source's partitions are unknown (\(why(evidence.partitions)))"), stored)
        }
        var live: Int64 = 0
        var ranges: [String] = []
        var unanswered: [String] = []
        for partition in partitions.sorted(by: { $0.partition < $1.partition }) {
            guard case .answered(let highWatermark) = partition.sourceHighWatermark else {
                unanswered.append("partition \(partition.partition): source high watermark (\(why(partition.sourceHighWatermark)))")
                continue
            }
            switch partition.cutoverOffset {
            case .noRecordSince:
                continue
            case .firstOffset(let first):
                let records = max(0, highWatermark - first)
                if records > 0 {
                    live += records
                    ranges.append(records == 1 ? "partition \(partition.partition) offset \(first)"
                        : "partition \(partition.partition) offsets \(first)–\(highWatermark - 1)")
                }
            case .notAsked:
                unanswered.append("partition \(partition.partition): not looked up by timestamp")
            case .notAnswered(let reason):
                unanswered.append("partition \(partition.partition): lookup by timestamp (\(reason))")
            }
        }
        let count = max(live, stored ?? 0)
        var detail: String
        if count > 0 {
            detail = "\(count) record\(count == 1 ? "" : "s") reached the source after the cutover at \(at); they were never replicated and are lost when the source is switched off"
            if !ranges.isEmpty { detail += ": " + list(ranges) }
            if let stored, stored > live { detail += " (exporterd counted \(stored) since the cutover)" }
        } else {
            detail = "no record reached the source since the cutover at \(at)"
        }
        if !unanswered.isEmpty {
            return (AuditReason(check: check, ok: false, detail: "not verified: " + list(unanswered) + "; " + detail, verified: false), count)
        }
        return (AuditReason(check: check, ok: count == 0, detail: detail), count)
    }

    // MARK: - all_records_on_destination

    static func replicationReason(_ evidence: AuditTopicEvidence) -> AuditReason {
        let check = AuditCheck.allRecordsOnDestination
        guard case .answered(let partitions) = evidence.partitions else {
            return .notVerified(check, "the partitions are unknown (\(why(evidence.partitions)))")
        }
        guard !partitions.isEmpty else { return .notVerified(check, "the source lists no partition") }
        var failures: [String] = []
        var unanswered: [String] = []
        var matched: [String] = []
        for partition in partitions.sorted(by: { $0.partition < $1.partition }) {
            let name = "partition \(partition.partition)"
            guard case .answered(let source) = partition.sourceHighWatermark else {
                unanswered.append("\(name): source high watermark (\(why(partition.sourceHighWatermark)))")
                continue
            }
            guard case .answered(let destination) = partition.destinationHighWatermark else {
                unanswered.append("\(name): destination high watermark (\(why(partition.destinationHighWatermark)))")
                continue
            }
            if destination < source {
                let missing = source - destination
                failures.append("\(name): destination high watermark \(destination) < source \(source) (\(missing) record\(missing == 1 ? "" : "s") not on the destination)")
                continue
            }
            guard source > 0 else {
                matched.append("\(name) empty")
                continue
            }
            switch (partition.sourceLastRecord, partition.destinationLastRecord) {
            case (.notAnswered(let reason), _):
                unanswered.append("\(name): the source's last record (\(reason))")
            case (.notNeeded, _), (.noRecord, _):
                // A transaction marker last: no record to compare, the offsets say the rest.
                matched.append("\(name) up to offset \(source - 1) (no data record at its end)")
            case (.record, .notAnswered(let reason)):
                unanswered.append("\(name): the destination's copy of the last record (\(reason))")
            case (.record(let offset, let milliseconds), .record(let copyOffset, let copyMilliseconds)):
                if offset == copyOffset, milliseconds == copyMilliseconds {
                    matched.append("\(name) last record offset \(offset) at \(time(milliseconds))")
                } else {
                    failures.append("\(name): the source's last record (offset \(offset), \(time(milliseconds))) differs on the destination (offset \(copyOffset), \(time(copyMilliseconds)))")
                }
            case (.record(let offset, let milliseconds), .noRecord), (.record(let offset, let milliseconds), .notNeeded):
                failures.append("\(name): the source's last record (offset \(offset), \(time(milliseconds))) is not on the destination")
            }
        }
        if !failures.isEmpty || !unanswered.isEmpty {
            var parts = failures
            if !unanswered.isEmpty { parts.append("not verified: " + list(unanswered)) }
            return AuditReason(check: check, ok: false, detail: parts.joined(separator: "; "), verified: unanswered.isEmpty)
        }
        return AuditReason(check: check, ok: true, detail:
            "every source record is on the destination (\(partitions.count) partition\(partitions.count == 1 ? "" : "s"): destination high watermark ≥ source, last record timestamps match): " + list(matched))
    }

    // MARK: - no_source_consumers

    static let rebalancingStates: Set<String> = ["PreparingRebalance", "CompletingRebalance"]

    /// Source HWM − committed offset per committed partition, and their sum.
    static func lagText(_ group: AuditConsumerGroup, _ highWatermarks: [Int32: Int64]) -> String {
        var lags: [String] = []
        var total: Int64 = 0
        for (partition, committed) in group.committedOffsets.sorted(by: { $0.key < $1.key }) {
            guard let highWatermark = highWatermarks[partition] else { continue }
            let lag = max(0, highWatermark - committed)
            total += lag
            lags.append("p\(partition): \(lag)")
        }
        return lags.isEmpty ? "no committed offsets" : "lag \(total) (\(lags.joined(separator: ", ")))"
    }

    static func consumersReason(_ evidence: AuditTopicEvidence) -> AuditReason {
        let check = AuditCheck.noSourceConsumers
        let groups: [AuditConsumerGroup]
        switch evidence.consumerGroups {
        case .notAnswered(let why): return .notVerified(check, "the source's consumer groups could not all be read (\(why))")
        case .notChecked(let why): return .notVerified(check, "consumer groups not read (\(why))")
        case .read(let read): groups = read
        }
        let highWatermarks: [Int32: Int64] = Dictionary(
            (evidence.partitions.value ?? []).compactMap { p in p.sourceHighWatermark.value.map { (p.partition, $0) } },
            uniquingKeysWith: { first, _ in first })
        var readers: [String] = []
        var idle: [String] = []
        for group in groups.sorted(by: { $0.groupId < $1.groupId }) {
            // A member whose assignment is unknown (undecodable, or the group rebalancing and
            // about to hand out new ones) may read the topic when the group committed on it.
            let rebalancing = Self.rebalancingStates.contains(group.state)
            let reading = group.members.filter { member in
                if let partitions = member.partitions, !partitions.isEmpty { return true }
                return (member.partitions == nil || rebalancing) && !group.committedOffsets.isEmpty
            }
            // A group its coordinator calls Stable or rebalancing has members even when the
            // answer lists none (Tansu hides them): with offsets on the topic it may read it.
            let membersHidden = group.members.isEmpty && (group.state == "Stable" || rebalancing)
            if membersHidden, !group.committedOffsets.isEmpty {
                readers.append("group \(group.groupId) (\(group.state)) is active with offsets committed on the topic but its coordinator lists no members; \(lagText(group, highWatermarks))")
                continue
            }
            guard !reading.isEmpty else {
                if !group.committedOffsets.isEmpty { idle.append(group.groupId) }
                continue
            }
            let members = reading.sorted { $0.memberId < $1.memberId }.map { member -> String in
                let partitions = member.partitions.flatMap { $0.isEmpty ? nil : "partitions " + $0.sorted().map(String.init).joined(separator: ", ") }
                    ?? (rebalancing ? "rebalancing, assignment pending" : "assignment unknown")
                // Brokers may leave ids and hosts empty (Tansu does): say what is known.
                let name = !member.clientId.isEmpty ? member.clientId : (!member.memberId.isEmpty ? "member \(member.memberId)" : "a member")
                let host = member.clientHost.isEmpty ? "" : " on \(member.clientHost)"
                return "\(name)\(host) (\(partitions))"
            }
            readers.append("group \(group.groupId) (\(group.state)) has \(reading.count) member\(reading.count == 1 ? "" : "s") reading from the source: \(members.joined(separator: ", ")); \(lagText(group, highWatermarks))")
        }
        if !readers.isEmpty {
            return AuditReason(check: check, ok: false, detail: readers.joined(separator: "; "))
        }
        let note = idle.isEmpty ? "" : " (groups with committed offsets and no member reading: \(idle.joined(separator: ", ")))"
        return AuditReason(check: check, ok: true, detail: "no consumer group with members reads it from the source\(note)")
    }

    // MARK: - no_idempotent_producers

    static func producersReason(_ evidence: AuditTopicEvidence, activeSince: Date) -> AuditReason {
        let check = AuditCheck.noIdempotentProducers
        switch evidence.producers {
        case .unsupported(let brokers):
            let named = brokers.isEmpty ? "" : " (\(brokers.joined(separator: ", ")))"
            return AuditReason(check: check, ok: true, detail: "not checked: the source's brokers lack DescribeProducers\(named)")
        case .notAnswered(let why):
            return .notVerified(check, "DescribeProducers did not answer for every partition (\(why))")
        case .read(let producers):
            let active = producers.filter { $0.lastTimestamp.map { $0 >= activeSince } ?? true }
                .sorted { ($0.partition, $0.producerId) < ($1.partition, $1.producerId) }
            let since = RFC3339.string(from: activeSince)
            guard active.isEmpty else {
                let named = active.map { producer in
                    "producer \(producer.producerId) (epoch \(producer.producerEpoch)) on partition \(producer.partition), last write "
                        + (producer.lastTimestamp.map(RFC3339.string(from:)) ?? "unknown")
                }
                return AuditReason(check: check, ok: false,
                                   detail: "idempotent producers wrote to the source since \(since): " + list(named))
            }
            let older = producers.isEmpty ? "" : " (\(producers.count) producer state\(producers.count == 1 ? "" : "s") with older writes)"
            return AuditReason(check: check, ok: true, detail: "no idempotent producer wrote to the source since \(since)\(older)")
        }
    }

    // MARK: - unmigrated topics

    static func judge(unmapped: AuditUnmappedTopic, recentSince: Date) -> AuditUnmigratedReport? {
        let since = RFC3339.string(from: recentSince)
        switch unmapped.partitions {
        case .notAnswered(let why):
            return AuditUnmigratedReport(
                topic: unmapped.topic, verdict: .unsafe,
                reasons: [.notVerified(.unmigratedTopic, "no mapping covers it and its records since \(since) could not be read (\(why))")],
                recentRecords: nil, evidence: unmapped)
        case .answered(let partitions):
            let recent = partitions.filter { $0.firstRecentTimestampMs != nil }.sorted { $0.partition < $1.partition }
            guard !recent.isEmpty else { return nil }
            let count = recent.reduce(Int64(0)) { $0 + $1.recentRecords }
            let first = recent.compactMap(\.firstRecentTimestampMs).min()
            let where_ = recent.map { "partition \($0.partition) from offset \($0.firstRecentOffset ?? 0) (\($0.recentRecords))" }
            let detail = "no mapping covers it, yet it has \(count) record\(count == 1 ? "" : "s") since \(since)"
                + (first.map { ", the first at \(time($0))" } ?? "") + ": " + list(where_)
            return AuditUnmigratedReport(
                topic: unmapped.topic, verdict: .unsafe,
                reasons: [AuditReason(check: .unmigratedTopic, ok: false, detail: detail)],
                recentRecords: count, evidence: unmapped)
        }
    }

    // MARK: - text

    static func time(_ milliseconds: Int64) -> String {
        RFC3339.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func list(_ items: [String]) -> String {
        guard items.count > listedPartitions else { return items.joined(separator: ", ") }
        return items.prefix(listedPartitions).joined(separator: ", ") + " and \(items.count - listedPartitions) more"
    }

    static func why<T: Sendable & Hashable>(_ read: AuditRead<T>) -> String {
        if case .notAnswered(let reason) = read { reason } else { "answered" }
    }
}
