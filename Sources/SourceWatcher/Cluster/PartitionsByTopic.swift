/// Partitions grouped by topic, as every per-leader round carries them. A poll touches each of
/// 100,000 partitions several times (grouping by leader, the request, the answer, the merge);
/// keyed by `TopicPartition` each touch hashed the topic's name, and that hashing was three
/// quarters of a poll's CPU. Grouped, a topic's name is hashed once per step and a partition
/// costs an `Int32`.
public struct PartitionsByTopic: Sendable, Equatable {
    /// Per topic its partition numbers, ascending and without repeats.
    public private(set) var topics: [String: [Int32]] = [:]

    public init() {}

    public init(_ partitions: some Sequence<TopicPartition>) {
        var grouped: [String: [Int32]] = [:]
        var lastTopic: String?
        var run: [Int32] = []
        // Callers pass partitions topic by topic; runs are collected before touching the table.
        for partition in partitions {
            if partition.topic != lastTopic {
                if let lastTopic { grouped[lastTopic, default: []] += run }
                lastTopic = partition.topic
                run = []
            }
            run.append(partition.partition)
        }
        if let lastTopic { grouped[lastTopic, default: []] += run }
        for (topic, numbers) in grouped { topics[topic] = Self.normalized(numbers) }
    }

    /// Adds a topic's partitions (merged with any it already has).
    public mutating func insert(topic: String, partitions numbers: [Int32]) {
        guard !numbers.isEmpty else { return }
        if let known = topics[topic] {
            topics[topic] = Self.normalized(known + numbers)
        } else {
            topics[topic] = Self.normalized(numbers)
        }
    }

    public var isEmpty: Bool { topics.isEmpty }
    public var count: Int { topics.values.reduce(0) { $0 + $1.count } }

    /// Topics in name order with their partitions: the order requests list them in.
    public var sorted: [(topic: String, partitions: [Int32])] {
        topics.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    public var all: [TopicPartition] {
        sorted.flatMap { entry in entry.partitions.map { TopicPartition(topic: entry.topic, partition: $0) } }
    }

    /// Whether `partition` is among a topic's ascending `numbers`: a binary search, no hashing.
    static func contains(_ partition: Int32, in numbers: [Int32]) -> Bool {
        var low = 0
        var high = numbers.count
        while low < high {
            let middle = (low + high) / 2
            if numbers[middle] < partition { low = middle + 1 } else { high = middle }
        }
        return low < numbers.count && numbers[low] == partition
    }

    private static func normalized(_ numbers: [Int32]) -> [Int32] {
        var isAscending = true
        for index in numbers.indices.dropFirst() where numbers[index - 1] >= numbers[index] {
            isAscending = false
            break
        }
        return isAscending ? numbers : Array(Set(numbers)).sorted()
    }
}

extension ClusterMetadata {
    /// `partitions` grouped by leader broker (the unit of every per-leader request), and the
    /// ones with no live leader.
    func groupedByLeader(_ partitions: PartitionsByTopic) -> (
        byLeader: [Int32: (address: BrokerAddress, partitions: PartitionsByTopic)], leaderless: PartitionsByTopic
    ) {
        var byLeader: [Int32: (address: BrokerAddress, partitions: PartitionsByTopic)] = [:]
        var leaderless = PartitionsByTopic()
        for (topic, numbers) in partitions.topics {
            let layout = topics[topic]?.partitions
            var runs: [Int32: [Int32]] = [:]
            var orphans: [Int32] = []
            // Consecutive partitions usually share a leader only by chance, so the run is per
            // leader, not per stretch; the topic's name is not hashed per partition.
            for number in numbers {
                guard let leader = layout?[number]?.leader, leader >= 0, brokers[leader] != nil else {
                    orphans.append(number)
                    continue
                }
                runs[leader, default: []].append(number)
            }
            leaderless.insert(topic: topic, partitions: orphans)
            for (leader, run) in runs {
                guard let address = brokers[leader] else { continue }
                byLeader[leader, default: (address, PartitionsByTopic())].partitions.insert(topic: topic, partitions: run)
            }
        }
        return (byLeader, leaderless)
    }
}
