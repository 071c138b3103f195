/// The consumer protocol assignments kafka-python encoded (scripts/gen_consumer_protocol_fixtures.py):
/// the bytes and what kafka-python decoded from them.
import Foundation
@testable import SourceWatcher

enum ConsumerProtocolFixtures {
    static let names = ["billing-1", "billing-2", "empty-3", "reports-1", "streams-1", "unicode-2"]

    static func bytes(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "bin", subdirectory: "Fixtures/ConsumerProtocol") else {
            throw Fixtures.Missing(description: "no fixture ConsumerProtocol/\(name).bin; run scripts/gen_consumer_protocol_fixtures.py")
        }
        return Array(try Data(contentsOf: url))
    }

    /// kafka-python's decode of fixture `name`.
    static func expected(_ name: String) throws -> ConsumerProtocolAssignment {
        guard let url = Bundle.module.url(forResource: "fixtures", withExtension: "json", subdirectory: "Fixtures/ConsumerProtocol"),
              let index = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any],
              let entry = index[name] as? [String: Any],
              let version = (entry["version"] as? String).flatMap({ Int16($0) }),
              let topics = entry["assignedPartitions"] as? [[String: Any]]
        else {
            throw Fixtures.Missing(description: "no entry \(name) in ConsumerProtocol/fixtures.json")
        }
        let assigned = try topics.map { topic -> ConsumerProtocolAssignment.AssignedTopic in
            guard let name = topic["topic"] as? String, let partitions = topic["partitions"] as? [String] else {
                throw Fixtures.Missing(description: "malformed topic in \(name)")
            }
            return .init(topic: name, partitions: partitions.compactMap { Int32($0) })
        }
        var userData: [UInt8]?
        if let hex = entry["userData"] as? String {
            let digits = Array(hex.dropFirst(2))
            userData = stride(from: 0, to: digits.count, by: 2).compactMap { UInt8(String(digits[$0..<$0 + 2]), radix: 16) }
        }
        return ConsumerProtocolAssignment(version: version, assignedPartitions: assigned, userData: userData)
    }
}
