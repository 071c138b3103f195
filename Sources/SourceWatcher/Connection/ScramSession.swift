/// The client side of one SCRAM exchange (RFC 5802, RFC 7677) as a value-type state machine:
/// each transition takes the server's message and returns the next client message or a typed
/// error. No I/O here; `BrokerConnection` carries the bytes in SaslAuthenticate.
///
/// Like Kafka's own client: no channel binding (GS2 header `n,,`), no SASLprep of the password
/// (its UTF-8 bytes are used as they are), and an iteration count below 4096 is refused.
import Crypto
import _CryptoExtras
import struct Foundation.Data

public enum ScramError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A server message that is not what RFC 5802 says it must be (no secret in `detail`).
    case malformedServerMessage(String)
    /// The server's nonce does not start with ours: a replayed or tampered exchange.
    case nonceMismatch
    case iterationCountTooLow(Int)
    /// `e=` in server-final: the server's own reason (e.g. `invalid-proof`).
    case serverError(String)
    /// The server could not prove it knows the password: not the broker we think.
    case serverSignatureMismatch
    /// A transition called in the wrong state (a bug on our side, not the server's).
    case outOfOrder

    public var description: String {
        switch self {
        case .malformedServerMessage(let detail): "malformed SCRAM server message: \(detail)"
        case .nonceMismatch: "the server nonce does not extend the client nonce"
        case .iterationCountTooLow(let count): "iteration count \(count) is below the minimum 4096"
        case .serverError(let reason): "the server rejected the proof (\(reason))"
        case .serverSignatureMismatch: "the server signature does not verify (wrong broker or tampered exchange)"
        case .outOfOrder: "SCRAM messages out of order"
        }
    }
}

