/// The lower bound on records that reached the source without the proxy (CONTRACT §5,
/// unproxied_source_writes), for one topic while it is PROXY or MIGRATING.
///
/// Each complete poll k contributes the source offsets S_k, which the broker read at some t_k
/// between sending the request (`sourceRequestedAt`) and receiving the answer
/// (`sourceAnsweredAt`). Its upper bound on the records proxied by t_k, hi_k, is the first
/// agents' read taken at least `publish_delay` after the answer: by then every record
/// acknowledged before t_k has been published, however slowly the broker answered. The
/// baseline's lower bound lo_b is the agents' read taken before the baseline's request was
/// sent: agents only count acknowledged records, so nothing they had counted was still missing
/// from the source. So L_k = (S_k − S_b) − (hi_k − lo_b) never exceeds the unproxied records
/// between t_b and t_k.
///
/// Those comparisons are of wall-clock stamps. When the wall clock steps between polls, the
/// polls still waiting for their hi are dropped and the streak ends (`wallClockStepped`).
///
/// A single L_k can still be too high when an agent publishes later than promised, so a value
/// only counts once it held for `confirm_polls` consecutive complete polls: the counter is the
/// best window minimum, minus the tolerance, and never decreases.
///
/// Incomplete polls: an incomplete poll adds nothing and ends the current streak, so a window
/// never spans a gap. Polls already waiting for their hi still take it from the next valid
/// agents' read, however late: a later read only widens the bound, it never makes it wrong.
import Foundation

public struct UnproxiedBound: Sendable, Hashable, Codable {
    /// (S_b, lo_b).
    struct Baseline: Sendable, Hashable, Codable {
        var sourceOffsets: Int64
        var proxiedBefore: Int64
    }

    /// A complete poll still waiting for an agents' read late enough to bound it from above.
    struct PendingPoll: Sendable, Hashable, Codable {
        /// When the source read's last answer came back.
        var sourceAnsweredAt: Date
        var sourceOffsets: Int64
        /// The streak of consecutive complete polls it belongs to.
        var streak: Int

        /// Stored under its first name so earlier snapshots still decode. A pending poll stored
        /// before the answer time was kept holds its send time instead; none survives to be
        /// resolved, since the first poll of a process drops every pending poll
        /// (`PollObservation.wallClockStepped`).
        enum CodingKeys: String, CodingKey {
            case sourceAnsweredAt = "sourceReadAt"
            case sourceOffsets, streak
        }
    }

    private(set) var baseline: Baseline?
    private(set) var pending: [PendingPoll] = []
    /// Identifies the current streak of consecutive complete polls; bumped by every break.
    private var currentStreak = 0
    /// The streak whose bounds `recentBounds` holds, and its last `confirm_polls` bounds.
    private var confirmingStreak = 0
    private var recentBounds: [Int64] = []
    /// Best confirmed bound since the baseline, before tolerance.
    private(set) var best: Int64?
    /// The counter's value when the baseline was taken: an earlier episode's count is kept when
    /// a new baseline starts (topic reset, agent restart, re-entering PROXY).
    private var carried: Int64 = 0
    /// `kafka_migration_unproxied_source_records_total`.
    public private(set) var records: Int64 = 0
    /// Poll time of the counter's last rise (diagnostic activity and cutover readiness).
    public private(set) var lastRiseAt: Date?
    /// The previous agents' total: a smaller one means the restart correction lost increments.
    private var lastProxiedRecords: Int64?

    public init() {}

    /// Feeds one agents' read (taken before this poll's source read). Resolves every waiting
    /// poll it is late enough for, in order. Returns the counter's increase (0 when none).
    mutating func resolve(
        proxiedRecords hi: Int64, readAt: Date, at now: Date, configuration: AccountingConfiguration
    ) -> Int64 {
        defer { lastProxiedRecords = hi }
        if let lastProxiedRecords, hi < lastProxiedRecords {
            // The totals are meant to be corrected for agent restarts; if one still goes
            // backwards, earlier reads are not comparable with it. Counting on would report the
            // missing increments as unproxied writes.
            startOver()
            return 0
        }
        guard let baseline else { return 0 }
        let before = records
        while let first = pending.first, readAt >= first.sourceAnsweredAt.addingTimeInterval(configuration.publishDelay) {
            pending.removeFirst()
            let bound = (first.sourceOffsets - baseline.sourceOffsets) - (hi - baseline.proxiedBefore)
            confirm(bound, streak: first.streak, configuration: configuration)
        }
        if let best {
            records = max(records, carried + max(0, best - configuration.unproxiedToleranceRecords))
        }
        if records > before { lastRiseAt = now }
        return records - before
    }

    private mutating func confirm(_ bound: Int64, streak: Int, configuration: AccountingConfiguration) {
        if streak != confirmingStreak {
            confirmingStreak = streak
            recentBounds = []
        }
        recentBounds.append(bound)
        if recentBounds.count > configuration.confirmPolls {
            recentBounds.removeFirst(recentBounds.count - configuration.confirmPolls)
        }
        if recentBounds.count == configuration.confirmPolls, let held = recentBounds.min() {
            best = max(best ?? held, held)
        }
    }

    /// The agents' totals restarted (as flagged by the restart correction): start over, and
    /// compare later totals with this one.
    mutating func agentsRestarted(proxiedRecords: Int64) {
        startOver()
        lastProxiedRecords = proxiedRecords
    }

    /// A complete poll of a PROXY or MIGRATING topic: S read between `sourceRequestedAt` and
    /// `sourceAnsweredAt`, agents' total `proxiedBefore` read at `proxiedReadAt`. The first one
    /// after a (re)start of the episode is the baseline; the others wait for their hi. A poll
    /// whose agents' read is not before the source request cannot give a lower bound: it only
    /// ends the streak.
    mutating func record(
        sourceOffsets: Int64, proxiedBefore: Int64, proxiedReadAt: Date,
        sourceRequestedAt: Date, sourceAnsweredAt: Date
    ) {
        guard proxiedReadAt <= sourceRequestedAt else {
            interrupt()
            return
        }
        guard baseline != nil else {
            baseline = Baseline(sourceOffsets: sourceOffsets, proxiedBefore: proxiedBefore)
            return
        }
        pending.append(PendingPoll(sourceAnsweredAt: sourceAnsweredAt, sourceOffsets: sourceOffsets, streak: currentStreak))
        // Normally publish_delay / poll_interval polls wait at most; only a clock stepping back
        // could keep them waiting. Dropping the oldest loses bounds, never makes one wrong.
        if pending.count > Self.maximumPending {
            pending.removeFirst(pending.count - Self.maximumPending)
            currentStreak += 1
        }
    }

    static let maximumPending = 1000

    /// An incomplete poll (or one in which the topic was not counted): ends the streak.
    mutating func interrupt() {
        currentStreak += 1
    }

    /// The wall clock stepped: the waiting polls' answer times and the next agents' read time
    /// are on different clocks, so a forward step would resolve them too early (a count that
    /// is not real) and a backward step would keep them waiting (a count that comes an hour
    /// late). They are dropped; the baseline holds no time and stays, so the writes they
    /// covered are counted by the later polls.
    mutating func wallClockStepped() {
        pending = []
        currentStreak += 1
    }

    /// Drops the baseline and everything measured against it; the next complete poll in PROXY
    /// or MIGRATING is a new baseline. The counter keeps its value and later counts add to it.
    mutating func startOver() {
        baseline = nil
        pending = []
        recentBounds = []
        best = nil
        carried = records
        currentStreak += 1
    }
}
