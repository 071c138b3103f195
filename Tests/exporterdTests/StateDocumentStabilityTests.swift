/// A controller that rewrites its state file in place, read mid-write, through the real file
/// source and the real accounting: no topic turns REJECT on a half-written document, so no
/// DISABLED and no INVALID_TRANSITION; a topic removed for good still turns REJECT, one poll
/// later. Reads are timed by `TestClock`: the settle interval passes without waiting.
import Diagnostics
import Foundation
import Testing
@testable import exporterd

@Suite struct StateDocumentStabilityTests {
    static let header = "topics:\n"
    static let orders = "  - {topic: orders, state: PROXY, since: 2026-11-24T10:00:00Z}\n"
    static let payments = "  - {topic: payments, state: COMPLETE, since: 2026-11-24T09:00:00Z}\n"
    static let audit = "  - {topic: audit, state: MIGRATING, since: 2026-11-24T10:05:00Z}\n"
    static let full = header + orders + payments + audit

    /// One state file, its source and the accounting it feeds, polled like `MigrationWatch.poll`
    /// does (the document, or nil when the read failed).
    final class Harness: @unchecked Sendable {
        let path: String
        let clock = TestClock()
        let source: MigrationStateSource
        var accounting = MigrationAccounting(configuration: AccountingConfiguration())
        var events: [MigrationEvent] = []
        /// Each topic's accounting state after the last poll.
        var states: [String: MigrationState] = [:]

        init() {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-state-\(UUID().uuidString).yaml").path
            source = MigrationStateSource(settings: MigrationStateSettings(location: .file(path)), client: .shared,
                                          environment: [:], now: clock.now, sleep: clock.sleep)
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }

        /// Writes in place, as a non-atomic writer does (truncate, then write).
        func write(_ text: String) {
            FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        }

        @discardableResult
        func poll() async -> Result<MigrationStateDocument, MigrationStateSource.ReadError> {
            clock.advance(by: 5)
            let at = clock.now()
            let result = await source.read()
            let reads = ["orders", "payments", "audit"].map {
                TopicRead(topic: $0, sourceReadAt: at, sourceHighWatermarks: [0: 100], destinationHighWatermarks: [0: 100])
            }
            let outcome = accounting.observe(PollObservation(
                at: at, proxied: ProxiedRead(readAt: at, recordsByTopic: [:]), stateDocument: try? result.get(), topics: reads))
            events += outcome.events
            for status in outcome.topics { states[status.topic] = status.state }
            return result
        }

        func state(of topic: String) -> MigrationState? { states[topic] }
    }

    /// The file is cut after its first entry when the poll reads it, and complete (with one
    /// real change) by the confirming read: the poll acts on nothing, the next one on the change.
    @Test func documentCaughtMidWriteIsNotActedOn() async throws {
        let harness = Harness()
        harness.write(Self.full)
        _ = try await harness.poll().get()
        #expect(harness.state(of: "payments") == .complete)

        let next = Self.header + Self.orders.replacingOccurrences(of: "PROXY", with: "MIGRATING") + Self.payments + Self.audit
        harness.write(Self.header + Self.orders)
        harness.clock.duringNextSleep { harness.write(next) }
        let caught = await harness.poll()
        guard case .failure(.changing) = caught else {
            Issue.record("expected .changing, got \(caught)")
            return
        }
        #expect(harness.events.isEmpty)

        _ = try await harness.poll().get()
        #expect(harness.events.map(\.type) == [.initiated])
        #expect(harness.state(of: "payments") == .complete)
        #expect(harness.state(of: "audit") == .migrating)
    }

    /// The writer stalls past the settle interval: both reads see the cut document, which is
    /// therefore stable. Its missing topics keep their last states for a poll, and the writer has
    /// finished by the next one.
    @Test func truncatedDocumentThatHoldsStillTurnsNothingREJECT() async throws {
        let harness = Harness()
        harness.write(Self.full)
        _ = try await harness.poll().get()

        harness.write(Self.header + Self.orders)
        let cut = try await harness.poll().get()
        #expect(cut.report(for: "payments")?.state == .complete)
        #expect(cut.report(for: "audit")?.state == .migrating)

        harness.write(Self.full)
        _ = try await harness.poll().get()
        #expect(harness.events.filter { [.disabled, .invalidTransition].contains($0.type) }.isEmpty, "\(harness.events)")
        #expect(harness.events.isEmpty)
        #expect(harness.state(of: "payments") == .complete)
        #expect(harness.state(of: "audit") == .migrating)
    }

    /// A topic the controller really dropped is REJECT once the next poll confirms it.
    @Test func topicRemovedForGoodIsREJECTOnTheNextPoll() async throws {
        let harness = Harness()
        harness.write(Self.full)
        _ = try await harness.poll().get()

        harness.write(Self.header + Self.payments + Self.audit)
        _ = try await harness.poll().get()
        #expect(harness.events.isEmpty)
        #expect(harness.state(of: "orders") == .proxy)

        _ = try await harness.poll().get()
        #expect(harness.events.map(\.type) == [.disabled])
        #expect(harness.events.first?.topic == "orders")
        #expect(harness.state(of: "orders") == .reject)
    }

    /// New content costs one confirming read after the settle interval; unchanged content none.
    @Test func onlyNewContentIsReadTwice() async throws {
        let harness = Harness()
        harness.write(Self.full)
        _ = try await harness.poll().get()
        #expect(harness.clock.sleeps.count == 1)
        #expect(harness.clock.sleeps.allSatisfy { $0 >= .milliseconds(100) && $0 < .milliseconds(101) })
        _ = try await harness.poll().get()
        _ = try await harness.poll().get()
        #expect(harness.clock.sleeps.count == 1)
    }

    /// A failed read in between: the next content is confirmed again, whatever it is.
    @Test func afterAFailedReadContentIsConfirmedAgain() async throws {
        let harness = Harness()
        harness.write(Self.full)
        _ = try await harness.poll().get()
        harness.write("topics: [unclosed")
        guard case .failure(.invalid) = await harness.poll() else {
            Issue.record("expected .invalid")
            return
        }
        harness.write(Self.full)
        _ = try await harness.poll().get()
        #expect(harness.clock.sleeps.count == 3)
        #expect(harness.events.isEmpty)
    }
}
