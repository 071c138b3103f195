/// `BrokerConnection` (and `KafkaCluster`'s connection handling) against the fake broker:
/// version negotiation, the ApiVersions fallback, timeouts, garbage, out-of-step answers,
/// concurrent requests answered out of order, and reconnecting with backoff.
import NIOCore
import Testing
@testable import SourceWatcher
import SourceWatcherTestSupport

@Suite struct BrokerConnectionTests {
    static let settings = ConnectionSettings(connectTimeout: .milliseconds(500), requestTimeout: .milliseconds(300))

    /// Runs `body` against a started fake broker and stops it afterwards, also on failure.
    private func withBroker(
        advertised: [APIKey: ClosedRange<Int16>] = FakeKafkaBroker.defaultAdvertised,
        _ body: (FakeKafkaBroker) async throws -> Void
    ) async throws {
        let broker = try await FakeKafkaBroker.start(advertised: advertised)
        do {
            try await body(broker)
        } catch {
            await broker.stop()
            throw error
        }
        await broker.stop()
    }

    @Test func negotiationPicksTheHighestCommonVersionPerAPI() async throws {
        try await withBroker(advertised: [.apiVersions: 0...4, .metadata: 0...5, .listOffsets: 0...20]) { broker in
            broker.layout.addTopic("orders", leaders: [1])
            let connection = try await BrokerConnection.connect(to: broker.address, settings: Self.settings)
            #expect(try connection.apiVersions.negotiate(MetadataRequest.self) == 5)
            #expect(try connection.apiVersions.negotiate(ListOffsetsRequest.self) == ListOffsetsRequest.supportedVersions.upperBound)

            let response = try await connection.send(MetadataRequest(topics: [.init(name: "orders")]))
            #expect(response.topics.map(\.name) == ["orders"])
            #expect(broker.received.map(\.api) == [.apiVersions, .metadata])
            #expect(broker.received(.apiVersions).map(\.version) == [3])
            #expect(broker.received(.metadata).map(\.version) == [5])
            #expect(broker.received(.apiVersions).first?.header.clientId == "exporterd")
            #expect(broker.problems.isEmpty)
            await connection.close()
        }
    }

    @Test func unsupportedVersionInV0LayoutIsRetriedAtTheBrokersVersion() async throws {
        // The default script answers UNSUPPORTED_VERSION (v0 layout) to ApiVersions v3.
        try await withBroker(advertised: [.apiVersions: 0...2, .metadata: 0...9]) { broker in
            let connection = try await BrokerConnection.connect(to: broker.address, settings: Self.settings)
            #expect(broker.received(.apiVersions).map(\.version) == [3, 2])
            #expect(connection.apiVersions.ranges[APIKey.metadata.rawValue] == 0...9)
            _ = try await connection.send(MetadataRequest(topics: []))
            #expect(broker.received(.metadata).map(\.version) == [9])
            #expect(broker.problems.isEmpty)
            await connection.close()
        }
    }

