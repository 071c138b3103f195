/// Loads the kafka-python fixtures (scripts/gen_fixtures.py) and checks one codec against
/// them: decode the bytes, compare every field kafka-python decoded, re-encode, compare bytes.

import Foundation
import NIOCore
import Testing
@testable import SourceWatcher

enum Fixtures {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static func bytes(_ key: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: key, withExtension: "bin", subdirectory: "Fixtures") else {
            throw Missing(description: "no fixture \(key).bin; run scripts/gen_fixtures.py")
        }
        return Array(try Data(contentsOf: url))
    }

    /// The "expected" tree of one fixture. Parsed per call: the index is small and
    /// `[String: Any]` cannot be shared across concurrently running tests.
    static func expected(_ key: String) throws -> [String: Any] {
        guard let url = Bundle.module.url(forResource: "fixtures", withExtension: "json", subdirectory: "Fixtures"),
              let index = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any],
              let entry = index[key] as? [String: Any],
              let expected = entry["expected"] as? [String: Any]
        else {
            throw Missing(description: "no entry \(key) in fixtures.json")
        }
        return expected
    }

    /// Decodes, compares field by field, re-encodes and compares bytes.
    static func check<M: KafkaMessageCodec>(_ type: M.Type, version: Int16) throws {
        let key = "\(M.self)-v\(version)"
        let original = try bytes(key)
        var buffer = ByteBuffer(bytes: original)
        let message = try M(from: &buffer, version: version)
        #expect(buffer.readableBytes == 0, "\(key): \(buffer.readableBytes) bytes left after decoding")

        var mismatches: [String] = []
        compare(message, try expected(key), path: key, into: &mismatches)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).joined(separator: "\n"))")

        var encoded = ByteBuffer()
        try message.encode(into: &encoded, version: version)
        #expect(Array(encoded.readableBytesView) == original, "\(key): re-encoded bytes differ")
    }

    // MARK: Field-by-field comparison through reflection, so no per-message test code is needed.

    static func compare(_ actual: Any, _ expected: Any, path: String, into mismatches: inout [String]) {
        let value = unwrap(actual)
        if expected is NSNull {
            if let value { mismatches.append("\(path): expected null, got \(value)") }
            return
        }
        guard let value else {
            mismatches.append("\(path): expected \(expected), got nil")
            return
        }
        if let scalar = expected as? String {
            let rendered = render(value)
            if rendered != scalar { mismatches.append("\(path): expected \(scalar), got \(rendered ?? "\(value)")") }
        } else if let list = expected as? [Any] {
            let children = Mirror(reflecting: value).children.map(\.value)
            guard children.count == list.count else {
                mismatches.append("\(path): expected \(list.count) elements, got \(children.count)")
                return
            }
            for (index, (child, item)) in zip(children, list).enumerated() {
                compare(child, item, path: "\(path)[\(index)]", into: &mismatches)
            }
        } else if let fields = expected as? [String: Any] {
            let mirror = Mirror(reflecting: value)
            for (name, item) in fields.sorted(by: { $0.key < $1.key }) {
                guard let child = mirror.children.first(where: { $0.label == name }) else {
                    mismatches.append("\(path).\(name): no such property on \(type(of: value))")
                    continue
                }
                compare(child.value, item, path: "\(path).\(name)", into: &mismatches)
            }
        } else {
            mismatches.append("\(path): unexpected JSON \(expected)")
        }
    }

    static func unwrap(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first.map { unwrap($0.value) } ?? nil
    }

    /// The fixture's scalar spelling (see scripts/gen_fixtures.py).
    static func render(_ value: Any) -> String? {
        switch value {
        case let string as String: string
        case let bool as Bool: bool ? "true" : "false"
        case let bytes as [UInt8]: "0x" + hex(bytes)
        case let buffer as ByteBuffer: "0x" + hex(Array(buffer.readableBytesView))
        case let uuid as KafkaUUID: uuid.description
        case let double as Double: "\(double)"
        case let integer as any BinaryInteger: "\(integer)"
        default: nil
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
