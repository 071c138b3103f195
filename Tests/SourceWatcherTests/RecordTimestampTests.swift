import NIOCore
import Testing
@testable import SourceWatcher

/// `timestamp(ofFirstRecordAtOrAfter:)` over the kafka-python fixtures. T0 is the script's
/// base time; each expected value is the one it wrote.
@Suite struct RecordTimestampTests {
    static let t0: Int64 = 1_732_000_000_000

    private func records(_ names: String...) throws -> FetchedRecords {
        try FetchedRecords(decoding: RecordFixtures.buffer(names.flatMap(RecordFixtures.bytes)))
    }

    private func exact(_ offset: Int64, _ milliseconds: Int64) -> RecordTimestamp {
        RecordTimestamp(offset: offset, milliseconds: milliseconds, isApproximate: false)
    }

    @Test func uncompressedIsExactPerRecord() throws {
        let fetched = try records("v2_uncompressed")
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 100) == exact(100, Self.t0 + 5))
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 101) == exact(101, Self.t0))
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 102) == exact(102, Self.t0 + 42))
        // The batch may start before the fetch offset, or after it (offsets removed).
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 0) == exact(100, Self.t0 + 5))
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 103) == nil)
    }

    @Test func gzipIsExactPerRecord() throws {
        let fetched = try records("v2_gzip")
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 203) == exact(203, Self.t0 + 1003))
    }

    @Test func logAppendTimeUsesMaxTimestamp() throws {
        let fetched = try records("v2_log_append_time")
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 400) == exact(400, Self.t0 + 9999))
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 401) == exact(401, Self.t0 + 9999))
    }

    @Test func undecodedCodecUsesBaseTimestampFlaggedApproximate() throws {
        let fetched = try records("v2_lz4_header_only")
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 501)
            == RecordTimestamp(offset: 501, milliseconds: Self.t0 + 3000, isApproximate: true))
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 3)
            == RecordTimestamp(offset: 500, milliseconds: Self.t0 + 3000, isApproximate: true))
    }

    @Test func undecodedCodecWithLogAppendTimeIsExact() throws {
        var bytes = RecordFixtures.bytes("v2_lz4_header_only")
        RecordFixtures.set(Int16(0x08 | 3), at: 21, in: &bytes)
        RecordFixtures.fixV2CRC(&bytes)
        let fetched = try FetchedRecords(decoding: RecordFixtures.buffer(bytes))
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 500) == exact(500, Self.t0 + 3007))
    }

    @Test func transactionMarkerIsSkipped() throws {
        let fetched = try records("v2_transaction")
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 301) == exact(301, Self.t0 + 2001))
        // 302 is the commit marker: the first record at or after it is 303.
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 302) == exact(303, Self.t0 + 2010))
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 304) == nil)
    }

    @Test func markerAsLastBatchGivesNothing() throws {
        let blob = RecordFixtures.bytes("v2_transaction")
        let fetched = try FetchedRecords(decoding: RecordFixtures.buffer(Array(blob.dropLast(76))))
        #expect(fetched.batches.count == 2)
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 302) == nil)
    }

    @Test func legacyMessages() throws {
        let fetched = try records("legacy_v1")
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 11) == exact(11, Self.t0 - 20))
        // 13–15 sit in a gzip wrapper reported with its outer (largest) timestamp.
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 14)
            == RecordTimestamp(offset: 14, milliseconds: Self.t0 - 5, isApproximate: true))
        #expect(fetched.timestamp(ofFirstRecordAtOrAfter: 16) == nil)
        // v0 carries no timestamp at all.
        #expect(try records("legacy_v0").timestamp(ofFirstRecordAtOrAfter: 7) == nil)
    }
}
