/// The audit's I/O (CONTRACT §8): reads everything `AuditVerdicts` judges, from live reads of
/// both clusters, the state source and exporterd's store. Each read is bounded by the
/// cluster's `request_timeout`, and each failure lands in the evidence as "not answered" with
/// its reason: this reader never decides anything, it only reports what answered.
///
/// Order: the source's full topic list (it resolves `topics_regex` and finds the unmapped
/// topics); then offsets of both clusters, DescribeProducers and the consumer groups at once;
/// then, per partition, the source's last record on both sides (Fetch), the first offset at
/// the cutover of COMPLETE topics and the recent records of unmapped topics (ListOffsets by
/// timestamp).
import Diagnostics
import Foundation
import Logging
import SourceWatcher

struct AuditEvidenceReader {
    let source: KafkaCluster
    let destination: KafkaCluster
    let selection: TopicSelection
    /// `--since`: the window an unmapped topic's records must be older than.
    let since: TimeInterval
    /// Reads the consumer groups of the source that touch these topics (one entry per topic).
    let groups: @Sendable ([String]) async -> [String: AuditGroupsEvidence]
    /// Fetches in flight at once, as for the replication time lag.
    static let fetchConcurrency = 16

    /// Every read of one audit. `states` is the state source's answer, `history` the store's.
    func read(states: Result<MigrationStateDocument, MigrationStateSource.ReadError>,
              history: Result<StoreHistory, MigrationStoreError>, now: Date) async -> AuditEvidence {
        // 1. The source's topic list.
        var mappings = selection.mappings
        let topicList: AuditRead<Int>
        var allSourceTopics: [String] = []
        do {
            let metadata = try await source.refreshMetadata(topics: nil, deadline: source.newReadDeadline())
            allSourceTopics = metadata.topicNames
            mappings = try selection.resolve(sourceTopics: allSourceTopics)
            topicList = .answered(allSourceTopics.count)
        } catch {
            topicList = .notAnswered("\(error)")
        }
        let watchedNames = Set(mappings.map(\.sourceTopic))
        let unmappedNames = allSourceTopics.filter { !watchedNames.contains($0) && !Self.isInternal($0) }.sorted()

        // 2. Offsets of both clusters, producers and groups at once.
        let sourceTopics = mappings.map(\.sourceTopic)
        let destinationTopics = Array(Set(mappings.map(\.destinationTopic))).sorted()
        async let sourceRead = sourceTopics.isEmpty ? nil : source.readOffsets(of: sourceTopics)
        async let destinationRead = destinationTopics.isEmpty ? nil : destination.readOffsets(of: destinationTopics)
        async let producersRead = sourceTopics.isEmpty ? nil : source.describeProducers(of: sourceTopics)
        async let unmappedRead = unmappedNames.isEmpty ? nil : source.readOffsets(of: unmappedNames)
        async let groupsRead = sourceTopics.isEmpty ? [:] : groups(sourceTopics)
        let (sourceOffsets, destinationOffsets, producers, unmappedOffsets, groupsByTopic)
            = await (sourceRead, destinationRead, producersRead, unmappedRead, groupsRead)

        // 3. Per partition: the last source record on both sides; the cutover offsets.
        let document = try? states.get()
        var lastRecords: [FetchKey: AuditRecordRead] = [:]
        var fetches: [(key: FetchKey, cluster: KafkaCluster, partition: TopicPartition, offset: Int64)] = []
        for mapping in mappings {
            guard let topic = sourceOffsets?.topics[mapping.sourceTopic] else { continue }
            for (index, offsets) in topic.partitions where offsets.highWatermark > 0 {
                let offset = offsets.highWatermark - 1
                fetches.append((FetchKey(topic: mapping.sourceTopic, partition: index, side: .source), source,
                                TopicPartition(topic: mapping.sourceTopic, partition: index), offset))
                fetches.append((FetchKey(topic: mapping.sourceTopic, partition: index, side: .destination), destination,
                                TopicPartition(topic: mapping.destinationTopic, partition: index), offset))
            }
        }
        lastRecords = await Self.fetchAll(fetches)

        var cutovers: [String: Date] = [:]
        for mapping in mappings {
            if let report = document?.report(for: mapping.sourceTopic), report.state == .complete {
                let completed = (try? history.get())?.completed[mapping.sourceTopic]
                cutovers[mapping.sourceTopic] = [report.since, completed].compactMap { $0 }.min()
            }
        }
        async let cutoverOffsets = lookUpCutovers(cutovers, offsets: sourceOffsets)
        async let recent = readRecent(unmappedNames, offsets: unmappedOffsets, since: now.addingTimeInterval(-since))
        let (cutoverAnswers, unmapped) = await (cutoverOffsets, recent)

        // 4. Assemble.
        let topics = mappings.map { mapping -> AuditTopicEvidence in
            let state: AuditRead<AuditStateEvidence>
            switch states {
            case .success(let document):
                let report = document.report(for: mapping.sourceTopic)
                state = .answered(AuditStateEvidence(state: report?.state ?? .reject, since: report?.since))
            case .failure(let error):
                state = .notAnswered(error.description)
            }
            let topicHistory: AuditRead<AuditHistory>
            switch history {
            case .success(let stored): topicHistory = .answered(stored.audit(topic: mapping.sourceTopic))
            case .failure(let error): topicHistory = .notAnswered(error.description)
            }
            return AuditTopicEvidence(
                topic: mapping.sourceTopic, destinationTopic: mapping.destinationTopic,
                state: state, history: topicHistory,
                partitions: partitions(of: mapping, source: sourceOffsets, destination: destinationOffsets,
                                       lastRecords: lastRecords, cutover: cutoverAnswers[mapping.sourceTopic]),
                consumerGroups: groupsByTopic[mapping.sourceTopic] ?? .notAnswered("no groups read for the topic"),
                producers: Self.producers(producers, topic: mapping.sourceTopic))
        }
        return AuditEvidence(topics: topics, unmappedTopics: unmapped, sourceTopicList: topicList, since: since)
    }

