/// `exporterd check` on the migration state source: one read of the document the way the daemon
/// reads it (`MigrationStateSource`: its timeout, size cap, stability re-read and parser), the
/// topics and states it lists, and how they line up with the watched topics. A watched topic
/// the document leaves out is REJECT (CONTRACT §3), so that is a warning, not a failure: it may
/// be a topic not yet enabled, or a name that differs between the config and the controller.
import Diagnostics

enum StateSourceCheck {
    static func results(_ read: Result<MigrationStateDocument, MigrationStateSource.ReadError>, location: String,
                        watched: [TopicMapping]?) -> [CheckResult] {
        let name = "migration state \(location)"
        let document: MigrationStateDocument
        switch read {
        case .failure(let error): return [.fail(name, "\(error)")]
        case .success(let answered): document = answered
        }
        let states = MigrationState.allCases.compactMap { state -> String? in
            let count = document.topics.count { $0.state == state }
            return count == 0 ? nil : "\(count) \(state.rawValue)"
        }
        var results: [CheckResult] = [.pass(
            name, "read; \(document.topics.count) topic\(document.topics.count == 1 ? "" : "s")"
                + (states.isEmpty ? "" : " (\(states.joined(separator: ", ")))")
                + (document.events.isEmpty ? "" : ", \(document.events.count) events"))]
        guard let watched else { return results }
        let listed = Set(document.topics.map(\.topic))
        let watchedTopics = Set(watched.map(\.sourceTopic))
        let unlisted = watched.map(\.sourceTopic).filter { !listed.contains($0) }
        if !unlisted.isEmpty {
            results.append(.warn("migration state", "watched topics the document does not mention (taken as REJECT): \(AgentCheck.list(unlisted))"))
        }
        let unwatched = document.topics.map(\.topic).filter { !watchedTopics.contains($0) }
        if !unwatched.isEmpty {
            results.append(.warn("migration state", "topics in the document that exporterd does not watch: \(AgentCheck.list(unwatched))"))
        }
        return results
    }

    /// Topics the document says producers write through the proxy (PROXY or MIGRATING) that no
    /// agent page counts: the unproxied-writes accounting would see every one of their records
    /// as unproxied, or the agents label them with another name.
    static func proxiedButUncounted(_ document: MigrationStateDocument, watched: [TopicMapping], onNoPage: Set<String>) -> [CheckResult] {
        let proxied = watched.filter { mapping in
            guard let report = document.report(for: mapping.sourceTopic) else { return false }
            return (report.state == .proxy || report.state == .migrating) && onNoPage.contains(mapping.destinationTopic)
        }
        guard !proxied.isEmpty else { return [] }
        return [.warn("agents", "PROXY or MIGRATING topics that no agent page counts: "
            + AgentCheck.list(proxied.map { $0.sourceTopic == $0.destinationTopic ? $0.sourceTopic : "\($0.sourceTopic) (as \($0.destinationTopic))" }))]
    }
}
