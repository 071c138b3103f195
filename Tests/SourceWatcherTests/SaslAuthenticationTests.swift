/// The SASL step of `BrokerConnection` and `KafkaCluster` against the fake broker scripted as
/// a SASL server: PLAIN and SCRAM succeed and are sent right after ApiVersions; a wrong
/// password, a disabled mechanism, a bad server signature and a tampered nonce are typed
/// errors naming cluster and mechanism and never the secret; a failed cluster backs off; a
/// session lifetime makes the cluster replace the connection before it runs out.
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import SourceWatcher
import SourceWatcherTestSupport

extension SaslHandshakeResponse: FakeResponseBody {}
extension SaslAuthenticateResponse: FakeResponseBody {}

/// A SCRAM server for the fake broker, computing with RFC 5802's formulas. `tamper` makes it
/// misbehave the way a broken or hostile peer would.
final class ScriptedScramServer: Sendable {
    enum Tamper: Sendable { case none, nonce, serverSignature }

    let algorithm: ScramSession.Algorithm
    let username: String
    let password: String
    let tamper: Tamper
    let sessionLifetimeMs: Int64
    private let salt: [UInt8] = Array("exporterd-salt!!".utf8)
    private let iterations = 4096
    /// client-first-bare and server-first of the exchange under way.
    private let exchange = NIOLockedValueBox<(String, String)?>(nil)

    init(algorithm: ScramSession.Algorithm, username: String, password: String, tamper: Tamper = .none, sessionLifetimeMs: Int64 = 0) {
        self.algorithm = algorithm
        self.username = username
        self.password = password
        self.tamper = tamper
        self.sessionLifetimeMs = sessionLifetimeMs
    }

    func answer(_ token: [UInt8]) -> SaslAuthenticateResponse {
        let message = String(decoding: token, as: UTF8.self)
        if message.hasPrefix("n,,") {
            let bare = String(message.dropFirst(3))
            let fields = Self.fields(bare)
            guard fields["n"] == username, let clientNonce = fields["r"] else { return Self.failed }
            // Tampering changes the client's part, so the result never extends the client nonce.
            let tampered = (clientNonce.first == "X" ? "Y" : "X") + clientNonce.dropFirst()
            let nonce = (tamper == .nonce ? tampered : clientNonce) + "srvNonce42"
            let serverFirst = "r=\(nonce),s=\(Data(salt).base64EncodedString()),i=\(iterations)"
            exchange.withLockedValue { $0 = (bare, serverFirst) }
            return SaslAuthenticateResponse(authBytes: Array(serverFirst.utf8))
        }
        guard let pending = exchange.withLockedValue({ $0 }),
              let proofRange = message.range(of: ",p=") else { return Self.failed }
        let (bare, serverFirst) = pending
        let withoutProof = String(message[..<proofRange.lowerBound])
        let proof = Array(Data(base64Encoded: String(message[proofRange.upperBound...])) ?? Data())
        let salted = try! algorithm.saltedPassword(password, salt: salt, iterations: iterations)
        let clientKey = algorithm.hmac(key: salted, Array("Client Key".utf8))
        let authMessage = Array("\(bare),\(serverFirst),\(withoutProof)".utf8)
        let signature = algorithm.hmac(key: algorithm.hash(clientKey), authMessage)
        guard proof.count == signature.count,
              algorithm.hash(zip(proof, signature).map { $0 ^ $1 }) == algorithm.hash(clientKey) else {
            return Self.failed
        }
        var serverSignature = algorithm.hmac(key: algorithm.hmac(key: salted, Array("Server Key".utf8)), authMessage)
        if tamper == .serverSignature { serverSignature[0] ^= 0xff }
        return SaslAuthenticateResponse(authBytes: Array("v=\(Data(serverSignature).base64EncodedString())".utf8),
                                        sessionLifetimeMs: sessionLifetimeMs)
    }

    /// What Kafka answers a wrong password with.
    static let failed = SaslAuthenticateResponse(
        errorCode: KafkaErrorCode.saslAuthenticationFailed.rawValue,
        errorMessage: "Authentication failed during authentication due to invalid credentials with SASL mechanism")

    private static func fields(_ message: String) -> [String: String] {
        var result: [String: String] = [:]
        for part in message.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { result[String(pair[0])] = String(pair[1]) }
        }
        return result
    }
}

@Suite struct SaslAuthenticationTests {
    static let secret = "s3cr3t-Pa55word"
    static let advertised: [APIKey: ClosedRange<Int16>] = FakeKafkaBroker.defaultAdvertised.merging(
        [.saslHandshake: 0...1, .saslAuthenticate: 0...2]) { $1 }

    static func settings(_ mechanism: SaslMechanism, password: String = secret) -> ConnectionSettings {
        ConnectionSettings(connectTimeout: .seconds(2), requestTimeout: .seconds(2),
                           sasl: SaslSettings(cluster: "source", mechanism: mechanism, username: "exporter", password: password))
    }

