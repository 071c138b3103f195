/// One topic's accounting as a value type: driven once per poll by a `TopicPoll`, it follows the
/// topic's migration state, keeps the unproxied and post-migration counters, and decides which
/// diagnostics fire. No I/O: what it needs read (a timestamp lookup) comes back as an action.
/// Everything a restart must keep is in `snapshot`.
import Foundation

/// What survives a restart for one topic. Restoring it and going on gives the same results as
/// never stopping.
public struct TopicSnapshot: Sendable, Hashable, Codable {
    public var topic: String
    /// The state used for accounting.
    var state: MigrationState?
    /// The state the source last reported (differs after a move out of COMPLETE).
    var reportedState: MigrationState?
    var since: Date?
    var migrationTimeoutSeconds: Double?
    /// Last read where every source partition answered.
    @OptionalPartitionValues var sourceHighWatermarks: [Int32: Int64]?
    var destinationOffsets: Int64?
    @PartitionValues var partitionOffsetLags: [Int32: Int64] = [:]
    var offsetLag: Int64?
    var timeLagSeconds: Double?
    var unproxied = UnproxiedBound()
    var postMigration = PostMigrationCount()
    /// The current MIGRATING period as polls saw it: COMPLETE's baseline comes from here.
    var migrating: MigratingPeriod?
    var drain = DrainProgress()
    var lastResetAt: Date?
    var lastInvalidTransitionAt: Date?
    /// Optional so snapshots stored before direct producers were tracked still decode.
    var directProducers: DirectProducerTracking?

    init(topic: String) {
        self.topic = topic
    }

    var sourceOffsets: Int64? { sourceHighWatermarks.map { $0.values.reduce(0, +) } }
}

/// What the polls saw of a topic's current MIGRATING period (since it entered MIGRATING or its
/// `since` moved).
struct MigratingPeriod: Sendable, Hashable, Codable {
    /// When the state source last answered MIGRATING.
    var observedAt: Date
    /// The last complete source read while the topic was taken to be MIGRATING, the state
    /// source answering or not: the contract's S_c.
    var sourceOffsets: Int64?
    /// The last complete source read of a poll the state source answered MIGRATING: one
    /// surely taken before the cutover.
    var observedSourceOffsets: Int64?
}

public struct TopicAccounting: Sendable {
    public let configuration: AccountingConfiguration
    public internal(set) var snapshot: TopicSnapshot

    public var topic: String { snapshot.topic }

    public init(topic: String, configuration: AccountingConfiguration) {
        self.configuration = configuration
        self.snapshot = TopicSnapshot(topic: topic)
    }

    public init(restoring snapshot: TopicSnapshot, configuration: AccountingConfiguration) {
        self.configuration = configuration
        self.snapshot = snapshot
    }