    /// Kafka's own topics (`__consumer_offsets`, `__transaction_state`) are never migrated.
    static func isInternal(_ topic: String) -> Bool {
        topic.hasPrefix("__")
    }

    struct FetchKey: Hashable {
        enum Side { case source, destination }
        var topic: String
        var partition: Int32
        var side: Side
    }

    static func fetchAll(_ fetches: [(key: FetchKey, cluster: KafkaCluster, partition: TopicPartition, offset: Int64)]) async -> [FetchKey: AuditRecordRead] {
        var results: [FetchKey: AuditRecordRead] = [:]
        await withTaskGroup(of: (FetchKey, AuditRecordRead).self) { group in
            var next = fetches.makeIterator()
            func addNext() -> Bool {
                guard let fetch = next.next() else { return false }
                group.addTask {
                    do {
                        let read = try await fetch.cluster.recordTimestamp(of: fetch.partition, atOrAfter: fetch.offset)
                        guard let timestamp = read.timestamp else { return (fetch.key, .noRecord) }
                        return (fetch.key, .record(offset: timestamp.offset, timestampMs: timestamp.milliseconds))
                    } catch {
                        return (fetch.key, .notAnswered("\(error)"))
                    }
                }
                return true
            }
            for _ in 0..<fetchConcurrency where !addNext() { break }
            for await (key, read) in group {
                results[key] = read
                _ = addNext()
            }
        }
        return results
    }

    func partitions(of mapping: TopicMapping, source: ClusterOffsets?, destination: ClusterOffsets?,
                    lastRecords: [FetchKey: AuditRecordRead], cutover: [Int32: AuditCutoverOffset]?) -> AuditRead<[AuditPartitionEvidence]> {
        guard let sourceTopic = source?.topics[mapping.sourceTopic] else {
            return .notAnswered(source.map { Self.describe($0.errors) } ?? "the source's topic list could not be read")
        }
        guard let count = sourceTopic.partitionCount else {
            return .notAnswered(sourceTopic.topicFailure.map { "\($0)" } ?? "the source lists no partitions for it")
        }
        let destinationTopic = destination?.topics[mapping.destinationTopic]
        return .answered((0..<Int32(count)).map { index in
            let sourceHWM: AuditRead<Int64> = sourceTopic.partitions[index].map { .answered($0.highWatermark) }
                ?? .notAnswered(sourceTopic.failures[index]?.description ?? sourceTopic.topicFailure?.description ?? "no answer")
            let destinationHWM: AuditRead<Int64>
            if let destinationTopic {
                destinationHWM = destinationTopic.partitions[index].map { .answered($0.highWatermark) }
                    ?? .notAnswered(destinationTopic.failures[index]?.description ?? destinationTopic.topicFailure?.description
                        ?? (destinationTopic.partitionCount.map { Int(index) >= $0 } == true ? "the destination topic has no partition \(index)" : "no answer"))
            } else {
                destinationHWM = .notAnswered(destination.map { Self.describe($0.errors) } ?? "no destination read")
            }
            let empty = sourceHWM.value == 0
            let sourceRecord = empty ? AuditRecordRead.notNeeded
                : lastRecords[FetchKey(topic: mapping.sourceTopic, partition: index, side: .source)] ?? .notAnswered("not fetched: no source high watermark")
            let destinationRecord = empty ? AuditRecordRead.notNeeded
                : lastRecords[FetchKey(topic: mapping.sourceTopic, partition: index, side: .destination)] ?? .notAnswered("not fetched: no source high watermark")
            return AuditPartitionEvidence(
                partition: index, sourceHighWatermark: sourceHWM, destinationHighWatermark: destinationHWM,
                sourceLastRecord: sourceRecord, destinationLastRecord: destinationRecord,
                cutoverOffset: cutover.map { $0[index] ?? .notAnswered("no answer for the partition") } ?? .notAsked)
        })
    }

