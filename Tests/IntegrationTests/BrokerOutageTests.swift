/// A broker that stops answering mid-run: the poll must come back incomplete with a typed
/// error (never hang, never report a partial sum), and the next poll after it resumes must be
/// complete again. Tansu keeps data in memory, so the outage is a SIGSTOP, not a restart.
import Foundation
import SourceWatcher
import Testing

@Suite(.enabled(if: LabEnvironment.isAvailable, "needs the lab (scripts/test starts it)"))
struct BrokerOutageTests {
    @Test func hungBrokerGivesIncompletePollThenRecovers() async throws {
        let broker = try PrivateBroker()
        defer { broker.stop() }
        let topic = LabEnvironment.uniqueTopic("outage")
        try LabEnvironment.labctl(["create-topics", "--bootstrap", broker.bootstrap, "\(topic):3"])
        try LabEnvironment.labctl(["produce", "--bootstrap", broker.bootstrap, "--topic", topic, "--count", "9", "--partitions", "3"])

        let settings = ConnectionSettings(connectTimeout: .seconds(1), requestTimeout: .milliseconds(800))
        let cluster = KafkaCluster(name: "source", bootstrapBrokers: [broker.address], settings: settings)
        // The first read opens the connection (connect, ApiVersions, Metadata) within one 0.8 s
        // deadline; on a loaded machine that can miss, which is what the deadline is for. The
        // precondition is one complete read, so a few tries are allowed.
        var before = await cluster.readOffsets(of: [topic])
        for _ in 0..<5 where !before.isComplete { before = await cluster.readOffsets(of: [topic]) }
        #expect(before.isComplete)
        #expect(before.topics[topic]?.highWatermarkSum == 9)

        broker.suspend()
        let clock = ContinuousClock()
        let started = clock.now
        let during = await cluster.readOffsets(of: [topic])
        #expect(clock.now - started < .seconds(5), "a hung broker must cost one request timeout, not a hang")
        #expect(!during.isComplete)
        #expect(during.topics[topic]?.highWatermarkSum == nil)
        #expect(during.answeredPartitionCount == 0)
        let failures = during.topics[topic]?.failures.values.map { $0 } ?? []
        #expect(failures.count == 3)
        #expect(failures.allSatisfy {
            if case .request(.requestTimedOut(_, .listOffsets, _)) = $0 { true } else { false }
        }, "each partition names the timed-out ListOffsets: \(failures)")

        broker.resume()
        // As before the freeze, a loaded machine can make one 0.8 s read miss: a few tries.
        var after = await cluster.readOffsets(of: [topic])
        for _ in 0..<5 where !after.isComplete { after = await cluster.readOffsets(of: [topic]) }
        #expect(after.isComplete)
        #expect(after.topics[topic]?.highWatermarkSum == 9)
        await cluster.shutdown()
    }
}
