/// A Tansu broker of a test's own, for tests that stop and resume a broker: doing that to the
/// shared lab brokers would break the suites running beside them.
import Foundation
import SourceWatcher

final class PrivateBroker {
    let process: Process
    let address: BrokerAddress

    init() throws {
        let port = try Self.freePort()
        address = BrokerAddress(host: "127.0.0.1", port: port)
        process = Process()
        process.executableURL = URL(fileURLWithPath: LabEnvironment.tansu)
        process.arguments = ["broker", "--cluster-id", "private-\(port)",
                             "--listener-url", "tcp://127.0.0.1:\(port)",
                             "--advertised-listener-url", "tcp://127.0.0.1:\(port)",
                             "--storage-engine", "memory://private\(port)/"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            if Self.accepts(port: port) { return }
            usleep(100_000)
        }
        process.terminate()
        throw LabFailure.brokerDidNotStart(port: port)
    }

    var bootstrap: String { "\(address.host):\(address.port)" }

    /// SIGSTOP: the broker keeps its sockets and data but answers nothing — a hung broker.
    func suspend() { kill(process.processIdentifier, SIGSTOP) }
    func resume() { kill(process.processIdentifier, SIGCONT) }

    func stop() {
        resume()
        process.terminate()
        // Tansu may ignore SIGTERM while a client holds a connection; do not wait forever.
        for _ in 0..<20 where process.isRunning { usleep(100_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { stop() } }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Binds port 0 to let the kernel choose a free port, then releases it for Tansu.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
