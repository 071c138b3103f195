/// A broker frozen with SIGSTOP in the middle of a read and resumed later (issue 8 item 6),
/// with `request_timeout` 1 s: the read in flight and every read during the freeze come back
/// incomplete after about request_timeout (metadata refresh, reconnect, ListOffsets and retry
/// share it, so timeouts never add up), never a partial sum; the first read started after
/// SIGCONT is complete again, whatever the reconnect backoff grew to. Prints the seconds to
/// show and to recover (figures, not assertions).
import Foundation
import SourceWatcher
import Testing

@Suite(.enabled(if: LabEnvironment.isAvailable, "needs the lab (scripts/test starts it)"))
struct FrozenBrokerTests {
    @Test func frozenMidReadShowsWithinRequestTimeoutAndRecoversOnTheFirstReadAfter() async throws {
        let broker = try PrivateBroker()
        defer { broker.stop() }
        let topic = LabEnvironment.uniqueTopic("frozen")
        try LabEnvironment.labctl(["create-topics", "--bootstrap", broker.bootstrap, "\(topic):3"])
        try LabEnvironment.labctl(["produce", "--bootstrap", broker.bootstrap, "--topic", topic, "--count", "12", "--partitions", "3"])

        let requestTimeout = Duration.seconds(1)
        // Metadata ages out at once, so every read during the freeze also needs a refresh: the
        // refresh and the ListOffsets must share the one budget.
        let cluster = KafkaCluster(
            name: "source", bootstrapBrokers: [broker.address],
            settings: ConnectionSettings(connectTimeout: .seconds(1), requestTimeout: requestTimeout),
            metadataMaxAge: .milliseconds(1))
        let clock = ContinuousClock()
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }

        let before = await cluster.readOffsets(of: [topic])
        #expect(before.isComplete)
        #expect(before.topics[topic]?.highWatermarkSum == 12)

        // Frozen mid-read: the read is already under way when the broker stops.
        let frozenAt = clock.now
        async let inFlight = cluster.readOffsets(of: [topic])
        try await Task.sleep(for: .milliseconds(5))
        broker.suspend()
        let interrupted = await inFlight
        let shown = clock.now - frozenAt
        #expect(!interrupted.isComplete || interrupted.topics[topic]?.highWatermarkSum == 12,
                "a read either finished before the freeze or is incomplete, never partial")

        var during: [(duration: Double, complete: Bool, answered: Int)] = []
        for _ in 0..<3 {
            let started = clock.now
            let read = await cluster.readOffsets(of: [topic])
            during.append((seconds(clock.now - started), read.isComplete, read.answeredPartitionCount))
            #expect(!read.isComplete)
            #expect(read.topics[topic]?.highWatermarkSum == nil)
        }

        broker.resume()
        let resumedAt = clock.now
        let after = await cluster.readOffsets(of: [topic])
        let recovered = clock.now - resumedAt
        #expect(after.isComplete, "the first read after SIGCONT: \(after.errors)")
        #expect(after.topics[topic]?.highWatermarkSum == 12)
        await cluster.shutdown()

        print(String(format: "frozen broker (request_timeout %.1f s): in-flight read ended after %.2f s (complete: %@); reads while frozen took %@ s; first read after SIGCONT complete after %.2f s",
                     seconds(requestTimeout), seconds(shown), interrupted.isComplete ? "yes" : "no",
                     during.map { String(format: "%.2f", $0.duration) }.joined(separator: ", "), seconds(recovered)))
    }
}