    @Test func anAPITheBrokerLacksIsUnsupportedAndNeverSent() async throws {
        try await withBroker(advertised: [.apiVersions: 0...4, .metadata: 0...12]) { broker in
            let connection = try await BrokerConnection.connect(to: broker.address, settings: Self.settings)
            let error = await #expect(throws: KafkaClientError.self) {
                try await connection.send(DescribeProducersRequest(topics: [.init(name: "orders", partitionIndexes: [0])]))
            }
            #expect(error == .unsupportedAPI(broker: broker.address, api: .describeProducers, brokerVersions: nil,
                                             ourVersions: DescribeProducersRequest.supportedVersions))
            #expect(error?.description.contains("DescribeProducers") == true)
            #expect(broker.received(.describeProducers).isEmpty)
            #expect(connection.isActive)
            await connection.close()
        }
    }

    @Test func describeProducersIsAnsweredFromTheLayout() async throws {
        try await withBroker { broker in
            broker.layout.addTopic("orders", leaders: [1])
            broker.layout.change(TopicPartition(topic: "orders", partition: 0)) {
                $0.producers = [.init(producerId: 42, producerEpoch: 1, currentTxnStartOffset: 17)]
            }
            let connection = try await BrokerConnection.connect(to: broker.address, settings: Self.settings)
            let response = try await connection.send(DescribeProducersRequest(topics: [.init(name: "orders", partitionIndexes: [0])]))
            #expect(response.topics.first?.partitions.first?.activeProducers.map(\.currentTxnStartOffset) == [17])
            #expect(broker.received(.describeProducers).first?.describeProducers?.topics.first?.partitionIndexes == [0])
            await connection.close()
        }
    }

    @Test func aHungRequestTimesOutAndTheNextCallReconnects() async throws {
        try await withBroker { broker in
            broker.script(.metadata) { _, _ in .hang }
            let cluster = KafkaCluster(name: "source", bootstrapBrokers: [broker.address], settings: Self.settings)
            let first = try await cluster.connection(to: broker.address)

            let clock = ContinuousClock()
            let started = clock.now
            let error = await #expect(throws: KafkaClientError.self) {
                try await cluster.send(MetadataRequest(topics: []), to: broker.address)
            }
            let elapsed = clock.now - started
            #expect(error == .requestTimedOut(broker: broker.address, api: .metadata, timeout: .milliseconds(300)))
            #expect(elapsed >= .milliseconds(290))
            #expect(elapsed < .seconds(10), "a hung request costs its timeout, not a hang")
            #expect(!first.isActive)

            broker.clearScript(.metadata)
            _ = try await cluster.send(MetadataRequest(topics: []), to: broker.address)
            let second = try await cluster.connection(to: broker.address)
            #expect(second !== first)
            #expect(broker.acceptedConnections == 2)
            await cluster.shutdown()
        }
    }

    @Test func requestsStuckBehindATimeoutFailWithTheTimeout() async throws {
        try await withBroker { broker in
            broker.script(.metadata) { _, _ in .hang }
            let connection = try await BrokerConnection.connect(to: broker.address, settings: Self.settings)
            /// The error a send ended with, nil if it succeeded.
            @Sendable func failure(timeout: Duration? = nil) async -> KafkaClientError? {
                do {
                    _ = try await connection.send(MetadataRequest(topics: []), timeout: timeout)
                    return nil
                } catch {
                    return error
                }
            }
            // A deadline long enough that the second request is surely sent before it, however
            // loaded the machine: the test waits for the broker to hold the first, not for time.
            async let first = failure(timeout: .seconds(2))
            for _ in 0..<2_000 where broker.received(.metadata).isEmpty { try await Task.sleep(for: .milliseconds(1)) }
            // Sent later with a longer deadline: it is cut short when the first one times out.
            let second = await failure(timeout: .seconds(5))
            let timedOut = KafkaClientError.requestTimedOut(broker: broker.address, api: .metadata, timeout: .seconds(2))
            #expect(second == timedOut)
            #expect(await first == timedOut)
            #expect(broker.received(.metadata).count == 2)
        }
    }

    @Test func aHungConnectTimesOut() async throws {
        try await withBroker { broker in
            broker.script(.apiVersions) { _, _ in .hang }
            let error = await #expect(throws: KafkaClientError.self) {
                try await BrokerConnection.connect(to: broker.address, settings: Self.settings)
            }
            #expect(error == .requestTimedOut(broker: broker.address, api: .apiVersions, timeout: .milliseconds(300)))
        }
    }

    @Test func httpTextInsteadOfAFrameIsFrameTooLarge() async throws {
        try await withBroker { broker in
            broker.script(.metadata) { _, _ in .raw("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") }
            let connection = try await BrokerConnection.connect(to: broker.address, settings: Self.settings)
            let error = await #expect(throws: KafkaClientError.self) { try await connection.send(MetadataRequest(topics: [])) }
            #expect(error == .framing(broker: broker.address, .frameTooLarge(length: 0x4854_5450, limit: Self.settings.maximumFrameSize)))
            await connection.close()
        }
    }

    @Test func garbageDuringConnectFailsTheConnect() async throws {
        try await withBroker { broker in
            broker.script(.apiVersions) { _, _ in .raw("HTTP/1.1 400 Bad Request\r\n\r\n") }
            let error = await #expect(throws: KafkaClientError.self) {
                try await BrokerConnection.connect(to: broker.address, settings: Self.settings)
            }
            #expect(error == .framing(broker: broker.address, .frameTooLarge(length: 0x4854_5450, limit: Self.settings.maximumFrameSize)))
        }
    }

    @Test func aClosedConnectionFailsTheWaitingRequest() async throws {
        try await withBroker { broker in
            broker.script(.metadata) { _, _ in .close }
            let connection = try await BrokerConnection.connect(to: broker.address, settings: Self.settings)
            let error = await #expect(throws: KafkaClientError.self) { try await connection.send(MetadataRequest(topics: [])) }
            #expect(error == .connectionClosed(broker: broker.address))
            // A request on the dead connection fails at once instead of waiting for its deadline
            // (a long one here, so that waiting for it could not pass for "at once").
            let clock = ContinuousClock()
            let started = clock.now
            let again = await #expect(throws: KafkaClientError.self) {
                try await connection.send(MetadataRequest(topics: []), timeout: .seconds(60))
            }
            #expect(again == .connectionClosed(broker: broker.address))
            #expect(clock.now - started < .seconds(10))
            #expect(!connection.isActive)
        }
    }

    @Test func anAnswerWithAnUnknownCorrelationIDIsAProtocolViolation() async throws {
        try await withBroker { broker in
            broker.script(.metadata) { header, _ in
                .responseWithCorrelationID(broker.metadataResponse(topics: []), header.correlationId + 1000)
            }
            let connection = try await BrokerConnection.connect(to: broker.address, settings: Self.settings)
            let error = await #expect(throws: KafkaClientError.self) { try await connection.send(MetadataRequest(topics: [])) }
            guard case .protocolViolation(let peer, let detail) = error else {
                Issue.record("expected a protocol violation, got \(String(describing: error))")
                return
            }
            #expect(peer == broker.address)
            #expect(detail.contains("correlation id"))
            await connection.close()
        }
    }

    @Test func concurrentRequestsAnsweredOutOfOrderReachTheirOwnCaller() async throws {
        try await withBroker { broker in
            // Each request names one topic; the fake answers "a" last and "c" first.
            let delays: [String: Int64] = ["a": 240, "b": 120, "c": 0]
            broker.script(.metadata) { header, body in
                var body = body
                let name = (try? MetadataRequest(from: &body, version: header.apiVersion))?.topics?.first?.name ?? "?"
                return .delayed(.milliseconds(delays[name] ?? 0), .response(broker.metadataResponse(topics: [name])))
            }
            let connection = try await BrokerConnection.connect(to: broker.address, settings: Self.settings)
            try await withThrowingTaskGroup(of: (String, String?).self) { group in
                for name in ["a", "b", "c"] {
                    group.addTask {
                        // A timeout far beyond the delays: on a loaded machine 240 ms of delay
                        // must not race a 300 ms timeout.
                        let response = try await connection.send(MetadataRequest(topics: [.init(name: name)]), timeout: .seconds(10))
                        return (name, response.topics.first?.name ?? nil)
                    }
                }
                for try await (asked, answered) in group {
                    #expect(answered == asked)
                }
            }
            // Prove the answers really crossed: the fake wrote them in reverse.
            var names: [Int32: String] = [:]
            for request in broker.received(.metadata) {
                names[request.header.correlationId] = request.metadata?.topics?.first?.name ?? nil
            }
            let answeredOrder = broker.answeredCorrelationIDs.compactMap { names[$0] }
            #expect(answeredOrder == ["c", "b", "a"])
            await connection.close()
        }
    }

    @Test func aDownBrokerFailsFastUntilItsBackoffExpires() async throws {
        let broker = try await FakeKafkaBroker.start()
        let port = broker.port
        let address = broker.address
        await broker.stop()

        let clock = ManualTimeSource()
        let cluster = KafkaCluster(name: "source", bootstrapBrokers: [address], settings: Self.settings, clock: clock)
        let refused = await #expect(throws: KafkaClientError.self) { try await cluster.connection(to: address) }
        guard case .connectFailed(address, _) = refused else {
            Issue.record("expected connectFailed, got \(String(describing: refused))")
            return
        }
        // Default backoff: 200 ms less up to 20 % jitter, so at least 160 ms of fail-fast.
        try await broker.start(port: port)
        let fast = await #expect(throws: KafkaClientError.self) { try await cluster.connection(to: address) }
        #expect(fast == .backingOff(broker: address, lastError: refused?.description ?? ""))
        #expect(broker.acceptedConnections == 0)

        clock.advance(by: .milliseconds(159))
        #expect(await (try? cluster.connection(to: address)) == nil, "still inside the shortest window")
        #expect(broker.acceptedConnections == 0)
        clock.advance(by: .milliseconds(41))
        let connection = try await cluster.connection(to: address)
        #expect(connection.isActive)
        #expect(broker.acceptedConnections == 1)
        await cluster.shutdown()
        await broker.stop()
    }
}
