import NIOCore
import Testing
@testable import SourceWatcher

/// Garbage in a Fetch answer is a specific typed error naming the batch, never a crash,
/// a hang or an allocation sized by an unchecked length.
@Suite struct RecordBatchMalformedTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        var limits = RecordBatchLimits()
        let expected: RecordBatchError
        var testDescription: String { name }
    }

    /// The uncompressed fixture (base offset 100, 3 records, 115 bytes) with `edit` applied
    /// and, unless `fixCRC` is false, its CRC recomputed so only the intended fault shows.
    static func plain(fixCRC: Bool = true, _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        var bytes = RecordFixtures.bytes("v2_uncompressed")
        edit(&bytes)
        if fixCRC { RecordFixtures.fixV2CRC(&bytes) }
        return bytes
    }

    /// The gzip fixture (base offset 200) with its compressed body replaced by `body`.
    static func gzip(body: (ArraySlice<UInt8>) -> [UInt8]) -> [UInt8] {
        let original = RecordFixtures.bytes("v2_gzip")
        var bytes = Array(original[..<61]) + body(original[61...])
        RecordFixtures.set(Int32(bytes.count - 12), at: 8, in: &bytes)
        RecordFixtures.fixV2CRC(&bytes)
        return bytes
    }

    static let cases: [Case] = {
        let plainBytes = RecordFixtures.bytes("v2_uncompressed")
        let storedCRC = UInt32(bigEndian: plainBytes[17..<21].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        let flipped = plain(fixCRC: false) { $0[70] ^= 0x01 }
        let flippedCRC = flipped[21...].withUnsafeBytes { Checksum.crc32c($0) }
        var legacyFlipped = RecordFixtures.bytes("legacy_v1")
        legacyFlipped[30] ^= 0x01  // inside the first message (length 28)
        let legacyStored = UInt32(bigEndian: legacyFlipped[12..<16].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        let legacyComputed = legacyFlipped[16..<(12 + 28)].withUnsafeBytes { Checksum.crc32($0) }
        var legacyKeyPastEnd = RecordFixtures.bytes("legacy_v1")
        RecordFixtures.set(Int32(1000), at: 26, in: &legacyKeyPastEnd)  // key length of the first message
        RecordFixtures.fixLegacyCRC(&legacyKeyPastEnd)

        return [
            Case(name: "header cut below the v2 minimum",
                 bytes: plain { RecordFixtures.set(Int32(40), at: 8, in: &$0) }.prefix(52).map { $0 },
                 expected: .lengthTooSmall(batchOffset: 100, length: 40, minimum: 49)),
            Case(name: "length too short to reach the magic byte",
                 bytes: plain(fixCRC: false) { RecordFixtures.set(Int32(3), at: 8, in: &$0) },
                 expected: .lengthTooSmall(batchOffset: 100, length: 3, minimum: 5)),
            Case(name: "negative length",
                 bytes: plain(fixCRC: false) { RecordFixtures.set(Int32(-7), at: 8, in: &$0) },
                 expected: .negativeLength(batchOffset: 100, length: -7)),
            Case(name: "length overflow",
                 bytes: plain(fixCRC: false) { RecordFixtures.set(Int32.max, at: 8, in: &$0) },
                 expected: .lengthExceedsLimit(batchOffset: 100, length: .max, limit: 64 << 20)),
            Case(name: "length past a configured limit",
                 bytes: plainBytes, limits: RecordBatchLimits(maxBatchBytes: 50),
                 expected: .lengthExceedsLimit(batchOffset: 100, length: 103, limit: 50)),
            Case(name: "bad magic",
                 bytes: plain(fixCRC: false) { $0[16] = 3 },
                 expected: .unsupportedMagic(batchOffset: 100, magic: 3)),
            Case(name: "bad magic in a partial tail is garbage, not a cut",
                 bytes: Array(plain(fixCRC: false) { $0[16] = 0x7F }.prefix(30)),
                 expected: .unsupportedMagic(batchOffset: 100, magic: 0x7F)),
            Case(name: "CRC flipped",
                 bytes: flipped,
                 expected: .crcMismatch(batchOffset: 100, stored: storedCRC, computed: flippedCRC)),
            Case(name: "unknown codec",
                 bytes: plain { RecordFixtures.set(Int16(6), at: 21, in: &$0) },
                 expected: .unknownCompressionCodec(batchOffset: 100, codecBits: 6)),
            Case(name: "negative record count",
                 bytes: plain { RecordFixtures.set(Int32(-1), at: 57, in: &$0) },
                 expected: .invalidRecordCount(batchOffset: 100, count: -1)),
            Case(name: "record count beyond what the bytes hold",
                 bytes: plain { RecordFixtures.set(Int32(1_000_000), at: 57, in: &$0) },
                 expected: .invalidRecordCount(batchOffset: 100, count: 1_000_000)),
            Case(name: "one record more than present",
                 bytes: plain { RecordFixtures.set(Int32(4), at: 57, in: &$0) },
                 expected: .malformedRecord(batchOffset: 100, recordIndex: 3, field: .length)),
            Case(name: "one record fewer than present",
                 bytes: plain { RecordFixtures.set(Int32(2), at: 57, in: &$0) },
                 expected: .trailingBytes(batchOffset: 100, count: 9)),  // the 3rd record: 1 + 8 bytes
            Case(name: "record length past the batch",
                 bytes: plain { $0[61] = 0x7E },  // zigzag 63: more than the body holds
                 expected: .malformedRecord(batchOffset: 100, recordIndex: 0, field: .length)),
            Case(name: "gzip garbage",
                 bytes: gzip { _ in Array(repeating: 0xAB, count: 40) },
                 expected: .decompressionFailed(batchOffset: 200, codec: .gzip)),
            Case(name: "gzip cut short",
                 bytes: gzip { Array($0.dropLast(20)) },
                 expected: .decompressionFailed(batchOffset: 200, codec: .gzip)),
            Case(name: "gzip body too small for a gzip stream",
                 bytes: gzip { _ in [0x1F, 0x8B] },
                 expected: .decompressionFailed(batchOffset: 200, codec: .gzip)),
            Case(name: "gzip expands past the limit",
                 bytes: RecordFixtures.bytes("v2_gzip"), limits: RecordBatchLimits(maxDecompressedBytes: 100),
                 expected: .decompressedSizeExceedsLimit(batchOffset: 200, limit: 100)),
            Case(name: "legacy CRC flipped",
                 bytes: legacyFlipped,
                 expected: .crcMismatch(batchOffset: 10, stored: legacyStored, computed: legacyComputed)),
            Case(name: "legacy key length past the message",
                 bytes: legacyKeyPastEnd,
                 expected: .malformedLegacyMessage(offset: 10, field: .key)),
            Case(name: "legacy length below its minimum",
                 bytes: { var b = RecordFixtures.bytes("legacy_v1"); RecordFixtures.set(Int32(10), at: 8, in: &b); return b }(),
                 expected: .lengthTooSmall(batchOffset: 10, length: 10, minimum: 22)),
        ]
    }()

    @Test(arguments: cases)
    func rejects(_ testCase: Case) {
        #expect(throws: testCase.expected) {
            try FetchedRecords(decoding: RecordFixtures.buffer(testCase.bytes), limits: testCase.limits)
        }
    }

    /// A bad batch after good ones still fails the whole answer, naming the bad one.
    @Test func errorNamesTheBadBatchNotTheFirst() {
        let blob = RecordFixtures.bytes("v2_gzip") + Self.plain(fixCRC: false) { $0[16] = 9 }
        #expect(throws: RecordBatchError.unsupportedMagic(batchOffset: 100, magic: 9)) {
            try FetchedRecords(decoding: RecordFixtures.buffer(blob))
        }
    }

    /// Every byte of a batch body set to a few values, CRC fixed so the decoder goes past
    /// it: each must decode or throw, never trap.
    @Test(arguments: ["v2_uncompressed", "v2_gzip", "v2_transaction", "legacy_v1"])
    func mutationsNeverTrap(name: String) {
        let original = RecordFixtures.bytes(name)
        let isV2 = name.hasPrefix("v2")
        for position in (isV2 ? 21 : 16)..<original.count {
            for value: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF] {
                var bytes = original
                bytes[position] = value
                if isV2 { RecordFixtures.fixV2CRC(&bytes) } else if position < 40 { RecordFixtures.fixLegacyCRC(&bytes) }
                _ = try? FetchedRecords(decoding: RecordFixtures.buffer(bytes))
            }
        }
    }

    @Test func errorsDescribeThemselves() {
        let error = RecordBatchError.malformedRecord(batchOffset: 5, recordIndex: 2, field: .headerKey)
        #expect(error.description == "record batch at offset 5: record 2 has a malformed headerKey")
    }
}
