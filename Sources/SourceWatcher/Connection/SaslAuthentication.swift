/// The SASL step of a new broker connection (KIP-152 framing): SaslHandshake v1 names the
/// mechanism, then SaslAuthenticate carries PLAIN's one token or SCRAM's two rounds. Runs right
/// after ApiVersions, before any other request. The mechanism logic lives in `ScramSession`;
/// this file only carries its bytes and turns broker answers into `SaslError`s.
import NIOCore

extension BrokerConnection {
    /// Authenticates `channel`; returns the session lifetime the broker granted (KIP-368), nil
    /// when it set none.
    static func authenticate(
        channel: any Channel, broker: BrokerAddress, versions: BrokerAPIVersions,
        sasl: SaslSettings, timeout: Duration
    ) async throws(KafkaClientError) -> Duration? {
        func failure(_ reason: SaslError.Reason) -> KafkaClientError {
            .authentication(SaslError(cluster: sasl.cluster, broker: broker, mechanism: sasl.mechanism, reason: reason))
        }
        // SaslHandshake v0 means raw, unframed tokens (pre-KIP-152): every broker since Kafka 1.0
        // speaks v1, so we do not carry the old framing.
        guard let handshakeVersion = try? versions.negotiate(SaslHandshakeRequest.self, broker: broker),
              handshakeVersion >= 1,
              let authenticateVersion = try? versions.negotiate(SaslAuthenticateRequest.self, broker: broker) else {
            throw failure(.handshakeUnsupported)
        }
        let handshake = try await exchange(
            SaslHandshakeRequest(mechanism: sasl.mechanism.rawValue), version: handshakeVersion,
            channel: channel, broker: broker, timeout: timeout)
        let handshakeCode = KafkaErrorCode(handshake.errorCode)
        if handshakeCode == .unsupportedSaslMechanism || (handshakeCode == .none && !handshake.mechanisms.contains(sasl.mechanism.rawValue)) {
            throw failure(.mechanismNotEnabled(brokerMechanisms: handshake.mechanisms))
        }
        guard handshakeCode == .none else { throw failure(.rejected(code: handshakeCode, message: nil)) }

        func authenticateRound(_ token: [UInt8]) async throws(KafkaClientError) -> SaslAuthenticateResponse {
            let response = try await exchange(
                SaslAuthenticateRequest(authBytes: token), version: authenticateVersion,
                channel: channel, broker: broker, timeout: timeout)
            let code = KafkaErrorCode(response.errorCode)
            guard code == .none else {
                // The broker's text is shown to the operator; it should never hold the secret,
                // but a relay or a broken broker could echo it back, so it is scrubbed.
                let message = sasl.password.isEmpty ? response.errorMessage
                    : response.errorMessage?.replacing(sasl.password, with: "<redacted>")
                throw failure(.rejected(code: code, message: message))
            }
            return response
        }

        let final: SaslAuthenticateResponse
        switch sasl.mechanism {
        case .plain:
            // RFC 4616: authzid (empty), NUL, authcid, NUL, password.
            final = try await authenticateRound([0] + Array(sasl.username.utf8) + [0] + Array(sasl.password.utf8))
        case .scramSHA256, .scramSHA512:
            var session = ScramSession(mechanism: sasl.mechanism, username: sasl.username, password: sasl.password)
            do {
                let serverFirst = try await authenticateRound(try session.clientFirstMessage())
                let clientFinal = try session.receive(serverFirst: serverFirst.authBytes)
                final = try await authenticateRound(clientFinal)
                try session.receive(serverFinal: final.authBytes)
            } catch let error as ScramError {
                throw failure(.scram(error))
            } catch let error as KafkaClientError {
                throw error
            } catch {
                throw .connectionClosed(broker: broker)
            }
        }
        return final.sessionLifetimeMs > 0 ? .milliseconds(final.sessionLifetimeMs) : nil
    }

    private static func exchange<Request: KafkaRequest>(
        _ request: Request, version: Int16, channel: any Channel, broker: BrokerAddress, timeout: Duration
    ) async throws(KafkaClientError) -> Request.Response {
        var body = try encode(request, version: version, broker: broker, allocator: channel.allocator)
        var answer = try await roundTrip(
            channel: channel, broker: broker, api: Request.apiKey, version: version,
            requestHeaderIsFlexible: Request.isFlexible(version),
            responseHeaderIsFlexible: responseHeaderIsFlexible(apiKey: Request.apiKey, version: version),
            body: &body, timeout: timeout)
        do {
            return try Request.Response(from: &answer, version: version)
        } catch {
            throw .codec(broker: broker, api: Request.apiKey, error)
        }
    }
}