public struct ScramSession: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The hash behind the mechanism. SHA-1 is RFC 5802's own test vector only; Kafka speaks
    /// SHA-256 and SHA-512.
    enum Algorithm: Sendable {
        case sha1, sha256, sha512

        var pbkdf2: KDF.Insecure.PBKDF2.HashFunction {
            switch self {
            case .sha1: .insecureSHA1
            case .sha256: .sha256
            case .sha512: .sha512
            }
        }

        var outputByteCount: Int {
            switch self {
            case .sha1: Insecure.SHA1.byteCount
            case .sha256: SHA256.byteCount
            case .sha512: SHA512.byteCount
            }
        }

        func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
            let key = SymmetricKey(data: key)
            return switch self {
            case .sha1: Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
            case .sha256: Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
            case .sha512: Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
            }
        }

        /// Hi(password, salt, i) of RFC 5802: PBKDF2 with this hash's HMAC.
        func saltedPassword(_ password: String, salt: [UInt8], iterations: Int) throws -> [UInt8] {
            let key = try KDF.Insecure.PBKDF2.deriveKey(
                from: Array(password.utf8), salt: salt, using: pbkdf2,
                outputByteCount: outputByteCount, unsafeUncheckedRounds: iterations)
            return key.withUnsafeBytes { Array($0) }
        }

        func hash(_ data: [UInt8]) -> [UInt8] {
            switch self {
            case .sha1: Array(Insecure.SHA1.hash(data: data))
            case .sha256: Array(SHA256.hash(data: data))
            case .sha512: Array(SHA512.hash(data: data))
            }
        }
    }

    private enum State: Sendable {
        case initial
        case awaitingServerFirst(clientFirstBare: String)
        case awaitingServerFinal(expectedServerSignature: [UInt8])
        case finished
        case failed
    }

    static let minimumIterations = 4096

    private let algorithm: Algorithm
    private let username: String
    private let password: String
    private let clientNonce: String
    private var state = State.initial

    /// `clientNonce` is injected by tests; otherwise 24 random bytes, base64 (printable, no comma).
    public init(mechanism: SaslMechanism, username: String, password: String, clientNonce: String? = nil) {
        let algorithm: Algorithm = mechanism == .scramSHA512 ? .sha512 : .sha256
        self.init(algorithm: algorithm, username: username, password: password, clientNonce: clientNonce)
    }

    init(algorithm: Algorithm, username: String, password: String, clientNonce: String? = nil) {
        self.algorithm = algorithm
        self.username = username
        self.password = password
        self.clientNonce = clientNonce ?? Self.randomNonce()
    }

    /// Never the password: a session printed or dumped by mistake must not leak it.
    public var description: String { "ScramSession(\(algorithm), \(state))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["algorithm": algorithm, "password": "<redacted>"]) }

    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// client-first-message: `n,,n=<user>,r=<nonce>`.
    public mutating func clientFirstMessage() throws(ScramError) -> [UInt8] {
        guard case .initial = state else { throw .outOfOrder }
        let bare = "n=\(Self.escape(username)),r=\(clientNonce)"
        state = .awaitingServerFirst(clientFirstBare: bare)
        return Array(("n,," + bare).utf8)
    }

    /// Takes server-first-message, returns client-final-message with the proof.
    public mutating func receive(serverFirst message: [UInt8]) throws(ScramError) -> [UInt8] {
        guard case .awaitingServerFirst(let clientFirstBare) = state else { throw .outOfOrder }
        state = .failed
        guard let serverFirst = String(validating: message, as: UTF8.self) else {
            throw .malformedServerMessage("server-first is not UTF-8")
        }
        let attributes = try Self.attributes(serverFirst)
        if let error = attributes["e"] { throw .serverError(error) }
        if attributes["m"] != nil { throw .malformedServerMessage("server-first asks for an extension (m=)") }
        guard let nonce = attributes["r"] else { throw .malformedServerMessage("server-first has no nonce (r=)") }
        guard nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count else { throw .nonceMismatch }
        guard let saltText = attributes["s"], let salt = Data(base64Encoded: saltText), !salt.isEmpty else {
            throw .malformedServerMessage("server-first has no valid salt (s=)")
        }
        guard let iterationText = attributes["i"], let iterations = Int(iterationText) else {
            throw .malformedServerMessage("server-first has no valid iteration count (i=)")
        }
        guard iterations >= Self.minimumIterations else { throw .iterationCountTooLow(iterations) }

        let saltedPassword: [UInt8]
        do {
            saltedPassword = try algorithm.saltedPassword(password, salt: Array(salt), iterations: iterations)
        } catch {
            throw .malformedServerMessage("cannot derive the salted password (\(iterations) iterations)")
        }
        let clientKey = algorithm.hmac(key: saltedPassword, Array("Client Key".utf8))
        let storedKey = algorithm.hash(clientKey)
        let channelBinding = Data("n,,".utf8).base64EncodedString()  // "biws"
        let withoutProof = "c=\(channelBinding),r=\(nonce)"
        let authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
        let clientSignature = algorithm.hmac(key: storedKey, authMessage)
        let proof = zip(clientKey, clientSignature).map { $0 ^ $1 }
        let serverKey = algorithm.hmac(key: saltedPassword, Array("Server Key".utf8))
        state = .awaitingServerFinal(expectedServerSignature: algorithm.hmac(key: serverKey, authMessage))
        return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
    }

    /// Takes server-final-message and checks the server's signature.
    public mutating func receive(serverFinal message: [UInt8]) throws(ScramError) {
        guard case .awaitingServerFinal(let expected) = state else { throw .outOfOrder }
        state = .failed
        guard let serverFinal = String(validating: message, as: UTF8.self) else {
            throw .malformedServerMessage("server-final is not UTF-8")
        }
        let attributes = try Self.attributes(serverFinal)
        if let error = attributes["e"] { throw .serverError(error) }
        guard let verifierText = attributes["v"], let verifier = Data(base64Encoded: verifierText) else {
            throw .malformedServerMessage("server-final has no valid verifier (v=)")
        }
        guard Self.constantTimeEqual(Array(verifier), expected) else { throw .serverSignatureMismatch }
        state = .finished
    }

    /// RFC 5802 §5.1: `=` and `,` in a username are written `=3D` and `=2C`.
    static func escape(_ username: String) -> String {
        username.replacing("=", with: "=3D").replacing(",", with: "=2C")
    }

    /// `a=value` pairs split on commas; a value may itself hold `=` (base64 padding).
    private static func attributes(_ message: String) throws(ScramError) -> [Character: String] {
        var result: [Character: String] = [:]
        for part in message.split(separator: ",", omittingEmptySubsequences: false) {
            guard part.count >= 2, let key = part.first, key.isLetter, part.dropFirst().first == "=" else {
                throw .malformedServerMessage("attribute is not of the form a=value")
            }
            if result[key] == nil { result[key] = String(part.dropFirst(2)) }
        }
        return result
    }

    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func randomNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
    }
}
