/// `exporterd check` on the watched topics: the mappings (and `topics_regex`, expanded against
/// the source's topic list) matched against both clusters' metadata. A watched topic must exist
/// on both sides with the same partition count (the replicator preserves partitions and
/// offsets; a destination with fewer partitions loses records, one with more never gets them
/// all compared), and every partition must have a leader to be read.
import SourceWatcher

enum TopicMatchCheck {
    /// The watched mappings: the config's, plus the regex's matches when the source answered.
    /// nil when the regex needs the source's topic list and the source did not answer.
    static func watched(_ selection: TopicSelection, source: ClusterMetadata?) -> [TopicMapping]? {
        guard selection.needsSourceTopicList else { return selection.mappings }
        guard let source else { return nil }
        // The regex was compiled when the config loaded; it cannot fail here.
        return (try? selection.resolve(sourceTopics: source.topicNames)) ?? selection.mappings
    }

    static func results(_ selection: TopicSelection, source: ClusterMetadata?, destination: ClusterMetadata?) -> [CheckResult] {
        guard let source, let destination else {
            let missing = [source == nil ? "source" : nil, destination == nil ? "destination" : nil].compactMap { $0 }
            return [.fail("topics", "not matched: the \(missing.joined(separator: " and ")) cluster gave no metadata")]
        }
        let mappings = watched(selection, source: source) ?? selection.mappings
        var results: [CheckResult] = []
        if let regex = selection.regex {
            let matched = mappings.count - selection.mappings.count
            if matched == 0 {
                results.append(.warn("topics_regex", "\"\(regex)\" matches no unmapped source topic"))
            } else {
                results.append(.pass("topics_regex", "\"\(regex)\" matches \(matched) source topic\(matched == 1 ? "" : "s")"))
            }
        }
        if mappings.isEmpty {
            results.append(.fail("topics", "no topic to watch: topic_mappings is empty and topics_regex matches nothing"))
        }
        for mapping in mappings {
            results.append(result(mapping, source: source, destination: destination))
        }
        return results
    }

    static func result(_ mapping: TopicMapping, source: ClusterMetadata, destination: ClusterMetadata) -> CheckResult {
        let name = "topic \(mapping.sourceTopic) → \(mapping.destinationTopic)"
        let sourceSide = side(mapping.sourceTopic, in: source, cluster: "source")
        let destinationSide = side(mapping.destinationTopic, in: destination, cluster: "destination")
        var problems: [String] = []
        if case .problem(let text) = sourceSide { problems.append(text) }
        if case .problem(let text) = destinationSide { problems.append(text) }
        if case .partitions(let sourceCount) = sourceSide, case .partitions(let destinationCount) = destinationSide,
           sourceCount != destinationCount {
            problems.append("partition counts differ: source \(sourceCount), destination \(destinationCount)")
        }
        problems += leaderless(mapping.sourceTopic, in: source, cluster: "source")
        problems += leaderless(mapping.destinationTopic, in: destination, cluster: "destination")
        if problems.isEmpty, case .partitions(let count) = sourceSide {
            return .pass(name, "\(count) partition\(count == 1 ? "" : "s") on both clusters")
        }
        return .fail(name, problems.joined(separator: "; "))
    }

    private enum Side {
        case partitions(Int)
        case problem(String)
    }

    private static func side(_ topic: String, in metadata: ClusterMetadata, cluster: String) -> Side {
        guard let entry = metadata.topics[topic] else { return .problem("not on the \(cluster) cluster") }
        guard entry.errorCode == .none else {
            if entry.errorCode == .unknownTopicOrPartition { return .problem("not on the \(cluster) cluster") }
            return .problem("the \(cluster) cluster answers \(entry.errorCode) for it")
        }
        return .partitions(entry.partitions.count)
    }

    /// Partitions no broker leads: their offsets cannot be read, so the topic's accounting stops.
    private static func leaderless(_ topic: String, in metadata: ClusterMetadata, cluster: String) -> [String] {
        guard let partitions = metadata.partitions(of: topic) else { return [] }
        let without = partitions.filter { metadata.leader(of: $0) == nil }.map { "\($0.partition)" }
        guard !without.isEmpty else { return [] }
        return ["\(cluster) partition\(without.count == 1 ? "" : "s") \(without.joined(separator: ", ")) without a leader"]
    }
}
