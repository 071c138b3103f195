/// The poll loop as a swift-service-lifecycle `Service`: every `poll_interval` (by the injected
/// clock) one `MigrationWatch` poll, committed to the store in one transaction, then published
/// to the HTTP side. Cluster health is published earlier, as soon as a poll's offsets reads are
/// in, so a cluster that stops answering shows within `request_timeout` of the poll's start
/// whatever the rest of the poll waits for. On SIGTERM/SIGINT the poll in progress finishes and
/// is committed before the store closes, so nothing counted is lost.
import Diagnostics
import Dispatch
import Foundation
import Logging
import MetricsExporter
import ServiceLifecycle
import SourceWatcher

final class PollService: Service, @unchecked Sendable {
    // @unchecked: `watch` and the counters below are touched only by `run()`, one poll at a time.
    private var watch: MigrationWatch
    private let store: MigrationStore
    private let state: ExporterState
    private let broadcaster: EventBroadcaster
    private let interval: Duration
    private let exportPartitionMetrics: Bool
    private let logger: Logger
    private var eventCounts: [MigrationEventType: Int64]
    private var pendingEvents: [MigrationEvent] = []
    private var sourceHealth = ClusterMetrics()
    private var destinationHealth = ClusterMetrics()
    private var storeHealth = StoreHealth()
    /// A full snapshot has been published: cluster health may be folded into it.
    private var publishedOnce = false
    /// The cluster-health publish of the poll in progress. Publishing renders the whole page
    /// (~0.1 s at 100,000 partitions), so it runs beside the poll's later reads instead of
    /// before them; the poll's own publish waits for it, so the older page never lands last.
    private var healthPublish: Task<Void, Never>?
    private let clock: any TimeSource

    init(watch: MigrationWatch, store: MigrationStore, state: ExporterState, broadcaster: EventBroadcaster, interval: Duration,
         exportPartitionMetrics: Bool, eventCounts: [MigrationEventType: Int64], logger: Logger) {
        self.clock = watch.clock
        self.watch = watch
        self.store = store
        self.state = state
        self.broadcaster = broadcaster
        self.interval = interval
        self.exportPartitionMetrics = exportPartitionMetrics
        self.eventCounts = eventCounts
        self.logger = logger
    }

    func run() async throws {
        let clock = self.clock
        var next = clock.monotonicNow()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await pollOnce()
            next = next.advanced(by: interval)
            let now = clock.monotonicNow()
            if next < now { next = now }  // a slow poll delays the next, never bunches them
            try? await cancelWhenGracefulShutdown { [next] in try await clock.sleep(until: next) }
        }
        broadcaster.finishAll()
        do {
            // In a task of its own, which does not inherit a cancellation of the loop: a close
            // cut short would leave the connection open and the WAL unflushed.
            let store = self.store
            try await Task { try await store.close() }.value
        } catch {
            logger.error("closing the store failed", metadata: ["error": "\(error)"])
        }
    }

    /// One poll, committed, then published. Exposed for tests that drive polls one by one.
    func pollOnce() async {
        let poll = await watch.poll { source, destination in
            self.publishClusterHealth(source: source, destination: destination)
        }
        pendingEvents += poll.events
        do {
            let stored = try await store.commitPoll(
                documents: [StoredDocumentName.accounting: watch.accounting.snapshot,
                            StoredDocumentName.proxied: watch.proxiedTotals],
                events: pendingEvents, at: poll.at)
            // Events of a poll whose commit failed stay pending and go out with the next commit.
            pendingEvents.removeAll()
            storeHealth.up = true
            // SSE clients get committed events only, so a replay from the store never disagrees.
            broadcaster.publish(stored.compactMap { try? EventPayload(stored: $0) })
            for event in stored {
                eventCounts[event.event.type, default: 0] += 1
                logger.notice("migration event", metadata: [
                    "seq": "\(event.seq)", "topic": "\(event.event.topic)", "type": "\(event.event.type.rawValue)"])
            }
        } catch {
            storeHealth.up = false
            storeHealth.commitFailures += 1
            logger.error("committing the poll to data_dir failed; counters and events are kept in memory and committed with the next poll",
                         metadata: ["error": "\(error)", "pending_events": "\(pendingEvents.count)"])
        }
        await healthPublish?.value
        healthPublish = nil
        await Self.publish(snapshot(of: poll), to: state)
        publishedOnce = true
    }

    /// Publishing renders the whole page, so it runs on a Dispatch thread rather than on one of
    /// the few (one per core) threads that also run the HTTP handlers: scrapes keep all of
    /// those while a page renders (MetricsRenderBenchmark `scrape`, docs/performance.md).
    private static func publish(_ snapshot: MetricsSnapshot, to state: ExporterState) async {
        await withCheckedContinuation { (published: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                state.publish(snapshot)
                published.resume()
            }
        }
    }

    /// Folds a poll's offsets reads into the cluster health and publishes it at once, with the
    /// rest of the page as the last full poll left it (its last complete values).
    private func publishClusterHealth(source: ClusterOffsets, destination: ClusterOffsets) {
        sourceHealth.record(source)
        destinationHealth.record(destination)
        guard publishedOnce else { return }
        var snapshot = state.latestSnapshot()
        snapshot.source = sourceHealth
        snapshot.destination = destinationHealth
        let state = self.state
        healthPublish = Task { await Self.publish(snapshot, to: state) }
    }

    private func snapshot(of poll: MigrationWatch.Poll) -> MetricsSnapshot {
        let destinations = Dictionary(poll.watched.map { ($0.sourceTopic, $0.destinationTopic) }, uniquingKeysWith: { first, _ in first })
        let statuses = Dictionary(poll.outcome.topics.map { ($0.topic, $0) }, uniquingKeysWith: { _, last in last })
        // Summed once per poll (by the poll itself): per-topic lookups would each walk every
        // agent's entries (quadratic at 10k topics).
        let proxied = poll.proxiedCounts
        let topics = poll.watched.compactMap { mapping -> TopicStatus? in
            guard var status = statuses[mapping.sourceTopic] else { return nil }
            status.destinationTopic = destinations[mapping.sourceTopic] ?? mapping.sourceTopic
            let counts = proxied[mapping.sourceTopic] ?? (0, 0)
            status.proxiedRecords = Double(counts.records)
            status.proxiedBytes = Double(counts.bytes)
            return status
        }
        let targets = watch.agents.settings.targets.map { target in
            let problem = poll.agents.problem(of: target, totals: watch.proxiedTotals)
            return ProxyTargetMetrics(target: target, up: problem == nil, error: problem)
        }
        return MetricsSnapshot(
            topics: topics, eventCounts: eventCounts, source: sourceHealth, destination: destinationHealth,
            proxyTargets: targets, stateSourceUp: poll.stateSourceUp, store: storeHealth, exportPartitionMetrics: exportPartitionMetrics)
    }
}

extension ClusterMetrics {
    /// Folds one offsets read into the cluster's health series. A read that ran into
    /// `request_timeout` is incomplete: `up` 0 and the unanswered partitions missing from
    /// `answeredPartitions`.
    mutating func record(_ offsets: ClusterOffsets) {
        up = offsets.isComplete
        watchedPartitions = offsets.watchedPartitionCount
        answeredPartitions = offsets.answeredPartitionCount
        if offsets.isComplete { lastSuccessfulPoll = offsets.readAt }
        pollDurations.observe(offsets.duration)
    }
}
