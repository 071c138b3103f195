/// The accounting of every watched topic over polls: each topic's accounting advances from its
/// own last poll, whichever topics the poll read.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct MigrationAccountingTests {
    let t0 = Date(timeIntervalSince1970: 1_795_514_400)

    func read(_ topic: String, _ highWatermark: Int64, at: Date) -> TopicRead {
        TopicRead(topic: topic, sourceReadAt: at, sourceHighWatermarks: [0: highWatermark], destinationHighWatermarks: [0: 0])
    }

    func poll(at: Date, _ reads: [TopicRead]) -> PollObservation {
        let document = MigrationStateDocument(topics: [
            TopicStateReport(topic: "orders", state: .proxy, since: t0),
            TopicStateReport(topic: "audit", state: .proxy, since: t0),
        ])
        return PollObservation(at: at, proxied: ProxiedRead(readAt: at, recordsByTopic: [:]), stateDocument: document, topics: reads)
    }

    /// A topic left out of a poll keeps its accounting: read again later with a lower offset, it
    /// is a reset against its own last read; the topic read meanwhile moved on from its own.
    @Test func eachTopicAdvancesFromItsOwnLastPoll() {
        var accounting = MigrationAccounting(configuration: AccountingConfiguration())
        let first = accounting.observe(poll(at: t0, [read("orders", 100, at: t0), read("audit", 50, at: t0)]))
        #expect(first.topics.map(\.topic) == ["orders", "audit"])
        #expect(first.topics.map(\.sourceOffsets) == [100, 50])

        let second = accounting.observe(poll(at: t0 + 5, [read("orders", 110, at: t0 + 5)]))
        #expect(second.topics.map(\.sourceOffsets) == [110])
        #expect(accounting.topics["audit"]?.snapshot.sourceHighWatermarks == [0: 50])

        let third = accounting.observe(poll(at: t0 + 10, [read("audit", 40, at: t0 + 10), read("orders", 105, at: t0 + 10)]))
        #expect(third.topics.map(\.topic) == ["audit", "orders"])
        #expect(third.events.filter { $0.type == .sourceTopicReset }.map(\.topic) == ["audit", "orders"])
        #expect(accounting.topics.keys.sorted() == ["audit", "orders"])
    }
}
