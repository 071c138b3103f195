/// One poll of everything exporterd watches, in the order CONTRACT §5 needs — agents and the
/// state source first, then both clusters — joined by the Diagnostics engine. Holds what
/// lives from poll to poll (the engine, the corrected proxied totals, the timestamp cache);
/// persistence and exposition are the daemon's business.
import Diagnostics
import Foundation
import Logging
import SourceWatcher

struct MigrationWatch {
    let source: KafkaCluster
    let destination: KafkaCluster
    let selection: TopicSelection
    let agents: ProxyAgents
    let stateSource: MigrationStateSource
    let logger: Logger
    var accounting: MigrationAccounting
    var proxiedTotals: ProxiedCounterTotals
    private var timeLag = ReplicationTimeLag()
    private(set) var watched: [TopicMapping]
    private(set) var lastGoodState: MigrationStateDocument?

    init(source: KafkaCluster, destination: KafkaCluster, selection: TopicSelection, agents: ProxyAgents,
         stateSource: MigrationStateSource, accounting: MigrationAccounting, proxiedTotals: ProxiedCounterTotals,
         logger: Logger) {
        self.source = source
        self.destination = destination
        self.selection = selection
        self.agents = agents
        self.stateSource = stateSource
        self.accounting = accounting
        self.proxiedTotals = proxiedTotals
        self.logger = logger
        self.watched = selection.mappings
    }

    /// What one poll saw and concluded.
    struct Poll {
        var at: Date
        var watched: [TopicMapping]
        var agents: ProxyAgents.Read
        var stateSourceUp: Bool
        var sourceOffsets: ClusterOffsets
        var destinationOffsets: ClusterOffsets
        var outcome: PollOutcome
        /// Events from the outcome plus those of baseline lookups answered this poll.
        var events: [MigrationEvent]
    }

    mutating func poll() async -> Poll {
        let at = Date()
        await refreshWatchedTopics()

        // Agents strictly before the source read: an acknowledged record counted by an agent
        // read at t_a is on the source at any t_s ≥ t_a (the lower bound of §5).
        async let agentRead = agents.scrape()
        async let stateRead = stateSource.read()
        let (agentsNow, stateNow) = await (agentRead, stateRead)

        async let sourceRead = source.readOffsets(of: watched.map(\.sourceTopic))
        async let destinationRead = destination.readOffsets(of: Array(Set(watched.map(\.destinationTopic))))
        async let producersRead = source.describeProducers(of: watched.map(\.sourceTopic))
        let (sourceOffsets, destinationOffsets, producers) = await (sourceRead, destinationRead, producersRead)

        let destinationToSource = Dictionary(watched.map { ($0.destinationTopic, $0.sourceTopic) }, uniquingKeysWith: { first, _ in first })
        for case (_, .failure(let error)) in agentsNow.pages {
            logger.warning("proxy agent did not answer", metadata: ["error": "\(error)"])
        }
        let proxied = Self.proxiedRead(agentsNow, sourceTopics: destinationToSource, totals: &proxiedTotals, logger: logger)

        let stateDocument: MigrationStateDocument?
        switch stateNow {
        case .success(let document):
            stateDocument = document
            lastGoodState = document
        case .failure(let error):
            stateDocument = nil
            logger.warning("migration state unreadable; keeping the last good states", metadata: ["error": "\(error)"])
        }

        let lags = await timeLags(sourceOffsets: sourceOffsets, destinationOffsets: destinationOffsets, now: at)
        let reads = watched.map { mapping in
            TopicRead(
                topic: mapping.sourceTopic,
                sourceReadAt: sourceOffsets.readAt,
                sourceHighWatermarks: highWatermarks(sourceOffsets.topics[mapping.sourceTopic]),
                destinationHighWatermarks: highWatermarks(destinationOffsets.topics[mapping.destinationTopic]),
                timeLagSeconds: lags[mapping.sourceTopic],
                directProducers: Self.directProducers(producers, topic: mapping.sourceTopic))
        }
        let outcome = accounting.observe(PollObservation(at: at, proxied: proxied, stateDocument: stateDocument, topics: reads))
        var events = outcome.events
        for action in outcome.actions {
            if case .lookUpSourceOffsets(let topic, let timestamp) = action {
                events += await lookUpBaseline(topic: topic, at: timestamp, now: at)
            }
        }
        return Poll(at: at, watched: watched, agents: agentsNow, stateSourceUp: stateDocument != nil,
                    sourceOffsets: sourceOffsets, destinationOffsets: destinationOffsets,
                    outcome: outcome, events: events)
    }

