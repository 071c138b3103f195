/// The consumer protocol assignment decoder against kafka-python's encodings (every version
/// 0–3, user data null, empty and opaque, unicode topics), and against garbage: every
/// truncation, bad lengths, bad UTF-8, negative versions, trailing bytes. Garbage throws a
/// typed error; nothing traps.
import NIOCore
import Testing
@testable import SourceWatcher

@Suite struct ConsumerProtocolAssignmentTests {
    @Test(arguments: ConsumerProtocolFixtures.names)
    func decodesWhatKafkaPythonEncoded(name: String) throws {
        let bytes = try ConsumerProtocolFixtures.bytes(name)
        let decoded = try ConsumerProtocolAssignment(decoding: bytes)
        #expect(decoded == (try ConsumerProtocolFixtures.expected(name)))
        #expect(try decoded.encoded() == bytes, "re-encoded bytes differ")
    }

    @Test func everyVersionFromZeroToThreeIsCovered() throws {
        let versions = try Set(ConsumerProtocolFixtures.names.map { try ConsumerProtocolAssignment(decoding: ConsumerProtocolFixtures.bytes($0)).version })
        #expect(versions == [0, 1, 2, 3])
    }

    @Test func partitionsAreListedTopicByTopic() throws {
        let billing = try ConsumerProtocolAssignment(decoding: ConsumerProtocolFixtures.bytes("billing-1"))
        #expect(billing.partitions == [
            TopicPartition(topic: "orders", partition: 0), TopicPartition(topic: "orders", partition: 2),
            TopicPartition(topic: "audit", partition: 1),
        ])
        #expect(billing.userData == [1, 2])
        let empty = try ConsumerProtocolAssignment(decoding: ConsumerProtocolFixtures.bytes("empty-3"))
        #expect(empty.partitions.isEmpty)
        #expect(empty.userData == nil)
    }

    @Test(arguments: ConsumerProtocolFixtures.names)
    func everyTruncationThrowsATypedError(name: String) throws {
        let bytes = try ConsumerProtocolFixtures.bytes(name)
        for length in 0..<bytes.count {
            #expect(throws: ConsumerProtocolError.self, "\(name) cut at \(length)") {
                try ConsumerProtocolAssignment(decoding: Array(bytes.prefix(length)))
            }
        }
    }

    @Test func aNewerVersionIsReadWithTheV3LayoutAndItsAppendedFieldsIgnored() throws {
        var bytes = try ConsumerProtocolFixtures.bytes("billing-1")
        bytes[0] = 0
        bytes[1] = 4
        bytes += [0xAA, 0xBB, 0xCC]  // a field a future version appended
        let decoded = try ConsumerProtocolAssignment(decoding: bytes)
        #expect(decoded.version == 4)
        #expect(decoded.partitions == (try ConsumerProtocolFixtures.expected("billing-1")).partitions)
    }

    @Test func bytesAfterAKnownVersionAreRejected() throws {
        let bytes = try ConsumerProtocolFixtures.bytes("billing-2") + [0]
        #expect(throws: ConsumerProtocolError.trailingBytes(version: 0, count: 1)) {
            try ConsumerProtocolAssignment(decoding: bytes)
        }
    }

    @Test func garbageIsATypedErrorNamingTheField() throws {
        #expect(throws: ConsumerProtocolError.negativeVersion(-1)) {
            try ConsumerProtocolAssignment(decoding: [0xFF, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        }
        // A topic count far beyond the bytes that follow: no allocation, an error.
        #expect(throws: ConsumerProtocolError.codec(.invalidLength(message: "ConsumerProtocolAssignment", field: "assignedPartitions", length: 0x7FFF_FFFF))) {
            try ConsumerProtocolAssignment(decoding: [0, 1, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        }
        // A null topic array.
        #expect(throws: ConsumerProtocolError.codec(.unexpectedNull(message: "ConsumerProtocolAssignment", field: "assignedPartitions"))) {
            try ConsumerProtocolAssignment(decoding: [0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        }
        // A topic name that is not UTF-8.
        #expect(throws: ConsumerProtocolError.codec(.invalidUTF8(message: "ConsumerProtocolAssignment", field: "topic"))) {
            try ConsumerProtocolAssignment(decoding: [0, 0, 0, 0, 0, 1, 0, 2, 0xC3, 0x28, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        }
        // A null partition list.
        #expect(throws: ConsumerProtocolError.codec(.unexpectedNull(message: "ConsumerProtocolAssignment", field: "partitions"))) {
            try ConsumerProtocolAssignment(decoding: [0, 0, 0, 0, 0, 1, 0, 1, 0x61, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        }
        // An HTTP page where the assignment should be.
        #expect(throws: ConsumerProtocolError.self) {
            try ConsumerProtocolAssignment(decoding: Array("HTTP/1.1 200 OK\r\n\r\n".utf8))
        }
    }

    /// Mutations of a real assignment (one byte changed at every position, to every value of
    /// a few) decode or throw; none traps.
    @Test func everyOneByteMutationDecodesOrThrows() throws {
        let original = try ConsumerProtocolFixtures.bytes("unicode-2")
        var thrown = 0
        for index in original.indices {
            for value: UInt8 in [0x00, 0x7F, 0x80, 0xFF] where original[index] != value {
                var bytes = original
                bytes[index] = value
                do {
                    _ = try ConsumerProtocolAssignment(decoding: bytes)
                } catch {
                    thrown += 1
                }
            }
        }
        #expect(thrown > 0)
    }
}
