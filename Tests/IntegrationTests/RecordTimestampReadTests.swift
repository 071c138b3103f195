/// Record timestamps read back through Fetch, for the replication time lag: records produced
/// by librdkafka with known timestamps, uncompressed and gzip-compressed, must come back exact.
import Foundation
import SourceWatcher
import Testing

@Suite(.enabled(if: LabEnvironment.isAvailable, "needs the lab (scripts/test starts it)"))
struct RecordTimestampReadTests {
    @Test(arguments: ["none", "gzip"])
    func timestampsReadBackExactly(compression: String) async throws {
        let topic = LabEnvironment.uniqueTopic("ts-\(compression)")
        let bootstrap = "\(LabEnvironment.source.host):\(LabEnvironment.source.port)"
        let base: Int64 = 1_764_000_000_000
        try LabEnvironment.labctl(["create-topics", "--bootstrap", bootstrap, "\(topic):1"])
        try LabEnvironment.labctl(["produce", "--bootstrap", bootstrap, "--topic", topic, "--count", "5",
                                   "--partition", "0", "--compression", compression,
                                   "--timestamp", "\(base)", "--timestamp-step", "1000"])
        let cluster = KafkaCluster(name: "source", bootstrapBrokers: [LabEnvironment.source])
        let partition = TopicPartition(topic: topic, partition: 0)
        for offset in Int64(0)..<5 {
            let read = try await cluster.recordTimestamp(of: partition, atOrAfter: offset)
            #expect(read.highWatermark == 5)
            #expect(read.timestamp == RecordTimestamp(offset: offset, milliseconds: base + offset * 1000, isApproximate: false))
        }
        let past = try await cluster.recordTimestamp(of: partition, atOrAfter: 5)
        #expect(past.timestamp == nil, "no record at the high watermark")
        await cluster.shutdown()
    }
}
