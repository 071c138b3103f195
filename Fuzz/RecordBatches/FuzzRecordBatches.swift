/// libFuzzer entry for fetched record sets: v2 record batches (gzip included) and legacy
/// message sets, through `FetchedRecords(decoding:)`. A mutated batch almost never carries a
/// valid checksum, so each input is decoded twice: as it is (the checksum and framing checks)
/// and with every frame's checksum recomputed (everything behind them). An input starting
/// with "G" is instead a gzip batch to build: byte 1 is the record count, the rest the
/// uncompressed records, which the harness compresses so the fuzzer reaches the records
/// inside a gzip body rather than zlib's own checks.
import CompressNIO
import NIOCore
import SourceWatcher
import Foundation
import LibFuzzerEntry

let limits = RecordBatchLimits(maxBatchBytes: 1 << 20, maxDecompressedBytes: 1 << 20)

/// Table-driven reflected CRC-32 with the given polynomial (Castagnoli for v2, IEEE for legacy).
struct CRC32 {
    let table: [UInt32]
    init(polynomial: UInt32) {
        table = (0..<256).map { index in
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
            return crc
        }
    }
    func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
let crc32c = CRC32(polynomial: 0x82F6_3B78)
let crc32 = CRC32(polynomial: 0xEDB8_8320)

func write(_ value: UInt32, into bytes: inout [UInt8], at index: Int) {
    for shift in 0..<4 { bytes[index + shift] = UInt8(truncatingIfNeeded: value >> (24 - 8 * shift)) }
}

func readInt32(_ bytes: [UInt8], at index: Int) -> Int32 {
    Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[index + $1]) })
}

/// Rewrites the checksum of every whole frame (offset, length, then crc/epoch, magic …).
func withChecksumsFixed(_ input: [UInt8]) -> [UInt8] {
    var bytes = input
    var start = 0
    while start + 17 <= bytes.count {
        let length = Int(readInt32(bytes, at: start + 8))
        guard length >= 5, start + 12 + length <= bytes.count else { break }
        let end = start + 12 + length
        switch bytes[start + 16] {
        case 2 where length >= 9:  // crc32c after the crc field: attributes to the end
            write(crc32c.checksum(bytes[(start + 21)..<end]), into: &bytes, at: start + 17)
        case 0, 1:  // crc32 of magic to the end
            write(crc32.checksum(bytes[(start + 16)..<end]), into: &bytes, at: start + 12)
        default:
            return bytes
        }
        start = end
    }
    return bytes
}

/// A v2 gzip batch holding `records` compressed, `count` records claimed.
func gzipBatch(count: UInt8, records: ArraySlice<UInt8>) -> [UInt8]? {
    var plain = ByteBuffer(bytes: records)
    guard let compressed = try? plain.compress(with: .gzip()) else { return nil }
    var batch: [UInt8] = []
    func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.bigEndian) { batch += $0 } }
    append(Int64(100))  // base offset
    append(Int32(49 + compressed.readableBytes))  // batch length: header after it, then body
    append(Int32(0))  // leader epoch
    append(Int8(2))  // magic
    append(UInt32(0))  // crc, set below
    append(Int16(1))  // attributes: gzip
    append(Int32(Int32(count) - 1))  // last offset delta
    append(Int64(1_700_000_000_000))  // base timestamp
    append(Int64(1_700_000_000_000))  // max timestamp
    append(Int64(-1))  // producer id
    append(Int16(-1))  // producer epoch
    append(Int32(-1))  // base sequence
    append(Int32(count))  // record count
    batch += compressed.readableBytesView
    write(crc32c.checksum(batch[21...]), into: &batch, at: 17)
    return batch
}

@main
enum Entry {
    static func main() {
        exit(libfuzzer_run(CommandLine.argc, CommandLine.unsafeArgv, testOneInput))
    }
}

/// One input; libFuzzer reports a crash, a sanitizer finding or a failed precondition.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    if input.first == UInt8(ascii: "G"), input.count >= 2 {
        if let batch = gzipBatch(count: input[1], records: input[2...]) {
            _ = try? FetchedRecords(decoding: ByteBuffer(bytes: batch), limits: limits)
        }
        return 0
    }
    _ = try? FetchedRecords(decoding: ByteBuffer(bytes: input), limits: limits)
    let fixed = withChecksumsFixed(input)
    if fixed != input {
        _ = try? FetchedRecords(decoding: ByteBuffer(bytes: fixed), limits: limits)
    }
    return 0
}
