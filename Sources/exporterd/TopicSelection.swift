/// Which topics exporterd watches: every `topic_mappings` entry, plus every source topic that
/// `topics_regex` matches in full (a partial match would let `payments` pick up
/// `old_payments_backup`), mapped to the same name on the destination.
struct TopicSelection {
    let mappings: [TopicMapping]
    let regex: String?

    /// Whether the source topic list is needed (only to expand the regex).
    var needsSourceTopicList: Bool { regex != nil }

    func resolve(sourceTopics: [String]) throws -> [TopicMapping] {
        var result = mappings
        if let regex {
            let pattern = try Regex(regex)
            let mapped = Set(mappings.map(\.sourceTopic))
            for topic in sourceTopics.sorted() where !mapped.contains(topic) {
                if (try? pattern.wholeMatch(in: topic)) != nil {
                    result.append(TopicMapping(sourceTopic: topic, destinationTopic: topic))
                }
            }
        }
        return result
    }
}
