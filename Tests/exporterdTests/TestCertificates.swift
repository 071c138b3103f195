/// A throwaway PKI made with the `openssl` command for TLS tests: a CA, a server certificate
/// for `localhost` and 127.0.0.1 signed by it, a client certificate for mTLS, and a second CA
/// that signed nothing here (to show an untrusted server is refused).
import AsyncHTTPClient
import Foundation
import Testing

struct TestCertificates {
    let directory: URL
    var caCert: URL { directory.appendingPathComponent("ca.pem") }
    var serverCert: URL { directory.appendingPathComponent("server.pem") }
    var serverKey: URL { directory.appendingPathComponent("server-key.pem") }
    var clientCert: URL { directory.appendingPathComponent("client.pem") }
    var clientKey: URL { directory.appendingPathComponent("client-key.pem") }
    var otherCACert: URL { directory.appendingPathComponent("other-ca.pem") }

    func text(_ file: URL) throws -> String { try String(contentsOf: file, encoding: .utf8) }

    struct OpenSSLFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let output: String
        var description: String { "openssl \(arguments.joined(separator: " ")): \(output)" }
    }

    static func make() throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pki = TestCertificates(directory: directory)
        func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.currentDirectoryURL = directory
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw OpenSSLFailed(arguments: arguments, output: text) }
        }
        for name in ["ca", "other-ca"] {
            try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name)-key.pem", "-out", "\(name).pem",
                         "-days", "2", "-subj", "/CN=exporterd test \(name)",
                         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        }
        try Data("""
            basicConstraints=CA:FALSE
            subjectAltName=DNS:localhost,IP:127.0.0.1
            extendedKeyUsage=serverAuth
            """.utf8).write(to: directory.appendingPathComponent("server.ext"))
        try Data("""
            basicConstraints=CA:FALSE
            extendedKeyUsage=clientAuth
            """.utf8).write(to: directory.appendingPathComponent("client.ext"))
        for name in ["server", "client"] {
            try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name)-key.pem", "-out", "\(name).csr",
                         "-subj", "/CN=\(name == "server" ? "localhost" : "prometheus")"])
            try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                         "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext"])
        }
        return pki
    }
}

/// Runs `body` with `client`, shutting it down afterwards whatever happens (AsyncHTTPClient
/// requires every client it did not create itself to be shut down).
func withHTTPClient<T>(_ client: HTTPClient, _ body: (HTTPClient) async throws -> T) async throws -> T {
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}