    /// Folds one scrape of the agents into the corrected totals and makes the accounting's
    /// view of it: nil unless every agent answered with a usable page and none of them has a
    /// series missing. Restarts (per series, or of an agent's process) are kept in the totals
    /// until a complete read reports them — also those seen while another agent was down,
    /// which the totals absorbed already: the accounting would otherwise count the records
    /// the restarted series lost as unproxied writes.
    static func proxiedRead(
        _ read: ProxyAgents.Read, sourceTopics: [String: String], totals: inout ProxiedCounterTotals, logger: Logger
    ) -> ProxiedRead? {
        var complete = true
        for target in read.pages.keys.sorted() {
            guard case .success(let page)? = read.pages[target] else {
                complete = false
                continue
            }
            let observed = totals.observe(target: target, page: page, sourceTopics: sourceTopics)
            let shown = ProxyAgents.shown(target)
            if observed.processRestarted {
                logger.notice("proxy agent restarted (process_start_time_seconds changed); fresh baselines", metadata: [
                    "target": "\(shown)", "topics": "\(observed.restartedTopics.sorted())"])
            } else if !observed.restartedTopics.isEmpty {
                logger.notice("proxy agent counters restarted or retired; fresh baselines", metadata: [
                    "target": "\(shown)", "topics": "\(observed.restartedTopics.sorted())",
                    "retired": "\(observed.retired.map(\.description).sorted())"])
            }
            for missing in observed.missing {
                logger.warning("proxy agent counters incomplete", metadata: ["target": "\(shown)", "series": "\(missing)"])
            }
            complete = complete && observed.isComplete
        }
        guard complete else { return nil }
        return ProxiedRead(readAt: read.readAt, recordsByTopic: totals.recordsBySourceTopic,
                           restartedTopics: totals.takeUnreportedRestarts())
    }

    /// Expands `topics_regex` against the source's topic list (cached metadata, refreshed by
    /// its maximum age). An unreachable source keeps the last list.
    private mutating func refreshWatchedTopics() async {
        guard selection.needsSourceTopicList else { return }
        do {
            let metadata = try await source.currentMetadata(covering: nil)
            watched = try selection.resolve(sourceTopics: metadata.topicNames)
        } catch {
            logger.warning("cannot list source topics for topics_regex", metadata: ["error": "\(error)"])
        }
    }

    /// DescribeProducers as the engine takes it: a broker without the API is "not checked",
    /// an incomplete read is no read (the last complete one stays in force).
    static func directProducers(_ read: ProducersRead, topic: String) -> DirectProducers? {
        switch read {
        case .unsupported: return .unsupported
        case .read(let cluster):
            guard let all = cluster.topics[topic]?.allProducers else { return nil }
            return .producers(all.map {
                ProducerInfo(producerId: $0.producer.producerId, producerEpoch: $0.producer.producerEpoch,
                             lastTimestampMs: $0.producer.lastTimestamp, partition: $0.partition)
            })
        }
    }

    private func highWatermarks(_ topic: ClusterOffsets.TopicOffsets?) -> [Int32: Int64]? {
        guard let topic, topic.isComplete else { return nil }
        return topic.partitions.mapValues(\.highWatermark)
    }

    private mutating func timeLags(sourceOffsets: ClusterOffsets, destinationOffsets: ClusterOffsets, now: Date) async -> [String: Double] {
        var lagging: [ReplicationTimeLag.Lagging] = []
        var complete: Set<String> = []
        for mapping in watched {
            guard let sourceTopic = sourceOffsets.topics[mapping.sourceTopic], sourceTopic.isComplete,
                  let destinationTopic = destinationOffsets.topics[mapping.destinationTopic], destinationTopic.isComplete
            else { continue }
            complete.insert(mapping.sourceTopic)
            for (index, offsets) in sourceTopic.partitions {
                let destinationHWM = destinationTopic.partitions[index]?.highWatermark ?? 0
                if offsets.highWatermark > destinationHWM {
                    lagging.append(.init(partition: TopicPartition(topic: mapping.sourceTopic, partition: index),
                                         destinationHighWatermark: destinationHWM, sourceHighWatermark: offsets.highWatermark))
                }
            }
        }
        let measured = await timeLag.measure(lagging: lagging, source: source, now: now)
        let laggingTopics = Set(lagging.map(\.partition.topic))
        var result: [String: Double] = [:]
        for topic in complete {
            if !laggingTopics.contains(topic) {
                result[topic] = 0
            } else if let lag = measured[topic] {
                result[topic] = lag
            }
        }
        return result
    }

    /// A topic met already COMPLETE without a baseline: its baseline is the source's offsets at
    /// the state's `since` (CONTRACT §5). A failed lookup is asked again on the next poll.
    private mutating func lookUpBaseline(topic: String, at timestamp: Date, now: Date) async -> [MigrationEvent] {
        guard let partitions = await sourcePartitions(of: topic) else { return [] }
        let milliseconds = Int64((timestamp.timeIntervalSince1970 * 1000).rounded(.down))
        let outcome = await source.listOffsets(partitions, query: .timestamp(milliseconds))
        guard outcome.failures.isEmpty, outcome.offsets.count == partitions.count else {
            logger.warning("baseline lookup by timestamp failed; retrying next poll", metadata: ["topic": "\(topic)"])
            return []
        }
        let answer = outcome.offsets.map { OffsetForTimestamp(partition: $0.key.partition, timestamp: $0.value.timestamp, offset: $0.value.offset) }
        do {
            return try accounting.acceptTimestampLookup(topic: topic, answer: answer, at: now)
        } catch {
            logger.warning("baseline lookup answer refused", metadata: ["topic": "\(topic)", "error": "\(error)"])
            return []
        }
    }

    private func sourcePartitions(of topic: String) async -> [TopicPartition]? {
        try? await source.currentMetadata(covering: [topic]).partitions(of: topic)
    }
}
