import Foundation
import NIOCore
@testable import SourceWatcher

/// Loads the record-batch fixtures written by scripts/gen_record_fixtures.py (kafka-python)
/// and the values kafka-python read back from them, and edits batches the way the
/// malformed-input tests need (with checksums recomputed so only the intended fault shows).
enum RecordFixtures {
    static let names = [
        "v2_uncompressed", "v2_gzip", "v2_log_append_time", "v2_transaction",
        "v2_lz4_header_only", "legacy_v1", "legacy_v0",
    ]

    static func bytes(_ name: String) -> [UInt8] {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/records/\(name).bin")
        return [UInt8](try! Data(contentsOf: url))
    }

    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    static let expected: [String: [ExpectedEntry]] = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/records/expected.json")
        return try! JSONDecoder().decode([String: [ExpectedEntry]].self, from: Data(contentsOf: url))
    }()

    struct ExpectedEntry: Decodable {
        let magic: Int8
        let compression: Int
        let timestampType: Int?
        // v2
        let baseOffset: Int64?
        let batchLength: Int32?
        let partitionLeaderEpoch: Int32?
        let crc: UInt32?
        let attributes: Int16?
        let lastOffsetDelta: Int32?
        let baseTimestamp: Int64?
        let maxTimestamp: Int64?
        let producerId: Int64?
        let producerEpoch: Int16?
        let baseSequence: Int32?
        let recordCount: Int32?
        let isTransactional: Bool?
        let isControl: Bool?
        let records: [ExpectedRecord]?
        // legacy
        let offset: Int64?
        let timestamp: Int64?
        let key: String?
        let value: String?
    }

    struct ExpectedRecord: Decodable {
        let offset: Int64
        let timestamp: Int64
        let key: String?
        let value: String?
        let headers: [[String?]]
    }

    static func hex(_ string: String?) -> [UInt8]? {
        guard let string else { return nil }
        var bytes: [UInt8] = []
        var index = string.startIndex
        while index < string.endIndex {
            let next = string.index(index, offsetBy: 2)
            bytes.append(UInt8(string[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    // MARK: editing v2 batches (field positions from the start of the batch)

    static func set<T: FixedWidthInteger>(_ value: T, at position: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { raw in
            for (index, byte) in raw.enumerated() { bytes[position + index] = byte }
        }
    }

    /// Recomputes the CRC-32C of the v2 batch starting at `start`.
    static func fixV2CRC(_ bytes: inout [UInt8], start: Int = 0) {
        let length = Int(Int32(bigEndian: bytes[start + 8..<start + 12].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
        let crc = bytes[start + 21..<start + 12 + length].withUnsafeBytes { Checksum.crc32c($0) }
        set(crc, at: start + 17, in: &bytes)
    }

    /// Recomputes the CRC-32 of the legacy message starting at `start`.
    static func fixLegacyCRC(_ bytes: inout [UInt8], start: Int = 0) {
        let length = Int(Int32(bigEndian: bytes[start + 8..<start + 12].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
        let crc = bytes[start + 16..<start + 12 + length].withUnsafeBytes { Checksum.crc32($0) }
        set(crc, at: start + 12, in: &bytes)
    }
}