    /// Advances the topic by one poll.
    public mutating func observe(_ poll: TopicPoll) -> TopicOutcome {
        var events: [MigrationEvent] = []
        var actions: [AccountingAction] = []
        let sourceHighWatermarks = poll.read.sourceHighWatermarks
        let agentsUp = poll.proxiedRecords != nil && poll.proxiedReadAt != nil

        // 1. The agents' read bounds earlier polls from above. A restart guess makes totals
        //    incomparable with earlier ones: start the episode over rather than risk a count.
        if poll.wallClockStepped {
            snapshot.unproxied.wallClockStepped()
        }
        if let proxied = poll.proxiedRecords, let readAt = poll.proxiedReadAt {
            if poll.proxiedCountersRestarted {
                snapshot.unproxied.agentsRestarted(proxiedRecords: proxied)
            } else {
                let wasActive = isActive(snapshot.unproxied.lastRiseAt, at: poll.at)
                let increase = snapshot.unproxied.resolve(
                    proxiedRecords: proxied, readAt: readAt, at: poll.at, configuration: configuration)
                if increase > 0, !wasActive {
                    events.append(diagnosticEvent(.unproxiedWritesDetected, at: poll.at, details: [
                        "records": .integer(snapshot.unproxied.records), "increase": .integer(increase),
                    ]))
                }
            }
        }

        // 2. The state source.
        if poll.stateSourceUp {
            events += followState(poll)
        }

        // 3. The source read: a partition going backwards means the topic was recreated.
        if let current = sourceHighWatermarks {
            if let previous = snapshot.sourceHighWatermarks, Self.wentBackwards(from: previous, to: current) {
                events.append(resetTopic(previous: previous, current: current, at: poll.at))
            }
            snapshot.sourceHighWatermarks = current
        }
        let sourceOffsets = sourceHighWatermarks.map { $0.values.reduce(0, +) }
        if snapshot.state == .migrating {
            // A period starts at a poll that saw MIGRATING (a snapshot stored before periods
            // were kept starts one at its next such poll).
            if poll.stateSourceUp, snapshot.migrating == nil { snapshot.migrating = MigratingPeriod(observedAt: poll.at) }
            if poll.stateSourceUp { snapshot.migrating?.observedAt = poll.at }
            if let sourceOffsets {
                snapshot.migrating?.sourceOffsets = sourceOffsets
                if poll.stateSourceUp { snapshot.migrating?.observedSourceOffsets = sourceOffsets }
            }
        }

        // 4. Unproxied accounting: only on polls where source, agents and state all answered.
        //    A poll across a wall-clock step is not recorded either: the step may fall between
        //    its own stamps.
        if snapshot.state?.countsUnproxiedWrites == true {
            if !poll.wallClockStepped, let sourceOffsets, let proxied = poll.proxiedRecords,
               let proxiedReadAt = poll.proxiedReadAt, poll.stateSourceUp, agentsUp {
                snapshot.unproxied.record(
                    sourceOffsets: sourceOffsets, proxiedBefore: proxied, proxiedReadAt: proxiedReadAt,
                    sourceRequestedAt: poll.read.sourceRequestedAt, sourceAnsweredAt: poll.read.sourceAnsweredAt)
            } else {
                snapshot.unproxied.interrupt()
            }
        }

        // 5. Post-migration accounting needs the source and the state, not the agents.
        if snapshot.state == .complete, let sourceOffsets, poll.stateSourceUp {
            if snapshot.postMigration.baseline == nil, let since = snapshot.since {
                actions.append(.lookUpSourceOffsets(topic: topic, timestamp: since))
            }
            events += countPostMigration(sourceOffsets: sourceOffsets, at: poll.at)
        }

        // 6. Direct producers: read independently of everything else (DescribeProducers).
        events += observeDirectProducers(poll)

        // 7. Lags, from reads where both clusters answered fully.
        let lagsKnown = updateLags(poll)
        if snapshot.state == .migrating, lagsKnown, poll.stateSourceUp, let lag = snapshot.offsetLag {
            snapshot.drain.observe(offsetLag: lag, at: poll.at, configuration: configuration)
        }

        let advanced = sourceOffsets != nil && poll.stateSourceUp
            && (agentsUp || snapshot.state == .complete || snapshot.state == .reject)
        let status = status(poll: poll, lagsKnown: lagsKnown, agentsUp: agentsUp, advanced: advanced)
        return TopicOutcome(status: status, events: events, actions: actions)
    }

    /// Accepts the answer to `lookUpSourceOffsets`: S_c is the sum of the offsets found, and a
    /// partition answering timestamp −1 has no record since the cutover, so its current high
    /// watermark is its baseline whatever offset it reports.
    public mutating func acceptTimestampLookup(
        _ answer: [OffsetForTimestamp], at now: Date
    ) throws(BaselineLookupError) -> [MigrationEvent] {
        guard snapshot.state == .complete, snapshot.postMigration.baseline == nil else {
            throw .notAwaitingLookup(topic: topic)
        }
        guard let current = snapshot.sourceHighWatermarks else { throw .noCompleteSourceRead(topic: topic) }
        var byPartition: [Int32: OffsetForTimestamp] = [:]
        for entry in answer {
            guard current[entry.partition] != nil else {
                throw .unexpectedPartition(topic: topic, partition: entry.partition)
            }
            byPartition[entry.partition] = entry
        }
        var baseline: Int64 = 0
        for (partition, highWatermark) in current {
            guard let entry = byPartition[partition] else { throw .missingPartition(topic: topic, partition: partition) }
            // An offset past the high watermark we read would only hide records: clamp it.
            baseline += entry.timestamp == -1 ? highWatermark : min(max(0, entry.offset), highWatermark)
        }
        // A read taken while MIGRATING is no later than the cutover: a lookup answering below
        // it went by a record timestamp set ahead of the cutover and would count its records.
        baseline = max(baseline, snapshot.postMigration.lookupFloor ?? 0)
        snapshot.postMigration.setBaseline(baseline)
        return countPostMigration(sourceOffsets: snapshot.sourceOffsets ?? baseline, at: now)
    }

