/// The two checksums Kafka record formats carry: CRC-32C (Castagnoli) in v2 record batches,
/// CRC-32 (IEEE, the zlib one) in legacy v0/v1 messages.
enum Checksum {
    /// CRC-32C over `bytes`, as stored in a v2 RecordBatch's `crc` field.
    static func crc32c(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        castagnoli.checksum(bytes)
    }

    /// CRC-32 (IEEE 802.3) over `bytes`, as stored in a legacy message's `crc` field.
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        ieee.checksum(bytes)
    }

    private static let castagnoli = Table(reflectedPolynomial: 0x82F6_3B78)
    private static let ieee = Table(reflectedPolynomial: 0xEDB8_8320)

    /// Byte-at-a-time table: batches are at most a few MiB and this runs once per Fetch
    /// answer, so slicing-by-8 would buy little for its complexity.
    private struct Table: Sendable {
        let entries: [UInt32]

        init(reflectedPolynomial: UInt32) {
            entries = (0..<256).map { index in
                var crc = UInt32(index)
                for _ in 0..<8 {
                    crc = crc & 1 == 1 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1
                }
                return crc
            }
        }

        func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            entries.withUnsafeBufferPointer { table in
                for byte in bytes {
                    crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
                }
            }
            return crc ^ 0xFFFF_FFFF
        }
    }
}
