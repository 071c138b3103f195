/// Kafka's primitive wire types as `ByteBuffer` readers and writers: fixed-width integers,
/// (unsigned) varints, classic and compact strings/bytes/arrays, uuids and tagged-field framing.
///
/// Every reader takes the message and field it is reading for, so errors carry context.
/// Lengths and counts are checked against the bytes that remain before anything is
/// allocated: a garbage frame must cost an error, never a large allocation or a trap.

import NIOCore

extension ByteBuffer {
    // MARK: Fixed width

    @inlinable
    public mutating func readKafkaInteger<T: FixedWidthInteger>(
        as: T.Type = T.self, _ message: String, _ field: String
    ) throws(KafkaCodecError) -> T {
        guard let value = readInteger(endianness: .big, as: T.self) else {
            throw .truncated(message: message, field: field, needed: MemoryLayout<T>.size, available: readableBytes)
        }
        return value
    }

    public mutating func readKafkaBool(_ message: String, _ field: String) throws(KafkaCodecError) -> Bool {
        try readKafkaInteger(as: UInt8.self, message, field) != 0
    }

    public mutating func readKafkaFloat64(_ message: String, _ field: String) throws(KafkaCodecError) -> Double {
        Double(bitPattern: try readKafkaInteger(as: UInt64.self, message, field))
    }

    public mutating func readKafkaUUID(_ message: String, _ field: String) throws(KafkaCodecError) -> KafkaUUID {
        let high = try readKafkaInteger(as: UInt64.self, message, field)
        let low = try readKafkaInteger(as: UInt64.self, message, field)
        return KafkaUUID(high: high, low: low)
    }

    public mutating func writeKafkaBool(_ value: Bool) {
        writeInteger(value ? 1 : 0, as: UInt8.self)
    }

    public mutating func writeKafkaFloat64(_ value: Double) {
        writeInteger(value.bitPattern, endianness: .big)
    }

    public mutating func writeKafkaUUID(_ value: KafkaUUID) {
        writeInteger(value.high, endianness: .big)
        writeInteger(value.low, endianness: .big)
    }

    // MARK: Varints

    /// Unsigned LEB128, at most 5 bytes for 32 bits (Kafka's `ByteUtils.readUnsignedVarint`).
    public mutating func readUnsignedVarint(_ message: String, _ field: String) throws(KafkaCodecError) -> UInt32 {
        var result: UInt64 = 0
        for index in 0..<5 {
            let byte = try readKafkaInteger(as: UInt8.self, message, field)
            result |= UInt64(byte & 0x7f) << (7 * UInt64(index))
            if byte & 0x80 == 0 {
                guard let value = UInt32(exactly: result) else { throw .varintTooLong(message: message, field: field) }
                return value
            }
        }
        throw .varintTooLong(message: message, field: field)
    }

    /// Unsigned LEB128 up to 10 bytes for 64 bits.
    public mutating func readUnsignedVarlong(_ message: String, _ field: String) throws(KafkaCodecError) -> UInt64 {
        var result: UInt64 = 0
        for index in 0..<10 {
            let byte = try readKafkaInteger(as: UInt8.self, message, field)
            // Smart shifts: bits past 64 fall off instead of trapping.
            result |= UInt64(byte & 0x7f) << (7 * UInt64(index))
            if byte & 0x80 == 0 { return result }
        }
        throw .varintTooLong(message: message, field: field)
    }

