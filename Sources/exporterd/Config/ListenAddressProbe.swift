/// Checks `listen_address` before the daemon starts anything else: resolves the host and binds
/// a listening socket the way the HTTP server will (SO_REUSEADDR), then lets it go. A port in
/// use or a host that does not resolve is then one config error naming `listen_address`, not a
/// server failure in the middle of a running poll loop.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum ListenAddressProbe {
    enum Failure: Error, Equatable, CustomStringConvertible {
        case unresolvable(host: String, reason: String)
        case cannotListen(address: String, reason: String)

        var description: String {
            switch self {
            case .unresolvable(let host, let reason): "cannot resolve host \"\(host)\": \(reason)"
            case .cannotListen(let address, let reason): "cannot listen on \(address): \(reason)"
            }
        }
    }

    static func check(_ address: HostPort) throws(Failure) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = AI_PASSIVE
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &results)
        guard status == 0, let first = results else {
            let reason = status == EAI_SYSTEM ? OSErrorText.describe(errno) : phrase(String(cString: gai_strerror(status)))
            throw .unresolvable(host: address.host, reason: reason)
        }
        defer { freeaddrinfo(results) }
        // The server binds the first address the resolver gives, and so does this check.
        let info = first.pointee
        let descriptor = socket(info.ai_family, info.ai_socktype, info.ai_protocol)
        guard descriptor >= 0 else { throw .cannotListen(address: "\(address)", reason: OSErrorText.describe(errno)) }
        defer { closeDescriptor(descriptor) }
        var one: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, info.ai_addr, info.ai_addrlen) == 0, listen(descriptor, 1) == 0 else {
            throw .cannotListen(address: "\(address)", reason: OSErrorText.describe(errno))
        }
    }

    /// "Name or service not known" as a phrase: "name or service not known".
    private static func phrase(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.lowercased() + text.dropFirst()
    }
}
