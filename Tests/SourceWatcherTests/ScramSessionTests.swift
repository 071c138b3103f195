/// `ScramSession` against published SCRAM exchanges, client nonce injected: RFC 5802's
/// SHA-1 example (the algorithm), RFC 7677's SHA-256 example, and a SHA-512 exchange made by
/// an independent server (`scramp`, fixed nonces and salt). Then every way a server message
/// can be wrong.
import Foundation
import Testing
@testable import SourceWatcher

@Suite struct ScramSessionTests {
    struct Exchange {
        var algorithm: ScramSession.Algorithm
        var clientNonce: String
        var clientFirst: String
        var serverFirst: String
        var clientFinal: String
        var serverFinal: String
    }

    static let rfc5802 = Exchange(
        algorithm: .sha1, clientNonce: "fyko+d2lbbFgONRv9qkxdawL",
        clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
        serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
        clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
        serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")

    static let rfc7677 = Exchange(
        algorithm: .sha256, clientNonce: "rOprNGfwEbeRWgbNEkqO",
        clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
        serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")

    /// scramp 1.5.0 as server (Tests/e2e/scram_vector.py prints it): user "user", password
    /// "pencil", the nonces and salt below.
    static let scrampSHA512 = Exchange(
        algorithm: .sha512, clientNonce: "ZXhwb3J0ZXJkLWNsaWVudC1ub25jZQ",
        clientFirst: "n,,n=user,r=ZXhwb3J0ZXJkLWNsaWVudC1ub25jZQ",
        serverFirst: "r=ZXhwb3J0ZXJkLWNsaWVudC1ub25jZQc2NyYW1wLXNlcnZlci1ub25jZQ,s=ZXhwb3J0ZXJkLXNjcmFtLXZlY3Rvci1zYWx0,i=4096",
        clientFinal: "c=biws,r=ZXhwb3J0ZXJkLWNsaWVudC1ub25jZQc2NyYW1wLXNlcnZlci1ub25jZQ,p=bllRdx9HXMwtlkU44U0VM2uU6iIpj2izv9YDYY3D8xpwoIxGuMpPAhI/T8xjNpzVhyUUM4DxzhVHeIdgRaWomA==",
        serverFinal: "v=juRYaLEhcM1u5ApOA5gB25lLWSbSc3bhbyEvjt70SMKMNf0bpyGdxtuPdc2/ALTK8YV8PedB8JspF/HdmnQe1w==")

    @Test(arguments: [rfc5802, rfc7677, scrampSHA512])
    func publishedExchangeIsReproducedByteForByte(_ exchange: Exchange) throws {
        var session = ScramSession(algorithm: exchange.algorithm, username: "user", password: "pencil", clientNonce: exchange.clientNonce)
        #expect(String(decoding: try session.clientFirstMessage(), as: UTF8.self) == exchange.clientFirst)
        let clientFinal = try session.receive(serverFirst: Array(exchange.serverFirst.utf8))
        #expect(String(decoding: clientFinal, as: UTF8.self) == exchange.clientFinal)
        #expect(!session.isFinished)
        try session.receive(serverFinal: Array(exchange.serverFinal.utf8))
        #expect(session.isFinished)
    }

    /// A session of RFC 7677's example, past client-first.
    private func rfc7677AtServerFirst(password: String = "pencil") throws -> ScramSession {
        var session = ScramSession(algorithm: .sha256, username: "user", password: password, clientNonce: Self.rfc7677.clientNonce)
        _ = try session.clientFirstMessage()
        return session
    }

    @Test func aServerSignatureThatDoesNotVerifyIsRefused() throws {
        var session = try rfc7677AtServerFirst()
        _ = try session.receive(serverFirst: Array(Self.rfc7677.serverFirst.utf8))
        // The right signature with its first byte changed.
        var signature = Array(Data(base64Encoded: "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")!)
        signature[0] ^= 1
        #expect(throws: ScramError.serverSignatureMismatch) {
            try session.receive(serverFinal: Array("v=\(Data(signature).base64EncodedString())".utf8))
        }
        #expect(!session.isFinished)
    }

    @Test func aServerThatDoesNotKnowThePasswordCannotSignForIt() throws {
        // The server's messages are RFC 7677's (password "pencil"); ours is another one.
        var session = try rfc7677AtServerFirst(password: "pencil2")
        _ = try session.receive(serverFirst: Array(Self.rfc7677.serverFirst.utf8))
        #expect(throws: ScramError.serverSignatureMismatch) {
            try session.receive(serverFinal: Array(Self.rfc7677.serverFinal.utf8))
        }
    }

