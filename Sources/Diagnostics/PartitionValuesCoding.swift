/// How a topic's snapshot stores its per-partition numbers (high watermarks, offset lags): one
/// string `"0:12,1:40,…"`, partitions ascending, instead of the JSON array of alternating keys
/// and values Foundation writes for an `[Int32: Int64]`. The store writes every topic's
/// snapshot on every poll; at 100,000 partitions JSONEncoder spent ~0.5 s of CPU per poll on
/// those arrays (two numbers and two dynamic casts per partition), half of the daemon's poll.
/// Snapshots stored in the array form (before this) still decode.

/// A `[Int32: Int64]` snapshot field stored as one string.
@propertyWrapper
struct PartitionValues: Sendable, Hashable, Codable {
    var wrappedValue: [Int32: Int64]

    init(wrappedValue: [Int32: Int64]) {
        self.wrappedValue = wrappedValue
    }

    init(from decoder: any Decoder) throws {
        wrappedValue = try PartitionValuesText.decode(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(PartitionValuesText.text(of: wrappedValue))
    }
}

/// An optional `[Int32: Int64]` snapshot field stored as one string; nil is left out.
@propertyWrapper
struct OptionalPartitionValues: Sendable, Hashable, Codable {
    var wrappedValue: [Int32: Int64]?

    init(wrappedValue: [Int32: Int64]?) {
        self.wrappedValue = wrappedValue
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try PartitionValuesText.decode(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let values = wrappedValue {
            try container.encode(PartitionValuesText.text(of: values))
        } else {
            try container.encodeNil()
        }
    }
}

// Synthesized Codable asks for a wrapped field with `decode(_:forKey:)`, which fails on a missing
// key; these keep an absent or null optional field nil, and leave nil out, as `Optional` does.
extension KeyedDecodingContainer {
    func decode(_ type: OptionalPartitionValues.Type, forKey key: Key) throws -> OptionalPartitionValues {
        try decodeIfPresent(type, forKey: key) ?? OptionalPartitionValues(wrappedValue: nil)
    }
}

extension KeyedEncodingContainer {
    mutating func encode(_ value: OptionalPartitionValues, forKey key: Key) throws {
        if value.wrappedValue != nil { try encodeIfPresent(value, forKey: key) }
    }
}

/// The text form: `partition:value` pairs, ascending by partition, joined by commas.
enum PartitionValuesText {
    static func text(of values: [Int32: Int64]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 8)
        for partition in values.keys.sorted() {
            if !bytes.isEmpty { bytes.append(UInt8(ascii: ",")) }
            appendDecimal(Int64(partition), to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            appendDecimal(values[partition]!, to: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The string form, or the array/object form older snapshots were written in.
    static func decode(from decoder: any Decoder) throws -> [Int32: Int64] {
        let container = try decoder.singleValueContainer()
        guard let text = try? container.decode(String.self) else {
            return try container.decode([Int32: Int64].self)
        }
        guard let values = parse(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "per-partition values are not \"partition:value,…\" pairs of integers")
        }
        return values
    }

    static func parse(_ text: String) -> [Int32: Int64]? {
        var values: [Int32: Int64] = [:]
        guard !text.isEmpty else { return values }
        for pair in text.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let parts = pair.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            guard parts.count == 2, let partition = Int32(String(decoding: parts[0], as: UTF8.self)),
                  let value = Int64(String(decoding: parts[1], as: UTF8.self)),
                  values.updateValue(value, forKey: partition) == nil else { return nil }
        }
        return values
    }

    private static func appendDecimal(_ number: Int64, to bytes: inout [UInt8]) {
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }
}