    /// A started fake broker that enables `enabled` and answers SaslAuthenticate with `server`.
    private func withSaslBroker(
        enabled: [SaslMechanism] = SaslMechanism.allCases,
        answer: @escaping @Sendable ([UInt8]) -> SaslAuthenticateResponse,
        _ body: (FakeKafkaBroker) async throws -> Void
    ) async throws {
        let broker = try await FakeKafkaBroker.start(advertised: Self.advertised)
        broker.layout.addTopic("orders", leaders: [1], latest: [7])
        broker.script(.saslHandshake) { header, body in
            var body = body
            let request = try? SaslHandshakeRequest(from: &body, version: header.apiVersion)
            let names = enabled.map(\.rawValue)
            let known = names.contains(request?.mechanism ?? "")
            return .response(SaslHandshakeResponse(
                errorCode: known ? 0 : KafkaErrorCode.unsupportedSaslMechanism.rawValue, mechanisms: names))
        }
        broker.script(.saslAuthenticate) { header, body in
            var body = body
            guard let request = try? SaslAuthenticateRequest(from: &body, version: header.apiVersion) else { return .close }
            return .response(answer(request.authBytes))
        }
        do {
            try await body(broker)
        } catch {
            await broker.stop()
            throw error
        }
        await broker.stop()
    }

    private func scram(_ mechanism: SaslMechanism, tamper: ScriptedScramServer.Tamper = .none,
                       password: String = secret, lifetimeMs: Int64 = 0) -> ScriptedScramServer {
        ScriptedScramServer(algorithm: mechanism == .scramSHA512 ? .sha512 : .sha256, username: "exporter",
                            password: password, tamper: tamper, sessionLifetimeMs: lifetimeMs)
    }