    /// Zig-zag signed varint (record headers use these).
    public mutating func readVarint(_ message: String, _ field: String) throws(KafkaCodecError) -> Int32 {
        let raw = try readUnsignedVarint(message, field)
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    public mutating func readVarlong(_ message: String, _ field: String) throws(KafkaCodecError) -> Int64 {
        let raw = try readUnsignedVarlong(message, field)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    public mutating func writeUnsignedVarint(_ value: UInt32) {
        writeUnsignedVarlong(UInt64(value))
    }

    public mutating func writeUnsignedVarlong(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        writeInteger(UInt8(truncatingIfNeeded: rest))
    }

    public mutating func writeVarint(_ value: Int32) {
        writeUnsignedVarint(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    public mutating func writeVarlong(_ value: Int64) {
        writeUnsignedVarlong(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    // MARK: Lengths

    /// Reads a length prefix: compact is unsigned varint N+1 (0 = null), classic is a signed
    /// int16/int32 (-1 = null). Returns nil for null. Never returns more than `readableBytes`
    /// divided by `minElementSize`, so callers may allocate for the result.
    public mutating func readKafkaLength(
        compact: Bool, wide: Bool, minElementSize: Int = 1, _ message: String, _ field: String
    ) throws(KafkaCodecError) -> Int? {
        let length: Int
        if compact {
            let raw = try readUnsignedVarint(message, field)
            if raw == 0 { return nil }
            length = Int(raw) - 1
        } else if wide {
            length = Int(try readKafkaInteger(as: Int32.self, message, field))
        } else {
            length = Int(try readKafkaInteger(as: Int16.self, message, field))
        }
        if length == -1 && !compact { return nil }
        guard length >= 0 else { throw .invalidLength(message: message, field: field, length: length) }
        let (needed, overflow) = length.multipliedReportingOverflow(by: max(minElementSize, 0))
        guard !overflow, needed <= readableBytes else {
            throw .invalidLength(message: message, field: field, length: length)
        }
        return length
    }

    /// Writes a length prefix (nil = null). Counts beyond Int32 cannot be framed by Kafka.
    public mutating func writeKafkaLength(
        _ length: Int?, compact: Bool, wide: Bool, _ message: String, _ field: String
    ) throws(KafkaCodecError) {
        guard let length else {
            if compact { writeUnsignedVarint(0) } else if wide { writeInteger(Int32(-1)) } else { writeInteger(Int16(-1)) }
            return
        }
        if compact {
            guard let raw = UInt32(exactly: length + 1) else {
                throw .invalidLength(message: message, field: field, length: length)
            }
            writeUnsignedVarint(raw)
        } else if wide {
            guard let raw = Int32(exactly: length) else { throw .invalidLength(message: message, field: field, length: length) }
            writeInteger(raw)
        } else {
            guard let raw = Int16(exactly: length) else { throw .invalidLength(message: message, field: field, length: length) }
            writeInteger(raw)
        }
    }

    // MARK: Strings, bytes, records

    /// A string (int16 length) or compact string; nil when null on the wire.
    public mutating func readKafkaString(compact: Bool, _ message: String, _ field: String) throws(KafkaCodecError) -> String? {
        // minElementSize 0: a length past the end is reported below as truncated, with sizes.
        guard let length = try readKafkaLength(compact: compact, wide: false, minElementSize: 0, message, field) else {
            return nil
        }
        guard let bytes = readBytes(length: length) else {
            throw .truncated(message: message, field: field, needed: length, available: readableBytes)
        }
        // String(decoding:) repairs bad input with U+FFFD; a changed byte sequence means invalid UTF-8.
        let string = String(decoding: bytes, as: UTF8.self)
        guard string.utf8.elementsEqual(bytes) else { throw .invalidUTF8(message: message, field: field) }
        return string
    }

    public mutating func writeKafkaString(
        _ value: String?, compact: Bool, _ message: String, _ field: String
    ) throws(KafkaCodecError) {
        try writeKafkaLength(value.map { $0.utf8.count }, compact: compact, wide: false, message, field)
        if let value { writeString(value) }
    }

    /// Bytes (int32 length) or compact bytes; nil when null on the wire.
    public mutating func readKafkaBytes(compact: Bool, _ message: String, _ field: String) throws(KafkaCodecError) -> [UInt8]? {
        guard let length = try readKafkaLength(compact: compact, wide: true, minElementSize: 0, message, field) else {
            return nil
        }
        guard let bytes = readBytes(length: length) else {
            throw .truncated(message: message, field: field, needed: length, available: readableBytes)
        }
        return bytes
    }

    public mutating func writeKafkaBytes(
        _ value: [UInt8]?, compact: Bool, _ message: String, _ field: String
    ) throws(KafkaCodecError) {
        try writeKafkaLength(value?.count, compact: compact, wide: true, message, field)
        if let value { writeBytes(value) }
    }

    /// A `records` field: framed like bytes, kept as a slice for the record-batch decoder.
    public mutating func readKafkaRecords(compact: Bool, _ message: String, _ field: String) throws(KafkaCodecError) -> ByteBuffer? {
        guard let length = try readKafkaLength(compact: compact, wide: true, minElementSize: 0, message, field) else {
            return nil
        }
        guard let slice = readSlice(length: length) else {
            throw .truncated(message: message, field: field, needed: length, available: readableBytes)
        }
        return slice
    }

    public mutating func writeKafkaRecords(
        _ value: ByteBuffer?, compact: Bool, _ message: String, _ field: String
    ) throws(KafkaCodecError) {
        try writeKafkaLength(value?.readableBytes, compact: compact, wide: true, message, field)
        if let value { writeImmutableBuffer(value) }
    }

    // MARK: Tagged fields

    /// Reads the count of a tagged-field section; each tagged field needs at least 2 bytes.
    public mutating func readTaggedFieldCount(_ message: String) throws(KafkaCodecError) -> Int {
        let count = Int(try readUnsignedVarint(message, "taggedFields"))
        guard count <= readableBytes / 2 else { throw .invalidLength(message: message, field: "taggedFields", length: count) }
        return count
    }

    /// Reads one tagged field's tag and its payload as a slice (unknown tags are simply dropped).
    public mutating func readTaggedField(_ message: String) throws(KafkaCodecError) -> (tag: UInt32, payload: ByteBuffer) {
        let tag = try readUnsignedVarint(message, "taggedFields")
        let size = Int(try readUnsignedVarint(message, "taggedFields[\(tag)]"))
        guard let payload = readSlice(length: size) else {
            throw .truncated(message: message, field: "taggedFields[\(tag)]", needed: size, available: readableBytes)
        }
        return (tag, payload)
    }

    /// Writes one tagged field: tag, payload size, payload.
    public mutating func writeTaggedField(tag: UInt32, payload: ByteBuffer) {
        writeUnsignedVarint(tag)
        writeUnsignedVarint(UInt32(truncatingIfNeeded: payload.readableBytes))
        writeImmutableBuffer(payload)
    }
}