    private mutating func countPostMigration(sourceOffsets: Int64, at now: Date) -> [MigrationEvent] {
        let wasActive = isActive(snapshot.postMigration.lastRiseAt, at: now)
        let increase = snapshot.postMigration.observe(sourceOffsets: sourceOffsets, at: now)
        guard increase > 0, !wasActive else { return [] }
        return [diagnosticEvent(.postMigrationWritesDetected, at: now, details: [
            "records": .integer(snapshot.postMigration.records), "increase": .integer(increase),
        ])]
    }

    private static func wentBackwards(from previous: [Int32: Int64], to current: [Int32: Int64]) -> Bool {
        previous.contains { partition, offset in
            guard let now = current[partition] else { return true }
            return now < offset
        }
    }

    /// New baselines for everything measured against the old topic; counters keep their values.
    private mutating func resetTopic(previous: [Int32: Int64], current: [Int32: Int64], at now: Date) -> MigrationEvent {
        snapshot.unproxied.startOver()
        snapshot.drain.startOver()
        let newOffsets = current.values.reduce(0, +)
        if snapshot.state == .complete {
            if snapshot.postMigration.baseline != nil {
                snapshot.postMigration.setBaseline(newOffsets)
            } else {
                // A floor read from the old topic would hide the new one's records.
                snapshot.postMigration.awaitLookup(floor: nil)
            }
        }
        snapshot.migrating = nil
        snapshot.lastResetAt = now
        return diagnosticEvent(.sourceTopicReset, at: now, details: [
            "previous_source_offsets": .integer(previous.values.reduce(0, +)),
            "source_offsets": .integer(newOffsets),
        ])
    }

    /// Returns whether both clusters answered fully this poll.
    private mutating func updateLags(_ poll: TopicPoll) -> Bool {
        guard let source = poll.read.sourceHighWatermarks, let destination = poll.read.destinationHighWatermarks else {
            return false
        }
        var lags: [Int32: Int64] = [:]
        for (partition, highWatermark) in source {
            lags[partition] = OffsetLag.partition(
                sourceHighWatermark: highWatermark, destinationHighWatermark: destination[partition] ?? 0)
        }
        snapshot.partitionOffsetLags = lags
        snapshot.offsetLag = lags.values.reduce(0, +)
        snapshot.destinationOffsets = destination.values.reduce(0, +)
        snapshot.timeLagSeconds = poll.read.timeLagSeconds
        return true
    }

    func isActive(_ lastRise: Date?, at now: Date) -> Bool {
        guard let lastRise else { return false }
        return now.timeIntervalSince(lastRise) < configuration.recentWindow
    }

    func diagnosticEvent(_ type: MigrationEventType, at: Date, details: [String: EventDetail]) -> MigrationEvent {
        MigrationEvent(topic: topic, type: type, at: at, details: details)
    }