    /// ListOffsets by timestamp at each COMPLETE topic's cutover: the first offset written at
    /// or after it, or `.noRecordSince` for timestamp −1 (CONTRACT §5: no record since, whatever the
    /// offset says).
    func lookUpCutovers(_ cutovers: [String: Date], offsets: ClusterOffsets?) async -> [String: [Int32: AuditCutoverOffset]] {
        var result: [String: [Int32: AuditCutoverOffset]] = [:]
        await withTaskGroup(of: (String, [Int32: AuditCutoverOffset]).self) { group in
            for (topic, at) in cutovers {
                guard let count = offsets?.topics[topic]?.partitionCount else { continue }
                let partitions = (0..<Int32(count)).map { TopicPartition(topic: topic, partition: $0) }
                group.addTask { [source] in
                    let outcome = await source.listOffsets(partitions, query: .timestamp(Self.milliseconds(at)))
                    var answers: [Int32: AuditCutoverOffset] = [:]
                    for partition in partitions {
                        if let listed = outcome.offsets[partition] {
                            answers[partition.partition] = listed.timestamp == -1 ? AuditCutoverOffset.noRecordSince : .firstOffset(listed.offset)
                        } else {
                            answers[partition.partition] = .notAnswered(outcome.failures[partition]?.description ?? Self.describe(outcome.errors))
                        }
                    }
                    return (topic, answers)
                }
            }
            for await (topic, answers) in group { result[topic] = answers }
        }
        return result
    }

    /// ListOffsets by timestamp at the window's start for every unmapped topic.
    func readRecent(_ topics: [String], offsets: ClusterOffsets?, since: Date) async -> [AuditUnmappedTopic] {
        guard !topics.isEmpty else { return [] }
        var partitions: [TopicPartition] = []
        for topic in topics {
            guard let count = offsets?.topics[topic]?.partitionCount else { continue }
            partitions += (0..<Int32(count)).map { TopicPartition(topic: topic, partition: $0) }
        }
        let outcome = await source.listOffsets(partitions, query: .timestamp(Self.milliseconds(since)))
        return topics.map { topic in
            guard let answers = offsets?.topics[topic], let count = answers.partitionCount else {
                return AuditUnmappedTopic(topic: topic, partitions: .notAnswered(
                    offsets?.topics[topic]?.topicFailure?.description ?? offsets.map { Self.describe($0.errors) } ?? "not read"))
            }
            var rows: [AuditUnmappedPartition] = []
            var problems: [String] = []
            for index in 0..<Int32(count) {
                let partition = TopicPartition(topic: topic, partition: index)
                guard let highWatermark = answers.partitions[index]?.highWatermark else {
                    problems.append("partition \(index): \(answers.failures[index]?.description ?? "no high watermark")")
                    continue
                }
                guard let listed = outcome.offsets[partition] else {
                    problems.append("partition \(index): \(outcome.failures[partition]?.description ?? "no answer by timestamp")")
                    continue
                }
                let fresh = listed.timestamp != -1
                rows.append(AuditUnmappedPartition(
                    partition: index, firstRecentOffset: fresh ? listed.offset : nil,
                    firstRecentTimestampMs: fresh ? listed.timestamp : nil, highWatermark: highWatermark))
            }
            if !problems.isEmpty { return AuditUnmappedTopic(topic: topic, partitions: .notAnswered(problems.joined(separator: "; "))) }
            return AuditUnmappedTopic(topic: topic, partitions: .answered(rows))
        }
    }

    static func producers(_ read: ProducersRead?, topic: String) -> AuditProducersEvidence {
        switch read {
        case nil: return .notAnswered("not read")
        case .unsupported(let brokers): return .unsupported(brokers: brokers.map(\.description))
        case .read(let cluster):
            guard let answers = cluster.topics[topic] else { return .notAnswered(describe(cluster.errors)) }
            guard let all = answers.allProducers else {
                let failures = answers.failures.sorted { $0.key < $1.key }.map { "partition \($0.key): \($0.value)" }
                return .notAnswered(answers.topicFailure?.description ?? (failures.isEmpty ? "incomplete" : failures.joined(separator: "; ")))
            }
            return .read(all.map {
                ProducerInfo(producerId: $0.producer.producerId, producerEpoch: $0.producer.producerEpoch,
                             lastTimestampMs: $0.producer.lastTimestamp, partition: $0.partition)
            })
        }
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    static func describe(_ errors: [KafkaClientError]) -> String {
        errors.isEmpty ? "no answer" : errors.map(\.description).joined(separator: "; ")
    }
}
