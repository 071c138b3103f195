/// The compact per-partition form of a topic's stored snapshot: round trips, stable bytes,
/// snapshots written before it (the array form) still restore, and a damaged value is refused.
import Foundation
import Testing
@testable import Diagnostics

@Suite struct PartitionValuesCodingTests {
    struct Holder: Codable, Equatable {
        @PartitionValues var lags: [Int32: Int64] = [:]
        @OptionalPartitionValues var watermarks: [Int32: Int64]?
    }

    private func encoded(_ holder: Holder) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(holder), as: UTF8.self)
    }

    @Test func roundTripsAsOneAscendingString() throws {
        var holder = Holder()
        holder.lags = [2: 0, 0: 7, 1: -3]
        holder.watermarks = [10: Int64.max, 3: Int64.min, 0: 0]
        let json = try encoded(holder)
        #expect(json == #"{"lags":"0:7,1:-3,2:0","watermarks":"0:0,3:-9223372036854775808,10:9223372036854775807"}"#)
        #expect(try JSONDecoder().decode(Holder.self, from: Data(json.utf8)) == holder)
    }

    @Test func nilIsLeftOutAndAMissingOrNullKeyDecodesAsNil() throws {
        let json = try encoded(Holder())
        #expect(json == #"{"lags":""}"#)
        #expect(try JSONDecoder().decode(Holder.self, from: Data(json.utf8)).watermarks == nil)
        #expect(try JSONDecoder().decode(Holder.self, from: Data(#"{"lags":"","watermarks":null}"#.utf8)).watermarks == nil)
    }

    @Test func theArrayFormOfEarlierSnapshotsStillDecodes() throws {
        // What JSONEncoder wrote for [Int32: Int64] before: alternating keys and values.
        let json = #"{"lags":[1,5,0,9],"watermarks":[4,100]}"#
        let holder = try JSONDecoder().decode(Holder.self, from: Data(json.utf8))
        #expect(holder.lags == [1: 5, 0: 9])
        #expect(holder.watermarks == [4: 100])
    }

    @Test(arguments: ["0:1,", "0:1,0:2", "x:1", "0:", "0", "0:1:2", "99999999999:1", "0:99999999999999999999", ",0:1"])
    func aDamagedValueIsRefused(text: String) {
        let json = #"{"lags":"\#(text)"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Holder.self, from: Data(json.utf8)) }
    }

    @Test func aTopicSnapshotKeepsItsPartitionsThroughTheCompactForm() throws {
        var snapshot = TopicSnapshot(topic: "orders")
        snapshot.sourceHighWatermarks = Dictionary(uniqueKeysWithValues: (0..<1_000).map { (Int32($0), Int64($0) * 31) })
        snapshot.partitionOffsetLags = [3: 4]
        let data = try JSONEncoder().encode(snapshot)
        #expect(try JSONDecoder().decode(TopicSnapshot.self, from: data) == snapshot)
        #expect(String(decoding: data, as: UTF8.self).contains(#""partitionOffsetLags":"3:4""#))
    }
}
