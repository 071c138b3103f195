/// Kafka's `uuid` wire type: 16 raw bytes, big-endian, no dashes on the wire.

public struct KafkaUUID: Sendable, Hashable, CustomStringConvertible {
    /// First 8 bytes (most significant).
    public var high: UInt64
    /// Last 8 bytes.
    public var low: UInt64

    public static let zero = KafkaUUID(high: 0, low: 0)

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Returns nil unless exactly 16 bytes are given.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for byte in bytes[0..<8] { high = (high << 8) | UInt64(byte) }
        for byte in bytes[8..<16] { low = (low << 8) | UInt64(byte) }
        self.init(high: high, low: low)
    }

    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    /// Lowercase hex with dashes (8-4-4-4-12), as Kafka tools print a UUID's bytes.
    public var description: String {
        let hex = bytes.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
        let chars = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(chars[$0]) }.joined(separator: "-")
    }
}