    private func status(poll: TopicPoll, lagsKnown: Bool, agentsUp: Bool, advanced: Bool) -> TopicStatus {
        let state = snapshot.state
        let complete = state == .complete
        var diagnostics: Set<Diagnostic> = []
        if isActive(snapshot.unproxied.lastRiseAt, at: poll.at) { diagnostics.insert(.unproxiedSourceWrites) }
        if isActive(snapshot.postMigration.lastRiseAt, at: poll.at) { diagnostics.insert(.postMigrationSourceWrites) }
        if isActive(snapshot.lastResetAt, at: poll.at) { diagnostics.insert(.sourceTopicReset) }
        if isActive(snapshot.lastInvalidTransitionAt, at: poll.at) { diagnostics.insert(.invalidTransition) }
        if !agentsUp { diagnostics.insert(.proxyCountersIncomplete) }
        let producers = snapshot.directProducers ?? DirectProducerTracking()
        if state?.forbidsDirectProducers == true, producers.active(at: poll.at, window: configuration.recentWindow) {
            diagnostics.insert(.directSourceProducers)
        }
        // Cutover diagnostics only on this poll's complete data: nothing fires on a gap.
        let fresh = lagsKnown && poll.stateSourceUp
        if state == .migrating, fresh {
            if snapshot.drain.stalled(configuration: configuration) { diagnostics.insert(.migrationStalled) }
            if let deadline = migrationDeadline, snapshot.drain.timeoutRisk(deadline: deadline) {
                diagnostics.insert(.migrationTimeoutRisk)
            }
        }
        var cutoverReady = false
        if state == .proxy, fresh, agentsUp, let timeLag = snapshot.timeLagSeconds, let lag = snapshot.offsetLag {
            cutoverReady = timeLag <= configuration.cutoverMaxTimeLag
                && lag <= (configuration.cutoverMaxOffsetLag ?? .max)
                && !isActive(snapshot.unproxied.lastRiseAt, at: poll.at)
        }
        return TopicStatus(
            topic: topic, state: state,
            reportedState: snapshot.reportedState == state ? nil : snapshot.reportedState,
            since: snapshot.since, sourceOffsets: snapshot.sourceOffsets,
            destinationOffsets: snapshot.destinationOffsets,
            offsetLag: complete ? nil : snapshot.offsetLag,
            partitionOffsetLags: complete ? [:] : snapshot.partitionOffsetLags,
            timeLagSeconds: complete ? nil : snapshot.timeLagSeconds,
            unproxiedSourceRecords: snapshot.unproxied.records,
            postMigrationSourceRecords: snapshot.postMigration.records,
            diagnostics: diagnostics, cutoverReady: cutoverReady, advanced: advanced,
            directProducers: producers.latest,
            directProducersCheck: producers.supported.map { $0 ? .checked : .unsupported } ?? .notRead)
    }

    /// DIRECT_PRODUCER_DETECTED once per producer id seen writing recently while the proxy
    /// should be the topic's only writer.
    private mutating func observeDirectProducers(_ poll: TopicPoll) -> [MigrationEvent] {
        guard let read = poll.read.directProducers else { return [] }
        var tracking = snapshot.directProducers ?? DirectProducerTracking()
        let fresh = tracking.observe(
            read, at: poll.at, window: configuration.recentWindow,
            watching: snapshot.state?.forbidsDirectProducers == true)
        snapshot.directProducers = tracking
        guard !fresh.isEmpty else { return [] }
        return fresh.compactMap { entries in
            guard let latest = entries.max(by: { ($0.lastTimestamp ?? .distantPast) < ($1.lastTimestamp ?? .distantPast) }) else {
                return nil
            }
            var details: [String: EventDetail] = [
                "producer_id": .integer(latest.producerId),
                "producer_epoch": .integer(Int64(latest.producerEpoch)),
                "partition": .integer(Int64(latest.partition)),
                "partitions": .text(Set(entries.map(\.partition)).sorted().map(String.init).joined(separator: ",")),
            ]
            if let lastWrite = latest.lastTimestamp { details["last_write"] = .text(RFC3339.string(from: lastWrite)) }
            return diagnosticEvent(.directProducerDetected, at: poll.at, details: details)
        }
    }

    /// When the current MIGRATING period times out.
    var migrationDeadline: Date? {
        guard snapshot.state == .migrating, let since = snapshot.since else { return nil }
        return since.addingTimeInterval(snapshot.migrationTimeoutSeconds ?? configuration.defaultMigrationTimeout)
    }
}
