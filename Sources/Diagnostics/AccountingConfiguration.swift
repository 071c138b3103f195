/// The settings of `proxy_metrics`, `migration_state` and `diagnostics` (CONTRACT §2) that the
/// accounting needs, already parsed into plain values. Not persisted: a restart reads them anew.
import Foundation

public struct AccountingConfiguration: Sendable, Hashable {
    /// `proxy_metrics.publish_delay`: an acknowledged record shows in the agents' counters at
    /// most this long after it was appended.
    public var publishDelay: TimeInterval
    /// `diagnostics.confirm_polls`: polls an excess must persist before it counts (at least 1).
    public var confirmPolls: Int
    /// `diagnostics.unproxied_tolerance_records`.
    public var unproxiedToleranceRecords: Int64
    /// `migration_state.default_migration_timeout`.
    public var defaultMigrationTimeout: TimeInterval
    /// `diagnostics.cutover_max_time_lag`.
    public var cutoverMaxTimeLag: TimeInterval
    /// `diagnostics.cutover_max_offset_lag`; nil = no limit.
    public var cutoverMaxOffsetLag: Int64?
    /// How long a diagnostic stays active after its counter last rose, and how long after an
    /// unproxied write a topic is not cutover-ready (five minutes in the contract).
    public var recentWindow: TimeInterval
    /// Complete MIGRATING polls the drain rate is measured over (migration_timeout_risk).
    public var drainRatePolls: Int
    /// The longest the state may go unobserved between the last poll that saw a topic
    /// MIGRATING and the one that sees it COMPLETE for that poll's source read to be COMPLETE's
    /// baseline; past it the topic may have gone back to PROXY and forwarded records unseen
    /// (three poll intervals in `exporterd run`).
    public var cutoverObservationLimit: TimeInterval

    public init(
        publishDelay: TimeInterval = 2,
        confirmPolls: Int = 3,
        unproxiedToleranceRecords: Int64 = 0,
        defaultMigrationTimeout: TimeInterval = 300,
        cutoverMaxTimeLag: TimeInterval = 180,
        cutoverMaxOffsetLag: Int64? = nil,
        recentWindow: TimeInterval = 300,
        drainRatePolls: Int = 5,
        cutoverObservationLimit: TimeInterval = 15
    ) {
        self.publishDelay = publishDelay
        self.confirmPolls = max(1, confirmPolls)
        self.unproxiedToleranceRecords = max(0, unproxiedToleranceRecords)
        self.defaultMigrationTimeout = defaultMigrationTimeout
        self.cutoverMaxTimeLag = cutoverMaxTimeLag
        self.cutoverMaxOffsetLag = cutoverMaxOffsetLag
        self.recentWindow = recentWindow
        self.drainRatePolls = max(2, drainRatePolls)
        self.cutoverObservationLimit = cutoverObservationLimit
    }
}
