/// The four states a topic moves through during a proxy-based producer migration (CONTRACT §1),
/// and which moves between them the model allows (§5 invalid_transition, §6 events).
public enum MigrationState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Producers write to the source directly (the default for an unlisted topic).
    case reject = "REJECT"
    /// Producers write through the proxy, which forwards to the source.
    case proxy = "PROXY"
    /// The proxy answers retriable errors while the replication lag drains.
    case migrating = "MIGRATING"
    /// The proxy writes to the destination only. Terminal.
    case complete = "COMPLETE"

    /// Whether unproxied accounting (§5 unproxied_source_writes) runs in this state.
    var countsUnproxiedWrites: Bool {
        self == .proxy || self == .migrating
    }
}

/// What one observed change of state means: the lifecycle events it records, or that the model
/// forbids it. A move seen between two polls may stand for several real moves (PROXY→COMPLETE
/// is INITIATED then COMPLETED).
enum MigrationTransition: Equatable {
    /// An allowed move; `events` in the order they happened.
    case allowed(events: [MigrationEventType])
    /// A MIGRATING→PROXY move: ABORTED or TIMED_OUT depending on when it happened.
    case migrationEnded
    /// A move the model forbids; `followed` tells whether accounting adopts the new state
    /// (everything except leaving COMPLETE, whose source writes are lost whatever is reported).
    case invalid(followed: Bool)

    init(from: MigrationState, to: MigrationState) {
        switch (from, to) {
        case (.reject, .proxy): self = .allowed(events: [.enabled])
        case (.proxy, .reject): self = .allowed(events: [.disabled])
        case (.proxy, .migrating): self = .allowed(events: [.initiated])
        case (.migrating, .complete): self = .allowed(events: [.completed])
        case (.proxy, .complete): self = .allowed(events: [.initiated, .completed])
        case (.migrating, .proxy): self = .migrationEnded
        case (.complete, _): self = .invalid(followed: false)
        default: self = .invalid(followed: true)
        }
    }
}
