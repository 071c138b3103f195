/// The grouped partitions every per-leader round carries, and the per-topic replies built from
/// a leader's answer: what a response may add (only asked partitions), what it leaves out
/// (`missingFromAnswer`), and which answer wins when a retry merges in.
import Testing
@testable import SourceWatcher

@Suite struct PartitionsByTopicTests {
    private func tp(_ topic: String, _ partition: Int32) -> TopicPartition {
        TopicPartition(topic: topic, partition: partition)
    }

    @Test func groupsByTopicAscendingWithoutRepeats() {
        let set = PartitionsByTopic([tp("b", 2), tp("a", 1), tp("b", 0), tp("a", 1), tp("b", 2), tp("a", 0)])
        #expect(set.topics == ["a": [0, 1], "b": [0, 2]])
        #expect(set.count == 4)
        #expect(set.all == [tp("a", 0), tp("a", 1), tp("b", 0), tp("b", 2)])
        #expect(set.sorted.map(\.topic) == ["a", "b"])
    }

    @Test func insertMergesAndIgnoresEmptyRuns() {
        var set = PartitionsByTopic()
        set.insert(topic: "t", partitions: [])
        #expect(set.isEmpty)
        set.insert(topic: "t", partitions: [3, 1])
        set.insert(topic: "t", partitions: [2, 3])
        #expect(set.topics == ["t": [1, 2, 3]])
    }

    @Test func containsIsABinarySearchOverAscendingNumbers() {
        let numbers: [Int32] = [0, 2, 5, 9, 100]
        for number in numbers { #expect(PartitionsByTopic.contains(number, in: numbers)) }
        for number: Int32 in [-1, 1, 3, 6, 10, 101, .max] { #expect(!PartitionsByTopic.contains(number, in: numbers)) }
        #expect(!PartitionsByTopic.contains(0, in: []))
    }

    @Test func groupedByLeaderSplitsATopicAcrossLeadersAndNamesTheLeaderless() {
        let metadata = ClusterMetadata(
            brokers: [1: BrokerAddress(host: "a", port: 1), 2: BrokerAddress(host: "b", port: 2)],
            topics: ["t": .init(name: "t", isInternal: false, errorCode: .none, partitions: [
                0: .init(leader: 1, errorCode: .none), 1: .init(leader: 2, errorCode: .none),
                2: .init(leader: -1, errorCode: .leaderNotAvailable), 3: .init(leader: 7, errorCode: .none),
                4: .init(leader: 1, errorCode: .none),
            ])])
        let (byLeader, leaderless) = metadata.groupedByLeader(PartitionsByTopic((0...5).map { tp("t", $0) }))
        #expect(byLeader[1]?.partitions.topics == ["t": [0, 4]])
        #expect(byLeader[1]?.address == BrokerAddress(host: "a", port: 1))
        #expect(byLeader[2]?.partitions.topics == ["t": [1]])
        // No leader, a leader no broker entry names, a partition the metadata does not list.
        #expect(leaderless.topics == ["t": [2, 3, 5]])
        #expect(byLeader.count == 2)
    }

    @Test func aReplyKeepsOnlyAskedPartitionsAndNamesTheOnesLeftOut() {
        let asked = PartitionsByTopic([tp("t", 0), tp("t", 1), tp("t", 2), tp("u", 0)])
        var reply = LeaderReply<Int64>()
        reply.take(topic: "t", [(0, .answered(10)), (1, .refused(.notLeaderOrFollower)), (9, .answered(99))], asked: asked)
        reply.take(topic: "other", [(0, .answered(5))], asked: asked)
        reply.noteMissing(asked: asked)
        #expect(reply.topics["t"]?.values == [0: 10])
        #expect(reply.topics["t"]?.failures == [1: .broker(.notLeaderOrFollower), 2: .missingFromAnswer])
        #expect(reply.topics["u"]?.failures == [0: .missingFromAnswer])
        #expect(reply.topics["other"] == nil)
    }

    @Test func aRetriedValueReplacesAFailureAndARetriedFailureNeverAValue() {
        var first = TopicReply<Int64>()
        first.values = [0: 1]
        first.failures = [1: .noLeader, 2: .missingFromAnswer]
        var retry = TopicReply<Int64>()
        retry.values = [1: 11]
        retry.failures = [0: .missingFromAnswer, 2: .broker(.unknownTopicOrPartition)]
        first.absorb(retry)
        #expect(first.values == [0: 1, 1: 11])
        #expect(first.failures == [2: .broker(.unknownTopicOrPartition)])
    }
}
