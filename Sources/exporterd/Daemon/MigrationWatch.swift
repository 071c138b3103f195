/// One poll of everything exporterd watches, in the order CONTRACT §5 needs — agents and the
/// state source first, then both clusters — joined by the Diagnostics engine. Holds what
/// lives from poll to poll (the engine, the corrected proxied totals, the timestamp cache,
/// the last clock reading); persistence and exposition are the daemon's business. Every stamp
/// comes from one injected clock, and a wall-clock step between polls is told to the engine.
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
    /// The stamps of the agents' read, the source read and the poll, and the monotonic time
    /// the wall clock is checked against.
    let clock: any TimeSource
    var accounting: MigrationAccounting
    var proxiedTotals: ProxiedCounterTotals
    private var timeLag = ReplicationTimeLag()
    private(set) var watched: [TopicMapping]
    private(set) var lastGoodState: MigrationStateDocument?
    /// Both clocks as last read, to tell a wall-clock step from time passing.
    private var lastClockReading: (wall: Date, monotonic: MonotonicInstant)?
    /// Wall and monotonic elapsed times may differ by this much before it counts as a step
    /// (NTP slews small corrections; a step of a second or more is not a slew).
    static let wallClockStepTolerance: TimeInterval = 1

    init(source: KafkaCluster, destination: KafkaCluster, selection: TopicSelection, agents: ProxyAgents,
         stateSource: MigrationStateSource, accounting: MigrationAccounting, proxiedTotals: ProxiedCounterTotals,
         logger: Logger, clock: any TimeSource = SystemTimeSource()) {
        self.source = source
        self.destination = destination
        self.selection = selection
        self.agents = agents
        self.stateSource = stateSource
        self.accounting = accounting
        self.proxiedTotals = proxiedTotals
        self.logger = logger
        self.clock = clock
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
        /// The agents' corrected totals per source topic after this poll's scrape.
        var proxiedCounts: [String: ProxiedCounts]
        var outcome: PollOutcome
        /// Events from the outcome plus those of baseline lookups answered this poll.
        var events: [MigrationEvent]
        /// The wall clock stepped since the previous poll or during this one (or this is the
        /// process's first poll).
        var wallClockStepped: Bool
    }

    /// One poll. `clustersRead` is called as soon as both clusters' offsets are in, before the
    /// reads that follow (producers, time lags, baseline lookups), so cluster health can be
    /// published without waiting for them (CONTRACT §4 cluster_up).
    mutating func poll(clustersRead: (ClusterOffsets, ClusterOffsets) async -> Void = { _, _ in }) async -> Poll {
        var wallClockStepped = !wallClockKeptTime()
        let at = clock.wallNow()
        await refreshWatchedTopics()

        // Agents strictly before the source read: an acknowledged record counted by an agent
        // read at t_a is on the source at any t_s ≥ t_a (the lower bound of §5). The state
        // source has no such order: it is read beside the clusters, so a slow state endpoint
        // does not hold back the clusters' reads and health.
        let agentsRequestedAt = clock.wallNow()
        async let stateRead = stateSource.read()
        var agentsNow = await agents.scrape()
        // The upper bound compares this stamp with the source's answer stamps: one clock for both.
        agentsNow.readAt = agentsRequestedAt

        let source = self.source
        let destination = self.destination
        let sourceTopics = watched.map(\.sourceTopic)
        let destinationTopics = Array(Set(watched.map(\.destinationTopic))).sorted()
        async let sourceRead = source.readOffsets(of: sourceTopics)
        async let destinationRead = destination.readOffsets(of: destinationTopics)
        async let producersRead = source.describeProducers(of: sourceTopics)
        let (sourceOffsets, destinationOffsets) = await (sourceRead, destinationRead)
        if !wallClockKeptTime() { wallClockStepped = true }
        await clustersRead(sourceOffsets, destinationOffsets)
        let (producers, stateNow) = await (producersRead, stateRead)

        let destinationToSource = Dictionary(watched.map { ($0.destinationTopic, $0.sourceTopic) }, uniquingKeysWith: { first, _ in first })
        for case (_, .failure(let error)) in agentsNow.pages {
            logger.warning("proxy agent did not answer", metadata: ["error": "\(error)"])
        }
        let (proxied, proxiedCounts) = Self.proxiedReadAndCounts(
            agentsNow, sourceTopics: destinationToSource, totals: &proxiedTotals, logger: logger)

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
            let sourceTopic = sourceOffsets.topics[mapping.sourceTopic]
            return TopicRead(
                topic: mapping.sourceTopic,
                // A topic that did not answer has no stamps; its read counts for nothing anyway.
                sourceRequestedAt: sourceTopic?.requestedAt ?? sourceOffsets.readAt,
                sourceAnsweredAt: sourceTopic?.answeredAt ?? at,
                sourceHighWatermarks: highWatermarks(sourceOffsets.topics[mapping.sourceTopic]),
                destinationHighWatermarks: highWatermarks(destinationOffsets.topics[mapping.destinationTopic]),
                timeLagSeconds: lags[mapping.sourceTopic],
                directProducers: Self.directProducers(producers, topic: mapping.sourceTopic))
        }
        let outcome = accounting.observe(PollObservation(
            at: at, proxied: proxied, stateDocument: stateDocument, topics: reads, wallClockStepped: wallClockStepped))
        var events = outcome.events
        for action in outcome.actions {
            if case .lookUpSourceOffsets(let topic, let timestamp) = action {
                events += await lookUpBaseline(topic: topic, at: timestamp, now: at)
            }
        }
        return Poll(at: at, watched: watched, agents: agentsNow, stateSourceUp: stateDocument != nil,
                    sourceOffsets: sourceOffsets, destinationOffsets: destinationOffsets,
                    proxiedCounts: proxiedCounts, outcome: outcome, events: events, wallClockStepped: wallClockStepped)
    }

    /// Reads both clocks and says whether the wall clock moved as the monotonic one did since
    /// the last reading. False on the first reading: a step while exporterd was down cannot
    /// be seen, so the stamps it persisted are not trusted against new ones.
    private mutating func wallClockKeptTime() -> Bool {
        let reading = (wall: clock.wallNow(), monotonic: clock.monotonicNow())
        defer { lastClockReading = reading }
        guard let last = lastClockReading else { return false }
        let wallElapsed = reading.wall.timeIntervalSince(last.wall)
        let elapsed = reading.monotonic - last.monotonic
        let monotonicElapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard abs(wallElapsed - monotonicElapsed) <= Self.wallClockStepTolerance else {
            logger.warning("wall clock stepped; unproxied bounds waiting on earlier polls are dropped", metadata: [
                "wall_elapsed_seconds": "\(wallElapsed)", "monotonic_elapsed_seconds": "\(monotonicElapsed)"])
            return false
        }
        return true
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
        proxiedReadAndCounts(read, sourceTopics: sourceTopics, totals: &totals, logger: logger).read
    }

    /// `proxiedRead`, plus the corrected totals per source topic it was made from (also when
    /// the read is incomplete: `/metrics` shows the last totals): summed once per poll, since
    /// the sum walks every series of every agent.
    static func proxiedReadAndCounts(
        _ read: ProxyAgents.Read, sourceTopics: [String: String], totals: inout ProxiedCounterTotals, logger: Logger
    ) -> (read: ProxiedRead?, counts: [String: ProxiedCounts]) {
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
        let counts = totals.countsBySourceTopic
        guard complete else { return (nil, counts) }
        return (ProxiedRead(readAt: read.readAt, recordsByTopic: counts.mapValues(\.records),
                            restartedTopics: totals.takeUnreportedRestarts()), counts)
    }

    /// Expands `topics_regex` against the source's topic list (cached metadata, refreshed by
    /// its maximum age). An unreachable source keeps the last list.
    private mutating func refreshWatchedTopics() async {
        guard selection.needsSourceTopicList else { return }
        do {
            let metadata = try await source.currentMetadata(covering: nil, deadline: source.newReadDeadline())
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
