/// How a topic follows the states its state source reports (CONTRACT §6): which events a change
/// records, which reported reason wins, and what each change does to the accounting.
import Foundation

extension TopicAccounting {
    /// Follows this poll's report (a topic the document does not list is REJECT).
    mutating func followState(_ poll: TopicPoll) -> [MigrationEvent] {
        let reported = poll.report?.state ?? .reject
        let reportedSince = poll.report?.since
        guard let current = snapshot.state, let previousReported = snapshot.reportedState else {
            // First sight: nothing was seen changing, so nothing is recorded. A topic met in
            // PROXY or MIGRATING takes its baseline at its first complete poll; one met COMPLETE
            // has no baseline and asks for a timestamp lookup.
            snapshot.state = reported
            snapshot.reportedState = reported
            snapshot.since = reportedSince
            snapshot.migrationTimeoutSeconds = poll.report?.migrationTimeoutSeconds
            if reported == .migrating { snapshot.drain.startOver() }
            return []
        }

        if current == .complete {
            // Source writes of a COMPLETE topic are lost at decommission whatever the controller
            // says next, so accounting stays COMPLETE; each new reported move is recorded once.
            defer { snapshot.reportedState = reported }
            guard reported != previousReported, reported != .complete else { return [] }
            snapshot.lastInvalidTransitionAt = poll.at
            return [transitionEvent(.invalidTransition, from: previousReported, to: reported, at: reportedSince ?? poll.at)]
        }

        if reported == current {
            // A later `since` on the same state means a round trip between two polls; its events
            // cannot be told apart, so only the clock is taken (a new MIGRATING period restarts
            // the drain measurement and the timeout).
            if let reportedSince, reportedSince != snapshot.since {
                snapshot.since = reportedSince
                if current == .migrating {
                    snapshot.drain.startOver()
                    // The round trip went through PROXY: reads before it are no baseline.
                    snapshot.migrating = nil
                }
            }
            snapshot.reportedState = reported
            snapshot.migrationTimeoutSeconds = poll.report?.migrationTimeoutSeconds
            return []
        }

        let at = reportedSince ?? poll.at
        var events: [MigrationEvent] = []
        switch MigrationTransition(from: current, to: reported) {
        case .allowed(let types) where types.count == 2:
            // PROXY→COMPLETE between two polls: the cutover started and finished unseen.
            events.append(transitionEvent(types[0], from: current, to: .migrating, at: at, poll: poll))
            events.append(transitionEvent(types[1], from: .migrating, to: reported, at: at, poll: poll))
        case .allowed(let types):
            events += types.map { transitionEvent($0, from: current, to: reported, at: at, poll: poll) }
        case .migrationEnded:
            let timedOut = migrationDeadline.map { at >= $0 } ?? false
            events.append(transitionEvent(timedOut ? .timedOut : .aborted, from: current, to: reported, at: at, poll: poll))
        case .invalid:
            snapshot.lastInvalidTransitionAt = poll.at
            events.append(transitionEvent(.invalidTransition, from: current, to: reported, at: at))
        }
        enter(reported, from: current, at: poll.at, previousPollAt: poll.previousPollAt)
        snapshot.since = reportedSince ?? poll.at
        snapshot.migrationTimeoutSeconds = poll.report?.migrationTimeoutSeconds
        return events
    }

    /// Effects of a followed move on the accounting.
    private mutating func enter(
        _ state: MigrationState, from previous: MigrationState, at now: Date, previousPollAt: Date?
    ) {
        if previous.countsUnproxiedWrites != state.countsUnproxiedWrites {
            // Leaving: pending bounds are dropped (a lower count, never a wrong one). Entering:
            // the next complete poll is the baseline.
            snapshot.unproxied.startOver()
        }
        if state == .migrating { snapshot.drain.startOver() }
        if state == .complete, previous == .migrating, let period = snapshot.migrating {
            // S_c: the last complete source read before COMPLETE was seen, taken while
            // MIGRATING, when the proxy holds writes. A read taken before that (PROXY→COMPLETE
            // seen at once: a cutover faster than a poll, or one exporterd was down across)
            // misses the records the proxy forwarded up to the cutover, which are no
            // post-migration writes. Then, as without any read, the baseline stays unknown and
            // the next complete poll looks it up by timestamp at `since`. So it does when the
            // state went unobserved before COMPLETE (exporterd stopped, the state source down)
            // for longer than a few poll intervals, unless the poll just before, in this
            // process, saw it (polls slower than the interval at a million partitions): the
            // topic may have gone back to PROXY and MIGRATING again meanwhile, unseen; a read
            // of a poll that saw MIGRATING is then a floor for the lookup.
            let seenUpToCutover = period.observedAt == previousPollAt
                || now.timeIntervalSince(period.observedAt) <= configuration.cutoverObservationLimit
            if seenUpToCutover, let lastOffsets = period.sourceOffsets {
                snapshot.postMigration.setBaseline(lastOffsets)
            } else {
                snapshot.postMigration.awaitLookup(floor: period.observedSourceOffsets)
            }
        }
        // Each MIGRATING period has its own reads; the next one starts with none.
        snapshot.migrating = nil
        snapshot.state = state
        snapshot.reportedState = state
    }

    /// A lifecycle event with what the operator needs at that moment. A reason the state source
    /// reported for the same move wins over the inferred one, and brings its own time.
    private func transitionEvent(
        _ inferred: MigrationEventType, from: MigrationState, to: MigrationState, at: Date, poll: TopicPoll
    ) -> MigrationEvent {
        let alternatives: Set<MigrationEventType> =
            inferred == .aborted || inferred == .timedOut ? [.aborted, .timedOut] : [inferred]
        let notBefore = snapshot.since ?? .distantPast
        let reported = poll.reportedEvents
            .filter { alternatives.contains($0.type) && $0.at >= notBefore }
            .max { $0.at < $1.at }
        var event = transitionEvent(reported?.type ?? inferred, from: from, to: to, at: reported?.at ?? at)
        if from == .migrating, snapshot.state == .migrating, let since = snapshot.since {
            event.details["seconds_migrating"] = .seconds(event.at.timeIntervalSince(since))
        }
        return event
    }

    private func transitionEvent(
        _ type: MigrationEventType, from: MigrationState, to: MigrationState, at: Date
    ) -> MigrationEvent {
        var details: [String: EventDetail] = [:]
        if let lag = snapshot.offsetLag { details["offset_lag"] = .integer(lag) }
        if let timeLag = snapshot.timeLagSeconds { details["time_lag_seconds"] = .seconds(timeLag) }
        if let offsets = snapshot.sourceOffsets { details["source_offsets"] = .integer(offsets) }
        details["unproxied_records"] = .integer(snapshot.unproxied.records)
        if snapshot.postMigration.records > 0 {
            details["post_migration_records"] = .integer(snapshot.postMigration.records)
        }
        return MigrationEvent(topic: topic, type: type, from: from, to: to, at: at, details: details)
    }
}
