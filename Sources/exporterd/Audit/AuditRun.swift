/// One audit from start to report: the state source and the store's history read beside the
/// clusters' reads, judged by `AuditVerdicts` at one `now`. The same for `exporterd audit` and
/// for the daemon's `GET /api/v1/audit` (which wraps it in `SharedAuditRun`).
import Diagnostics
import Foundation
import MetricsExporter
import SourceWatcher

struct AuditRun: AuditSource {
    let reader: AuditEvidenceReader
    /// Its own instance, not the poll loop's: a state source remembers what it read last
    /// (`StableStateDocument`), and the audit must not disturb the daemon's view.
    let stateSource: MigrationStateSource
    let history: @Sendable () async -> Result<StoreHistory, MigrationStoreError>
    var now: @Sendable () -> Date = { Date() }

    func audit() async throws -> AuditReport {
        await report()
    }

    func report() async -> AuditReport {
        let at = now()
        async let states = stateSource.read()
        async let stored = history()
        let (document, history) = await (states, stored)
        let evidence = await reader.read(states: document, history: history, now: at)
        return AuditVerdicts.judge(evidence, now: at)
    }

    /// The consumer groups check: one `readConsumerGroups` of the source for every watched
    /// topic. A read that is not complete (a broker or coordinator that did not answer, an
    /// assignment that does not decode) is no proof that no group reads a topic: every topic's
    /// check is then "not verified".
    static func consumerGroups(of cluster: KafkaCluster) -> @Sendable ([String]) async -> [String: AuditGroupsEvidence] {
        { topics in
            let read = await cluster.readConsumerGroups(of: topics)
            return Dictionary(topics.map { ($0, evidence(read, topic: $0)) }, uniquingKeysWith: { first, _ in first })
        }
    }

    static func evidence(_ read: ConsumerGroupsRead, topic: String) -> AuditGroupsEvidence {
        guard read.isComplete else {
            let shown = read.failures.prefix(3).map(\.description).joined(separator: "; ")
            let more = read.failures.count > 3 ? " and \(read.failures.count - 3) more" : ""
            return .notAnswered(shown + more)
        }
        return .read(read.groups.filter { $0.touches(topic) }.map { group in
            AuditConsumerGroup(
                groupId: group.groupId, state: group.state,
                members: group.members.map { member in
                    AuditGroupMember(memberId: member.memberId, clientId: member.clientId, clientHost: member.clientHost,
                                     partitions: member.assignment.map { $0.filter { $0.topic == topic }.map(\.partition) })
                },
                committedOffsets: Dictionary(group.committedOffsets.filter { $0.key.topic == topic }.map { ($0.key.partition, $0.value) },
                                             uniquingKeysWith: { first, _ in first }))
        })
    }
}
