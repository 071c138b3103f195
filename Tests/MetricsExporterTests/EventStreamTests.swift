/// `/api/v1/events/stream`: replay from the store after the resume point, then live events
/// from the broadcaster, once each and in order; several clients at once; heartbeats. A
/// response ends when the broadcaster finishes its stream (`finishAll`), which is how these
/// tests collect whole bodies.
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import MetricsExporter

@Suite struct EventStreamTests {
    struct Message: Equatable {
        var id: Int64
        var event: String
        var data: String
    }

    /// The messages of an SSE body, comments left out.
    static func messages(_ body: String) -> [Message] {
        body.components(separatedBy: "\n\n").compactMap { block in
            var fields: [String: String] = [:]
            for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                fields[String(parts[0])] = String(parts[1].dropFirst())
            }
            guard let id = fields["id"].flatMap({ Int64($0) }), let event = fields["event"], let data = fields["data"] else { return nil }
            return Message(id: id, event: event, data: data)
        }
    }

    static func eventually(_ what: String, _ condition: @Sendable () async -> Bool) async throws {
        for _ in 0..<1_000 {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test func replaysAfterLastEventIDThenForwardsLiveEventsOnce() async throws {
        let broadcaster = EventBroadcaster()
        // Event 6 is committed (stored, then published) after the client subscribed and
        // before its replay reads the store: it must come once.
        let store = FakeEventStore(EventFixtures.sequence(1...5)) { store in
            await store.append([EventFixtures.enabled(6)])
            broadcaster.publish([EventFixtures.enabled(6)])
        }
        let app = Application(router: buildRouter(state: ExporterState(), events: store, broadcaster: broadcaster))
        try await app.test(.router) { client in
            async let response = client.executeRequest(
                uri: "/api/v1/events/stream?after=4", method: .get, headers: [.lastEventID: "2"], body: nil)
            try await Self.eventually("the subscription") { broadcaster.subscriberCount == 1 }
            try await Self.eventually("the replay") { await store.queries.count == 1 }
            let live = [EventFixtures.unproxied(7), EventFixtures.enabled(8)]
            await store.append(live)
            broadcaster.publish(live)
            broadcaster.publish([EventFixtures.enabled(8)])  // a repeat is skipped too
            broadcaster.finishAll()
            let result = try await response
            #expect(result.status == .ok)
            #expect(result.headers[.contentType] == "text/event-stream")
            let messages = Self.messages(String(buffer: result.body))
            #expect(messages.map(\.id) == [3, 4, 5, 6, 7, 8])
            #expect(messages.allSatisfy { $0.event == "migration" })
            let all = EventFixtures.sequence(1...5) + [EventFixtures.enabled(6)] + live
            #expect(messages.map(\.data) == all.filter { $0.seq > 2 }.map(\.json))
        }
        #expect(broadcaster.subscriberCount == 0)
    }

    @Test func replayPagesThroughTheStore() async throws {
        let broadcaster = EventBroadcaster()
        let store = FakeEventStore(EventFixtures.sequence(1...2_500))
        let app = Application(router: buildRouter(state: ExporterState(), events: store, broadcaster: broadcaster))
        try await app.test(.router) { client in
            async let response = client.executeRequest(uri: "/api/v1/events/stream", method: .get, headers: [:], body: nil)
            try await Self.eventually("the replay") { await store.queries.count == 3 }
            // No pause needed before finishing: the replay goes on to its end, and finishing
            // only ends the live part after what it buffered.
            broadcaster.finishAll()
            let messages = Self.messages(String(buffer: try await response.body))
            #expect(messages.map(\.id) == Array(1...2_500))
        }
        #expect(await store.queries.map(\.after) == [0, 1_000, 2_000])
    }

    @Test func twoClientsAtOnceEachWithItsFilter() async throws {
        let broadcaster = EventBroadcaster()
        let store = FakeEventStore(EventFixtures.sequence(1...4))
        let app = Application(router: buildRouter(state: ExporterState(), events: store, broadcaster: broadcaster))
        try await app.test(.router) { client in
            async let everything = client.executeRequest(uri: "/api/v1/events/stream", method: .get, headers: [:], body: nil)
            async let payments = client.executeRequest(
                uri: "/api/v1/events/stream?topic=payments", method: .get, headers: [.lastEventID: "2"], body: nil)
            try await Self.eventually("two subscriptions") { broadcaster.subscriberCount == 2 }
            try await Self.eventually("both replays") { await store.queries.count == 2 }
            for seq in Int64(5)...8 {
                let event = EventFixtures.sequence(seq...seq)
                await store.append(event)
                broadcaster.publish(event)
            }
            // Published events are buffered per client: finishing now still delivers them.
            broadcaster.finishAll()
            #expect(Self.messages(String(buffer: try await everything.body)).map(\.id) == Array(1...8))
            #expect(Self.messages(String(buffer: try await payments.body)).map(\.id) == [4, 6, 8])
        }
    }

    @Test func idleStreamCarriesHeartbeats() async throws {
        let broadcaster = EventBroadcaster()
        let app = Application(
            router: buildRouter(
                state: ExporterState(), events: NoMigrationEvents(), broadcaster: broadcaster,
                heartbeatInterval: .milliseconds(10)))
        try await app.test(.router) { client in
            async let response = client.executeRequest(uri: "/api/v1/events/stream", method: .get, headers: [:], body: nil)
            try await Self.eventually("the subscription") { broadcaster.subscriberCount == 1 }
            try await Task.sleep(for: .milliseconds(100))
            broadcaster.finishAll()
            let body = String(buffer: try await response.body)
            #expect(body.contains(": keep-alive\n\n"))
            #expect(Self.messages(body).isEmpty)
        }
    }

    /// Over a real socket: the response streams (chunked) and ends when the stream is finished.
    @Test func streamsOverTCP() async throws {
        let broadcaster = EventBroadcaster()
        let store = FakeEventStore(EventFixtures.sequence(1...2))
        let app = Application(
            router: buildRouter(state: ExporterState(), events: store, broadcaster: broadcaster),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            async let response = client.executeRequest(
                uri: "/api/v1/events/stream", method: .get, headers: [.lastEventID: "1"], body: nil)
            try await Self.eventually("the replay") { await store.queries.count == 1 }
            await store.append(EventFixtures.sequence(3...3))
            broadcaster.publish(EventFixtures.sequence(3...3))
            broadcaster.finishAll()
            let result = try await response
            #expect(result.headers[.contentType] == "text/event-stream")
            #expect(Self.messages(String(buffer: result.body)).map(\.id) == [2, 3])
        }
    }

    /// A client that goes away (curl hanging up) is unsubscribed, at the latest by the next
    /// heartbeat write.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
    func aClientThatHangsUpIsUnsubscribed() async throws {
        let broadcaster = EventBroadcaster()
        let app = Application(
            router: buildRouter(state: ExporterState(), broadcaster: broadcaster, heartbeatInterval: .milliseconds(10)),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-sN", "--max-time", "1", "http://127.0.0.1:\(client.port!)/api/v1/events/stream"]
            curl.standardOutput = FileHandle.nullDevice
            try curl.run()
            try await Self.eventually("the subscription") { broadcaster.subscriberCount == 1 }
            try await Self.eventually("curl to give up") { !curl.isRunning }
            try await Self.eventually("the unsubscription") { broadcaster.subscriberCount == 0 }
            broadcaster.finishAll()
        }
    }

    @Test(arguments: [
        ("/api/v1/events/stream", ["Last-Event-ID": "x"], "Last-Event-ID"),
        ("/api/v1/events/stream", ["Last-Event-ID": "-1"], "Last-Event-ID"),
        ("/api/v1/events/stream?after=1.5", [:], "after"),
        ("/api/v1/events/stream?topic=", [:], "topic"),
        ("/api/v1/events/stream?limit=5", [:], "limit"),
    ])
    func badStreamParameterIsNamed(uri: String, headers: [String: String], parameter: String) async throws {
        let app = Application(router: buildRouter(state: ExporterState()))
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPFields.Element.Name(name)!] = value }
        let requestHeaders = fields
        try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: requestHeaders) { response in
                #expect(response.status == .badRequest)
                let error = try JSONValue.parse(json: response.body)
                #expect(error["parameter"] == .string(parameter))
            }
        }
    }

    @Test func frameIsOneSSEMessage() {
        let event = EventPayload(seq: 7, topic: "t", json: "{\"seq\":7,\n \"topic\":\"t\"}")
        #expect(String(buffer: EventStream.frame(event)) == "id: 7\nevent: migration\ndata: {\"seq\":7,  \"topic\":\"t\"}\n\n")
    }
}
