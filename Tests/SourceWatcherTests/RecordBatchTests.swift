import NIOCore
import Testing
@testable import SourceWatcher

/// Every fixture kafka-python wrote decodes to exactly what kafka-python read back.
@Suite struct RecordBatchTests {
    @Test(arguments: RecordFixtures.names)
    func decodesFixtureLikeKafkaPython(name: String) throws {
        let decoded = try FetchedRecords(decoding: RecordFixtures.buffer(RecordFixtures.bytes(name)))
        let expected = try #require(RecordFixtures.expected[name])
        #expect(decoded.truncatedTailBytes == 0)
        try #require(decoded.batches.count == expected.count)
        for (batch, want) in zip(decoded.batches, expected) {
            switch batch {
            case .recordBatch(let batch): check(batch, against: want)
            case .legacy(let message): check(message, against: want)
            }
        }
    }

    private func check(_ batch: RecordBatch, against want: RecordFixtures.ExpectedEntry) {
        #expect(want.magic == 2)
        #expect(batch.magic == 2)
        #expect(batch.baseOffset == want.baseOffset)
        #expect(batch.batchLength == want.batchLength)
        #expect(batch.partitionLeaderEpoch == want.partitionLeaderEpoch)
        #expect(batch.crc == want.crc)
        #expect(batch.attributes == want.attributes)
        #expect(batch.lastOffsetDelta == want.lastOffsetDelta)
        #expect(batch.baseTimestamp == want.baseTimestamp)
        #expect(batch.maxTimestamp == want.maxTimestamp)
        #expect(batch.producerId == want.producerId)
        #expect(batch.producerEpoch == want.producerEpoch)
        #expect(batch.baseSequence == want.baseSequence)
        #expect(batch.recordCount == want.recordCount)
        #expect(batch.compression.rawValue == want.compression)
        #expect((batch.timestampType == .logAppendTime ? 1 : 0) == want.timestampType)
        #expect(batch.isTransactional == want.isTransactional)
        #expect(batch.isControl == want.isControl)
        guard let wantRecords = want.records else {
            #expect(batch.records == nil, "codec \(batch.compression) is header-only by design")
            return
        }
        let records = batch.records ?? []
        #expect(records.count == wantRecords.count)
        for (record, wantRecord) in zip(records, wantRecords) {
            #expect(record.offset == wantRecord.offset)
            #expect(record.timestamp == wantRecord.timestamp)
            #expect(record.key == RecordFixtures.hex(wantRecord.key))
            #expect(record.value == RecordFixtures.hex(wantRecord.value))
            let wantHeaders = wantRecord.headers.map { RecordHeader(key: $0[0]!, value: RecordFixtures.hex($0[1])) }
            #expect(record.headers == wantHeaders)
        }
    }

    private func check(_ message: LegacyMessage, against want: RecordFixtures.ExpectedEntry) {
        #expect(message.magic == want.magic)
        #expect(message.offset == want.offset)
        #expect(message.timestamp == want.timestamp)
        #expect(message.compression.rawValue == want.compression)
        if message.compression == .none {
            #expect(message.key == RecordFixtures.hex(want.key))
            #expect(message.value == RecordFixtures.hex(want.value))
        }
    }

    @Test func decodesSeveralFixturesInOneFetchAnswer() throws {
        let names = ["legacy_v1", "v2_uncompressed", "v2_gzip", "v2_transaction", "v2_lz4_header_only"]
        let blob = names.flatMap(RecordFixtures.bytes)
        let decoded = try FetchedRecords(decoding: RecordFixtures.buffer(blob))
        let expectedCount = names.reduce(0) { $0 + RecordFixtures.expected[$1]!.count }
        #expect(decoded.batches.count == expectedCount)
        #expect(!decoded.hasTruncatedTail)
    }

    @Test func emptyInputHasNoBatches() throws {
        let decoded = try FetchedRecords(decoding: ByteBuffer())
        #expect(decoded == FetchedRecords(batches: []))
    }

    /// The broker cuts an answer at max bytes, anywhere: every cut decodes the whole batches
    /// before it and reports the rest as a truncated tail, never an error.
    @Test func everyCutIsATruncatedTail() throws {
        let first = RecordFixtures.bytes("v2_uncompressed")
        let blob = first + RecordFixtures.bytes("v2_gzip")
        for cut in 0..<blob.count {
            let decoded = try FetchedRecords(decoding: RecordFixtures.buffer(Array(blob[..<cut])))
            let wholeBatches = cut >= first.count ? 1 : 0
            #expect(decoded.batches.count == wholeBatches, "cut at \(cut)")
            #expect(decoded.truncatedTailBytes == cut - wholeBatches * first.count, "cut at \(cut)")
        }
        #expect(try FetchedRecords(decoding: RecordFixtures.buffer(blob)).batches.count == 2)
    }

    @Test func legacyCutIsATruncatedTail() throws {
        let blob = RecordFixtures.bytes("legacy_v1")
        let decoded = try FetchedRecords(decoding: RecordFixtures.buffer(Array(blob.dropLast(3))))
        #expect(decoded.batches.count == 3)
        #expect(decoded.hasTruncatedTail)
    }
}
