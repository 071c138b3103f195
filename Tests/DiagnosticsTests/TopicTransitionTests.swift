/// State transitions and their events (CONTRACT §6): every allowed move, forbidden moves,
/// the timeout edge, and reasons reported by the state source winning over inferred ones.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct TopicTransitionTests {
    /// Reports the states in turn ("-" = not listed, i.e. REJECT) and collects the events.
    func run(_ states: String) -> (events: [MigrationEvent], last: TopicOutcome) {
        var driver = TopicDriver()
        var events: [MigrationEvent] = []
        var last: TopicOutcome?
        for name in states.split(separator: " ") {
            let report: TopicDriver.Report = name == "-" ? .unlisted : .listed(MigrationState(rawValue: String(name))!)
            let outcome = driver.poll(report, source: [0: 10], proxied: 0)
            events += outcome.events
            last = outcome
        }
        return (events, last!)
    }

    @Test(arguments: [
        ("REJECT PROXY", "ENABLED"),
        ("PROXY REJECT", "DISABLED"),
        ("PROXY -", "DISABLED"),
        ("PROXY MIGRATING", "INITIATED"),
        ("MIGRATING COMPLETE", "COMPLETED"),
        ("MIGRATING PROXY", "ABORTED"),
        ("PROXY COMPLETE", "INITIATED COMPLETED"),
        ("REJECT PROXY MIGRATING PROXY MIGRATING COMPLETE", "ENABLED INITIATED ABORTED INITIATED COMPLETED"),
        ("REJECT MIGRATING", "INVALID_TRANSITION"),
        ("REJECT COMPLETE", "INVALID_TRANSITION"),
        ("MIGRATING REJECT", "INVALID_TRANSITION"),
        ("COMPLETE PROXY", "INVALID_TRANSITION"),
        ("COMPLETE PROXY PROXY", "INVALID_TRANSITION"),
        ("COMPLETE PROXY COMPLETE MIGRATING", "INVALID_TRANSITION INVALID_TRANSITION"),
        ("COMPLETE -", "INVALID_TRANSITION"),
        ("PROXY", ""),
        ("COMPLETE", ""),
        ("PROXY PROXY PROXY", ""),
    ])
    func events(states: String, expected: String) {
        let types = run(states).events.map(\.type.rawValue).joined(separator: " ")
        #expect(types == expected)
    }

    @Test(arguments: [
        ("REJECT MIGRATING", MigrationState.migrating),
        ("REJECT COMPLETE", .complete),
        ("MIGRATING REJECT", .reject),
        ("COMPLETE PROXY", .complete),
        ("COMPLETE REJECT MIGRATING", .complete),
    ])
    func forbiddenMovesAreFollowedExceptOutOfComplete(states: String, expected: MigrationState) {
        let last = run(states).last
        #expect(last.status.state == expected)
        #expect(last.status.diagnostics.contains(.invalidTransition))
    }

    @Test func completeReportedElsewhereShowsTheReportedState() {
        let last = run("COMPLETE PROXY").last
        #expect(last.status.reportedState == .proxy)
    }

    @Test func jumpRecordsBothStepsWithTheirStates() {
        let events = run("PROXY COMPLETE").events
        #expect(events.map(\.from) == [.proxy, .migrating])
        #expect(events.map(\.to) == [.migrating, .complete])
    }

    /// The move back to PROXY at exactly since + timeout is TIMED_OUT; a millisecond earlier, ABORTED.
    @Test(arguments: [
        (timeout: Double?.none, after: 300.0, expected: MigrationEventType.timedOut),
        (nil, 299.999, .aborted),
        (nil, 900, .timedOut),
        (60, 60, .timedOut),
        (60, 59, .aborted),
    ])
    func timeoutEdge(timeout: Double?, after: TimeInterval, expected: MigrationEventType) {
        var driver = TopicDriver()
        let since = epoch.addingTimeInterval(1000)
        driver.poll(.listed(.proxy, since: epoch), source: [0: 10])
        driver.poll(.listed(.migrating, since: since, timeout: timeout), source: [0: 10])
        let back = driver.poll(.listed(.proxy, since: since.addingTimeInterval(after)), source: [0: 10])
        #expect(back.eventTypes == [expected])
        guard case .seconds(let migrating) = back.events.first?.details["seconds_migrating"] else {
            Issue.record("no seconds_migrating")
            return
        }
        #expect(abs(migrating - after) < 0.001)
        #expect(back.events.first?.at == since.addingTimeInterval(after))
    }

    @Test func reportedReasonWinsOverTheInferredOne() {
        var driver = TopicDriver()
        let since = epoch.addingTimeInterval(1000)
        driver.poll(.listed(.proxy, since: epoch), source: [0: 10])
        driver.poll(.listed(.migrating, since: since), source: [0: 10])
        let stale = ReportedEvent(topic: "orders", type: .aborted, at: epoch.addingTimeInterval(10))
        let reported = ReportedEvent(topic: "orders", type: .timedOut, at: since.addingTimeInterval(120))
        let back = driver.poll(
            .listed(.proxy, since: since.addingTimeInterval(121)), source: [0: 10], events: [stale, reported])
        #expect(back.eventTypes == [.timedOut])
        #expect(back.events.first?.at == since.addingTimeInterval(120))
    }

    @Test func stateSourceDownKeepsTheLastStateAndRecordsNothing() {
        var driver = TopicDriver()
        driver.poll(.listed(.proxy), source: [0: 10])
        let down = driver.poll(.down, source: [0: 10])
        #expect(down.status.state == .proxy)
        #expect(!down.status.advanced)
        #expect(down.events.isEmpty)
        let back = driver.poll(.listed(.proxy), source: [0: 10])
        #expect(back.events.isEmpty)
    }

    @Test func transitionEventsCarryLagsAndCounts() {
        var driver = TopicDriver()
        driver.poll(.listed(.proxy), source: [0: 10, 1: 5], destination: [0: 7, 1: 5], timeLag: 4.5)
        let initiated = driver.poll(.listed(.migrating), source: [0: 10, 1: 5], destination: [0: 8, 1: 5])
        let details = initiated.events.first?.details
        #expect(details?["offset_lag"] == .integer(3))
        #expect(details?["time_lag_seconds"] == .seconds(4.5))
        #expect(details?["unproxied_records"] == .integer(0))
        #expect(initiated.events.first?.from == .proxy)
    }

    @Test func sinceIsTheReportedOneOrThePollTime() {
        var driver = TopicDriver()
        driver.poll(.listed(.proxy, since: epoch.addingTimeInterval(-50)), source: [0: 10])
        let pollTime = driver.clock
        let disabled = driver.poll(.unlisted, source: [0: 10])
        #expect(disabled.status.since == pollTime)
        #expect(disabled.events.first?.at == pollTime)
    }
}