    /// The connect error, which must be an authentication error naming cluster and mechanism
    /// and holding no secret in any rendering.
    private func authenticationError(_ mechanism: SaslMechanism, password: String = secret, on broker: FakeKafkaBroker) async throws -> SaslError? {
        let error = await #expect(throws: KafkaClientError.self) {
            try await BrokerConnection.connect(to: broker.address, settings: Self.settings(mechanism, password: password))
        }
        guard case .authentication(let sasl)? = error else {
            Issue.record("expected an authentication error, got \(String(describing: error))")
            return nil
        }
        let renderings = [error!.description, "\(error!)", String(reflecting: error!), sasl.description]
        for text in renderings {
            #expect(text.contains("source") && text.contains(mechanism.rawValue), "\(text)")
            #expect(!text.contains(password), "\(text)")
        }
        return sasl
    }

    @Test func plainSendsOneTokenRightAfterApiVersions() async throws {
        let tokens = NIOLockedValueBox<[[UInt8]]>([])
        try await withSaslBroker(answer: { token in
            tokens.withLockedValue { $0.append(token) }
            return SaslAuthenticateResponse()
        }) { broker in
            let connection = try await BrokerConnection.connect(to: broker.address, settings: Self.settings(.plain))
            _ = try await connection.send(MetadataRequest(topics: [.init(name: "orders")]))
            #expect(broker.received.map(\.api) == [.apiVersions, .saslHandshake, .saslAuthenticate, .metadata])
            #expect(broker.received(.saslHandshake).map(\.version) == [1])
            #expect(broker.received(.saslAuthenticate).map(\.version) == [2])
            #expect(tokens.withLockedValue { $0 } == [[0] + Array("exporter".utf8) + [0] + Array(Self.secret.utf8)])
            #expect(connection.saslSessionLifetime == nil)
            await connection.close()
        }
    }

    @Test(arguments: [SaslMechanism.scramSHA256, .scramSHA512])
    func scramAuthenticatesInTwoRounds(_ mechanism: SaslMechanism) async throws {
        let server = scram(mechanism)
        try await withSaslBroker(answer: { server.answer($0) }) { broker in
            let connection = try await BrokerConnection.connect(to: broker.address, settings: Self.settings(mechanism))
            _ = try await connection.send(MetadataRequest(topics: [.init(name: "orders")]))
            #expect(broker.received.map(\.api) == [.apiVersions, .saslHandshake, .saslAuthenticate, .saslAuthenticate, .metadata])
            await connection.close()
        }
    }

    @Test(arguments: [SaslMechanism.scramSHA256, .scramSHA512, .plain])
    func aWrongPasswordIsATypedErrorWithoutTheSecret(_ mechanism: SaslMechanism) async throws {
        let server = scram(mechanism)
        let isPlain = mechanism == .plain
        try await withSaslBroker(answer: { isPlain ? ScriptedScramServer.failed : server.answer($0) }) { broker in
            let error = try await authenticationError(mechanism, password: "wrong-\(Self.secret)", on: broker)
            #expect(error?.reason == .rejected(code: .saslAuthenticationFailed, message: ScriptedScramServer.failed.errorMessage))
        }
    }

    @Test func aMechanismTheBrokerDoesNotEnableIsNamedWithTheEnabledOnes() async throws {
        try await withSaslBroker(enabled: [.plain], answer: { _ in SaslAuthenticateResponse() }) { broker in
            let error = try await authenticationError(.scramSHA512, on: broker)
            #expect(error?.reason == .mechanismNotEnabled(brokerMechanisms: ["PLAIN"]))
            #expect(error?.description.contains("enabled: PLAIN") == true)
            #expect(broker.received(.saslAuthenticate).isEmpty)
        }
    }

    @Test func aBadServerSignatureFailsTheConnection() async throws {
        let server = scram(.scramSHA512, tamper: .serverSignature)
        try await withSaslBroker(answer: { server.answer($0) }) { broker in
            let error = try await authenticationError(.scramSHA512, on: broker)
            #expect(error?.reason == .scram(.serverSignatureMismatch))
        }
    }

    @Test func aTamperedNonceStopsBeforeAnyProofIsSent() async throws {
        let server = scram(.scramSHA256, tamper: .nonce)
        try await withSaslBroker(answer: { server.answer($0) }) { broker in
            let error = try await authenticationError(.scramSHA256, on: broker)
            #expect(error?.reason == .scram(.nonceMismatch))
            #expect(broker.received(.saslAuthenticate).count == 1)
        }
    }

    @Test func aBrokerWithoutSaslHandshakeIsRefusedClearly() async throws {
        let broker = try await FakeKafkaBroker.start()
        let error = await #expect(throws: KafkaClientError.self) {
            try await BrokerConnection.connect(to: broker.address, settings: Self.settings(.plain))
        }
        await broker.stop()
        #expect(error == .authentication(SaslError(cluster: "source", broker: broker.address, mechanism: .plain, reason: .handshakeUnsupported)))
    }

    @Test func aFailedAuthenticationShowsOnTheClusterAndBacksOff() async throws {
        try await withSaslBroker(answer: { _ in ScriptedScramServer.failed }) { broker in
            let clock = ManualTimeSource()
            let cluster = KafkaCluster(name: "source", bootstrapBrokers: [broker.address],
                                       settings: Self.settings(.plain), clock: clock)
            let read = await #expect(throws: KafkaClientError.self) { try await cluster.refreshMetadata(topics: ["orders"]) }
            #expect(read?.description.contains("SASL PLAIN authentication to the source cluster") == true)
            #expect(read?.description.contains(Self.secret) == false)
            // Right after, the broker is in its backoff window: no new connection, no new try.
            let again = await #expect(throws: KafkaClientError.self) { try await cluster.connection(to: broker.address) }
            guard case .backingOff? = again else {
                Issue.record("expected backingOff, got \(String(describing: again))")
                return
            }
            #expect(broker.received(.saslAuthenticate).count == 1)
            #expect(broker.acceptedConnections == 1)
            await cluster.shutdown()
        }
    }

    @Test func aSessionLifetimeReplacesTheConnectionBeforeItRunsOut() async throws {
        let server = scram(.scramSHA512, lifetimeMs: 10_000)
        try await withSaslBroker(answer: { server.answer($0) }) { broker in
            let clock = ManualTimeSource()
            let cluster = KafkaCluster(name: "source", bootstrapBrokers: [broker.address],
                                       settings: Self.settings(.scramSHA512), clock: clock)
            let first = try await cluster.connection(to: broker.address)
            #expect(first.saslSessionLifetime == .seconds(10))
            clock.advance(by: .seconds(7))
            #expect(try await cluster.connection(to: broker.address) === first)
            clock.advance(by: .seconds(1))  // 8 s: 80 % of the lifetime
            let second = try await cluster.connection(to: broker.address)
            #expect(second !== first)
            #expect(broker.received(.saslHandshake).count == 2)
            #expect(broker.acceptedConnections == 2)
            // The old one stays usable for reads already holding it, then closes.
            _ = try await first.send(MetadataRequest(topics: [.init(name: "orders")]))
            _ = try await second.send(MetadataRequest(topics: [.init(name: "orders")]))
            await cluster.shutdown()
        }
    }

    @Test func settingsNeverRenderThePassword() {
        let settings = Self.settings(.scramSHA512)
        for text in ["\(settings)", String(reflecting: settings), "\(settings.sasl!)", String(reflecting: settings.sasl!),
                     "\(Mirror(reflecting: settings.sasl!).children.map { "\($0.value)" })"] {
            #expect(!text.contains(Self.secret), "\(text)")
        }
        var dumped = ""
        dump(settings, to: &dumped)
        #expect(!dumped.contains(Self.secret), "\(dumped)")
    }
}
