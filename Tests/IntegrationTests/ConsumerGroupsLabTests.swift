/// The consumer groups read on the lab's Tansu: a librdkafka consumer in a group reads a
/// unique topic and commits; `readConsumerGroups` must find the group on its coordinator with
/// exactly those committed offsets, while the consumer is in the group and after it left.
/// Observed on the lab's Tansu: DescribeGroups shows the live group Stable with one member
/// that has no client id, host or assignment bytes; the assignment is then unknown, and with
/// commits on the topic the group counts as reading it, never as free of readers. Once the
/// consumer leaves, the group is Empty and no longer reads.
import Foundation
import SourceWatcher
import Testing

@Suite(.enabled(if: LabEnvironment.isAvailable, "needs the lab (scripts/test starts it)"))
struct ConsumerGroupsLabTests {
    @Test func aCommittingConsumerGroupIsFoundWithItsOffsets() async throws {
        let topic = LabEnvironment.uniqueTopic("groups")
        let group = "\(topic)-readers"
        let bootstrap = "\(LabEnvironment.source.host):\(LabEnvironment.source.port)"
        try LabEnvironment.labctl(["create-topics", "--bootstrap", bootstrap, "\(topic):2"])
        try LabEnvironment.labctl(["produce", "--bootstrap", bootstrap, "--topic", topic, "--count", "10", "--partitions", "2"])

        let consumer = try StayingConsumer(bootstrap: bootstrap, topic: topic, group: group, count: 10)
        let committed = try await consumer.committed()
        #expect(committed == [TopicPartition(topic: topic, partition: 0): 5, TopicPartition(topic: topic, partition: 1): 5])

        let cluster = KafkaCluster(name: "source", bootstrapBrokers: [LabEnvironment.source],
                                   settings: ConnectionSettings(requestTimeout: .seconds(10)))
        let live = await cluster.readConsumerGroups(of: [topic])
        #expect(live.isComplete, "\(live.failures)")
        let found = try #require(live.group(group), "groups found: \(live.groups.map(\.groupId))")
        #expect(found.committedOffsets == committed)
        #expect(found.coordinator == LabEnvironment.source)
        // Whatever Tansu says of its members, a live consumer with commits is never "no reader".
        #expect(found.hasMembersReading(topic), "state \(found.state), members \(found.members)")
        print("Tansu describes a live consumer group as state=\(found.state) protocolType=\(found.protocolType) members=\(found.members.count)")

        try await consumer.leave()
        let after = await cluster.readConsumerGroups(of: [topic])
        #expect(after.isComplete, "\(after.failures)")
        let left = try #require(after.group(group))
        #expect(left.committedOffsets == committed)
        print("after the consumer left: state=\(left.state) members=\(left.members.count)")
        #expect(!left.hasMembersReading(topic), "state \(left.state), members \(left.members)")
        await cluster.shutdown()
    }
}

/// scripts/labctl.py consume-group --stay: in the group until its stdin closes.
private final class StayingConsumer: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let topic: String

    init(bootstrap: String, topic: String, group: String, count: Int) throws {
        self.topic = topic
        process.executableURL = URL(fileURLWithPath: LabEnvironment.python)
        process.arguments = ["\(LabEnvironment.root)/scripts/labctl.py", "consume-group", "--bootstrap", bootstrap,
                             "--topic", topic, "--group", group, "--count", "\(count)", "--stay", "--stay-seconds", "120"]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
    }

    /// The offsets it committed (its first output line); the script gives up after 60 s.
    func committed() async throws -> [TopicPartition: Int64] {
        let handle = output.fileHandleForReading
        let line = await Task.detached { () -> Data in
            var data = Data()
            while !data.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }  // the script exited
                data += chunk
            }
            return data
        }.value
        struct Line: Decodable { var committed: [String: Int64] }
        let decoded = try JSONDecoder().decode(Line.self, from: line)
        return Dictionary(uniqueKeysWithValues: decoded.committed.map {
            (TopicPartition(topic: topic, partition: Int32($0.key) ?? -1), $0.value)
        })
    }

    func leave() async throws {
        try input.fileHandleForWriting.close()
        let process = self.process
        await Task.detached { process.waitUntilExit() }.value
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
