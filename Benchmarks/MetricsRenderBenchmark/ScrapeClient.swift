/// A blocking HTTP/1.1 client on one keep-alive loopback connection, just enough to time a
/// `/metrics` scrape from request to last body byte while spending as little CPU as possible
/// itself (the scrapers share the machine with the server they measure).
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Why a benchmark scrape failed; the benchmark stops rather than print figures of failed scrapes.
enum ScrapeFailure: Error, CustomStringConvertible {
    case socket(errno: Int32)
    case connect(port: Int, errno: Int32)
    case send(errno: Int32)
    case closedEarly(receivedBytes: Int)
    case badAnswer(statusLine: String)
    case missingContentLength(head: String)

    var description: String {
        switch self {
        case .socket(let code): "socket(): errno \(code)"
        case .connect(let port, let code): "connect to 127.0.0.1:\(port): errno \(code)"
        case .send(let code): "send: errno \(code)"
        case .closedEarly(let received): "server closed the connection after \(received) bytes"
        case .badAnswer(let status): "answer was not 200: \(status)"
        case .missingContentLength(let head): "no Content-Length in: \(head)"
        }
    }
}

final class ScrapeClient {
    private let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    init(port: Int) throws {
        #if canImport(Glibc)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw ScrapeFailure.socket(errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw ScrapeFailure.connect(port: port, errno: errno)
        }
    }

    deinit { close(descriptor) }

    /// One `GET /metrics`; returns the body size and whether it came gzip-encoded.
    func scrape(gzip: Bool) throws -> (bodyBytes: Int, gzipped: Bool) {
        let request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (gzip ? "Accept-Encoding: gzip\r\n" : "") + "\r\n"
        var requestBytes = Array(request.utf8)
        var sent = 0
        while sent < requestBytes.count {
            let count = requestBytes.withUnsafeMutableBytes { send(descriptor, $0.baseAddress! + sent, $0.count - sent, 0) }
            guard count > 0 else { throw ScrapeFailure.send(errno: errno) }
            sent += count
        }
        // The head, then exactly Content-Length body bytes, which are dropped as they arrive.
        var head: [UInt8] = []
        var bodyReceived = 0
        var headEnd: Int?
        while headEnd == nil {
            let count = try receive()
            head.append(contentsOf: buffer[0..<count])
            headEnd = Self.endOfHead(head)
        }
        let headText = String(decoding: head[0..<headEnd!], as: UTF8.self)
        let lines = headText.split(separator: "\r\n")
        guard let status = lines.first, status.hasPrefix("HTTP/1.1 200") else {
            throw ScrapeFailure.badAnswer(statusLine: String(lines.first ?? ""))
        }
        var contentLength: Int?
        var gzipped = false
        for line in lines.dropFirst() {
            let lowered = line.lowercased()
            if lowered.hasPrefix("content-length:") { contentLength = Int(lowered.dropFirst(15).filter { $0 != " " }) }
            if lowered.hasPrefix("content-encoding:") { gzipped = lowered.contains("gzip") }
        }
        guard let contentLength else { throw ScrapeFailure.missingContentLength(head: headText) }
        bodyReceived = head.count - (headEnd! + 4)
        while bodyReceived < contentLength {
            bodyReceived += try receive()
        }
        return (contentLength, gzipped)
    }

    private func receive() throws -> Int {
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
        guard count > 0 else { throw ScrapeFailure.closedEarly(receivedBytes: 0) }
        return count
    }

    private static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}
