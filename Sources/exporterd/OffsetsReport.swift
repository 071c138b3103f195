/// What `exporterd offsets` prints: both clusters' offsets joined per partition, as a table
/// or as the JSON of CONTRACT §8.
import Diagnostics
import Foundation
import SourceWatcher

struct OffsetsReport {
    struct Row: Encodable {
        let partition: Int32
        let sourceHighWatermark: Int64?
        let sourceLogStartOffset: Int64?
        let destinationHighWatermark: Int64?
        let offsetLag: Int64?

        enum CodingKeys: String, CodingKey {
            case partition
            case sourceHighWatermark = "source_high_watermark"
            case sourceLogStartOffset = "source_log_start_offset"
            case destinationHighWatermark = "destination_high_watermark"
            case offsetLag = "offset_lag"
        }

        func encode(to encoder: any Encoder) throws {
            // Explicit nulls: a missing partition must show as null, not vanish from the output.
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(partition, forKey: .partition)
            try container.encode(sourceHighWatermark, forKey: .sourceHighWatermark)
            try container.encode(sourceLogStartOffset, forKey: .sourceLogStartOffset)
            try container.encode(destinationHighWatermark, forKey: .destinationHighWatermark)
            try container.encode(offsetLag, forKey: .offsetLag)
        }
    }

    struct Topic: Encodable {
        let topic: String
        let destinationTopic: String
        let partitions: [Row]

        enum CodingKeys: String, CodingKey {
            case topic, partitions
            case destinationTopic = "destination_topic"
        }
    }

    enum Problem: Equatable {
        case unknownTopic(String)
    }

    var topics: [Topic] = []
    var problems: [String] = []
    var problem: Problem?
    var isComplete = true

    static func read(source: KafkaCluster, destination: KafkaCluster, selection: TopicSelection, onlyTopic: String?) async -> OffsetsReport {
        var report = OffsetsReport()
        var mappings = selection.mappings
        if selection.needsSourceTopicList {
            do {
                let metadata = try await source.refreshMetadata(topics: nil)
                mappings = try selection.resolve(sourceTopics: metadata.topicNames)
            } catch {
                report.problems.append("source: \(error)")
                report.isComplete = false
            }
        }
        if let onlyTopic {
            mappings = mappings.filter { $0.sourceTopic == onlyTopic }
            if mappings.isEmpty, report.isComplete {
                report.problem = .unknownTopic(onlyTopic)
                return report
            }
        }
        guard !mappings.isEmpty else {
            report.problems.append("no topics to watch: topic_mappings is empty and topics_regex matched nothing")
            return report
        }
        async let sourceRead = source.readOffsets(of: mappings.map(\.sourceTopic), includeLogStartOffsets: true)
        async let destinationRead = destination.readOffsets(of: Array(Set(mappings.map(\.destinationTopic))))
        let (sourceOffsets, destinationOffsets) = await (sourceRead, destinationRead)
        report.isComplete = report.isComplete && sourceOffsets.isComplete && destinationOffsets.isComplete
        report.problems += describe(sourceOffsets) + describe(destinationOffsets)

        for mapping in mappings {
            let sourceTopic = sourceOffsets.topics[mapping.sourceTopic]
            let destinationTopic = destinationOffsets.topics[mapping.destinationTopic]
            let count = max(sourceTopic?.partitionCount ?? 0, destinationTopic?.partitionCount ?? 0)
            let rows = (0..<Int32(count)).map { index -> Row in
                let sourcePartition = sourceTopic?.partitions[index]
                let destinationHWM = destinationTopic?.partitions[index]?.highWatermark
                let lag = sourcePartition.flatMap { source in
                    destinationHWM.map { OffsetLag.partition(sourceHighWatermark: source.highWatermark, destinationHighWatermark: $0) }
                }
                return Row(partition: index, sourceHighWatermark: sourcePartition?.highWatermark,
                           sourceLogStartOffset: sourcePartition?.logStartOffset,
                           destinationHighWatermark: destinationHWM, offsetLag: lag)
            }
            report.topics.append(Topic(topic: mapping.sourceTopic, destinationTopic: mapping.destinationTopic, partitions: rows))
        }
        return report
    }

    private static func describe(_ offsets: ClusterOffsets) -> [String] {
        var lines = offsets.errors.map { "\(offsets.cluster): \($0)" }
        for (topic, entry) in offsets.topics.sorted(by: { $0.key < $1.key }) {
            if let failure = entry.topicFailure, !offsets.errors.contains(failure) {
                lines.append("\(offsets.cluster): \(topic): \(failure)")
            }
            for (partition, failure) in entry.failures.sorted(by: { $0.key < $1.key }) {
                lines.append("\(offsets.cluster): \(topic)/\(partition): \(failure)")
            }
        }
        return lines
    }

    func json() throws -> String {
        struct Document: Encodable { let topics: [Topic] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(Document(topics: topics)), as: UTF8.self)
    }

    func table() -> String {
        let header = ["TOPIC", "DESTINATION", "PARTITION", "SOURCE_HWM", "SOURCE_LOG_START", "DEST_HWM", "LAG"]
        var rows: [[String]] = []
        func text(_ value: Int64?) -> String { value.map(String.init) ?? "-" }
        for topic in topics {
            for row in topic.partitions {
                rows.append([topic.topic, topic.destinationTopic, "\(row.partition)", text(row.sourceHighWatermark),
                             text(row.sourceLogStartOffset), text(row.destinationHighWatermark), text(row.offsetLag)])
            }
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        return ([header] + rows).map(line).joined()
    }
}