    @Test(arguments: [
        "r=XOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // tampered client part
        "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // no server part
        "r=%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // server part only
    ])
    func aNonceThatDoesNotExtendOursIsRefused(_ serverFirst: String) throws {
        var session = try rfc7677AtServerFirst()
        #expect(throws: ScramError.nonceMismatch) { try session.receive(serverFirst: Array(serverFirst.utf8)) }
        // A failed session stays failed.
        #expect(throws: ScramError.outOfOrder) { try session.receive(serverFinal: Array(Self.rfc7677.serverFinal.utf8)) }
    }

    @Test func anIterationCountBelowKafkasMinimumIsRefused() throws {
        var session = try rfc7677AtServerFirst()
        #expect(throws: ScramError.iterationCountTooLow(1)) {
            try session.receive(serverFirst: Array("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1".utf8))
        }
    }

    @Test(arguments: [
        "garbage", "r=rOprNGfwEbeRWgbNEkqOxyz,i=4096", "r=rOprNGfwEbeRWgbNEkqOxyz,s=!!!,i=4096",
        "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==", "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=many",
        "m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "",
    ])
    func malformedServerFirstIsATypedError(_ serverFirst: String) throws {
        var session = try rfc7677AtServerFirst()
        let error = #expect(throws: ScramError.self) { try session.receive(serverFirst: Array(serverFirst.utf8)) }
        guard case .malformedServerMessage? = error else {
            Issue.record("expected malformedServerMessage, got \(String(describing: error))")
            return
        }
    }

    @Test func aServerErrorIsReportedWithItsReason() throws {
        var session = try rfc7677AtServerFirst()
        _ = try session.receive(serverFirst: Array(Self.rfc7677.serverFirst.utf8))
        #expect(throws: ScramError.serverError("invalid-proof")) {
            try session.receive(serverFinal: Array("e=invalid-proof".utf8))
        }
    }

    @Test func usernamesEscapeCommaAndEquals() throws {
        #expect(ScramSession.escape("a=b,c") == "a=3Db=2Cc")
        var session = ScramSession(mechanism: .scramSHA512, username: "svc,=x", password: "p", clientNonce: "abc")
        #expect(String(decoding: try session.clientFirstMessage(), as: UTF8.self) == "n,,n=svc=2C=3Dx,r=abc")
    }

    @Test func transitionsOutOfOrderAreRefused() throws {
        var session = ScramSession(mechanism: .scramSHA256, username: "u", password: "p")
        #expect(throws: ScramError.outOfOrder) { try session.receive(serverFinal: Array("v=AAAA".utf8)) }
        var started = ScramSession(mechanism: .scramSHA256, username: "u", password: "p")
        _ = try started.clientFirstMessage()
        #expect(throws: ScramError.outOfOrder) { try started.clientFirstMessage() }
    }

    @Test func aSessionNeverRendersThePassword() throws {
        var session = ScramSession(mechanism: .scramSHA512, username: "u", password: "hunter2-secret")
        _ = try session.clientFirstMessage()
        var dumped = ""
        dump(session, to: &dumped)
        for text in ["\(session)", String(reflecting: session), dumped] {
            #expect(!text.contains("hunter2-secret"), "\(text)")
        }
    }

    @Test func randomClientNoncesDifferAndHoldNoComma() throws {
        var first = ScramSession(mechanism: .scramSHA256, username: "u", password: "p")
        var second = ScramSession(mechanism: .scramSHA256, username: "u", password: "p")
        let a = String(decoding: try first.clientFirstMessage(), as: UTF8.self)
        let b = String(decoding: try second.clientFirstMessage(), as: UTF8.self)
        #expect(a != b)
        #expect(a.split(separator: ",", omittingEmptySubsequences: false).count == 4)  // n, "", n=u, r=<nonce>
        #expect(a.hasPrefix("n,,n=u,r=") && a.count > "n,,n=u,r=".count + 20)
    }
}
