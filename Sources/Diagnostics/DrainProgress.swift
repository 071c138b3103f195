/// How the replication lag of a MIGRATING topic drains: feeds migration_stalled and
/// migration_timeout_risk (CONTRACT §5). Only complete polls (both clusters, every partition,
/// state source up) are samples; a gap neither counts as "not decreased" nor resets progress.
import Foundation

struct DrainProgress: Sendable, Hashable, Codable {
    struct Sample: Sendable, Hashable, Codable {
        var at: Date
        var offsetLag: Int64
    }

    /// The last `drainRatePolls` samples, oldest first.
    private(set) var samples: [Sample] = []
    /// Consecutive samples whose lag did not drop below the previous one.
    private(set) var pollsWithoutDecrease = 0

    /// Entering MIGRATING (or a topic reset): earlier progress says nothing about this cutover.
    mutating func startOver() {
        samples = []
        pollsWithoutDecrease = 0
    }

    mutating func observe(offsetLag: Int64, at: Date, configuration: AccountingConfiguration) {
        if let last = samples.last {
            pollsWithoutDecrease = offsetLag < last.offsetLag ? 0 : pollsWithoutDecrease + 1
        }
        samples.append(Sample(at: at, offsetLag: offsetLag))
        if samples.count > configuration.drainRatePolls {
            samples.removeFirst(samples.count - configuration.drainRatePolls)
        }
    }

    /// A drained topic waiting for the controller is not stalled.
    func stalled(configuration: AccountingConfiguration) -> Bool {
        guard let last = samples.last, last.offsetLag > 0 else { return false }
        return pollsWithoutDecrease >= configuration.confirmPolls
    }

    /// Whether, at the drain rate over the kept samples, the lag reaches 0 only after
    /// `deadline`. Needs two samples: one poll says nothing about a rate.
    func timeoutRisk(deadline: Date) -> Bool {
        guard let first = samples.first, let last = samples.last, samples.count >= 2, last.offsetLag > 0 else {
            return false
        }
        let elapsed = last.at.timeIntervalSince(first.at)
        let drained = Double(first.offsetLag - last.offsetLag)
        guard elapsed > 0, drained > 0 else { return true }
        let rate = drained / elapsed
        let finish = last.at.addingTimeInterval(Double(last.offsetLag) / rate)
        return finish > deadline
    }
}
