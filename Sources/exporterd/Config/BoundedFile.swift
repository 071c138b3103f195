/// Reading the files exporterd takes input from (the config, an `orbit_config`, the state
/// document) with a size cap, and operating-system errors worded for people. A file is read
/// up to `limit + 1` bytes and never further, so a huge or endless file (a log written to the
/// wrong path, `/dev/zero`) costs at most that much memory before it is refused.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum BoundedFile {
    enum ReadError: Error, Equatable, CustomStringConvertible {
        /// The OS refused: `reason` is its message, e.g. "no such file or directory".
        case system(path: String, reason: String)
        case notRegularFile(path: String)
        case tooLarge(path: String, limit: Int)

        var description: String {
            switch self {
            case .system(let path, let reason): "\(path): \(reason)"
            case .notRegularFile(let path): "\(path) is not a regular file"
            case .tooLarge(let path, let limit): "\(path) is larger than \(ByteCount.format(limit))"
            }
        }

        /// What went wrong, without the path (for messages that name the path already).
        var reason: String {
            switch self {
            case .system(_, let reason): reason
            case .notRegularFile: "not a regular file"
            case .tooLarge(_, let limit): "larger than \(ByteCount.format(limit))"
            }
        }
    }

    static func read(_ path: String, limit: Int) throws(ReadError) -> Data {
        // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever; it is then
        // refused as not a regular file. Regular files ignore the flag.
        let descriptor = openDescriptor(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0)
        guard descriptor >= 0 else { throw .system(path: path, reason: OSErrorText.describe(errno)) }
        defer { closeDescriptor(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .system(path: path, reason: OSErrorText.describe(errno)) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile(path: path) }

        var data = Data()
        let chunk = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: chunk)
        while data.count <= limit {
            let wanted = min(chunk, limit + 1 - data.count)
            let count = buffer.withUnsafeMutableBytes { readDescriptor(descriptor, $0.baseAddress, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system(path: path, reason: OSErrorText.describe(errno))
            }
            if count == 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        guard data.count <= limit else { throw .tooLarge(path: path, limit: limit) }
        return data
    }
}

/// `strerror` as a phrase inside a sentence: "permission denied", "not a directory".
enum OSErrorText {
    static func describe(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return "error \(code)" }
        // Lowercase the first word unless it is an acronym ("I/O error").
        let firstWord = text.prefix { $0 != " " }
        if firstWord.count > 1, firstWord.dropFirst().allSatisfy(\.isLowercase) {
            return first.lowercased() + text.dropFirst()
        }
        return text
    }
}

/// Byte sizes in the binary units the limits are set in.
enum ByteCount {
    static func format(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}

#if canImport(Glibc)
private func readDescriptor(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { Glibc.read(descriptor, buffer, count) }
#elseif canImport(Darwin)
private func readDescriptor(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { Darwin.read(descriptor, buffer, count) }
#endif
