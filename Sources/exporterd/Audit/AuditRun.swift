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

    /// The consumer groups check. This build has no consumer-group read of its own yet, so
    /// every topic's check is "not verified" and never SAFE (CONTRACT §8 forbids a SAFE without it).
    static func consumerGroups(of cluster: KafkaCluster) -> @Sendable ([String]) async -> [String: AuditGroupsEvidence] {
        { topics in Dictionary(topics.map { ($0, .notChecked("this exporterd build cannot read consumer groups")) }, uniquingKeysWith: { first, _ in first }) }
    }
}
