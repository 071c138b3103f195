/// `/api/v1/status` and `/api/v1/events` through the router test framework: a fixed snapshot,
/// an in-memory event store.
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import MetricsExporter

@Suite struct APIRoutesTests {
    private func application(
        _ state: ExporterState = ExporterState(initial: MetricsFixtures.golden),
        events: any MigrationEventSource = FakeEventStore(EventFixtures.sequence(1...10))
    ) -> some ApplicationProtocol {
        Application(router: buildRouter(state: state, events: events, broadcaster: EventBroadcaster()))
    }

    @Test func statusShowsEveryTopicWithExplicitNulls() async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/api/v1/status", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let status = try JSONValue.parse(json: response.body)
                #expect(JSONSchemaChecker.isDateTime(status["generated_at"]?.string ?? ""))
                #expect(status["state_source_up"] == .bool(true))
                #expect(status["store"]?["up"] == .bool(false))
                #expect(status["store"]?["commit_failures"] == .integer(2))
                #expect(status["clusters"]?["destination"]?["up"] == .bool(false))
                #expect(status["clusters"]?["destination"]?["partitions"] == .integer(9))
                #expect(status["clusters"]?["destination"]?["partitions_answered"] == .integer(7))
                #expect(status["clusters"]?["source"]?["last_successful_poll"] == .string("2025-11-25T10:10:00.000Z"))
                #expect(status["proxy_targets"]?[1]?["target"] == .string("http://agent-2:8080/metrics"))
                #expect(status["proxy_targets"]?[1]?["up"] == .bool(false))

                let topics = status["topics"]?.array ?? []
                #expect(topics.compactMap { $0["topic"]?.string } == ["orders", "payments.eu", "audit", "inventory", "clicks", "fresh"])
                let orders = topics[0]
                #expect(orders["state"] == .string("PROXY"))
                #expect(orders["since"] == .string("2025-11-25T10:00:00.000Z"))
                #expect(orders["source_offsets"] == .integer(12_000))
                #expect(orders["destination_offsets"] == .integer(11_950))
                #expect(orders["offset_lag"] == .integer(50))
                #expect(orders["time_lag_seconds"] == .number(1.25))
                #expect([.integer(9_000), .number(9_000)].contains(orders["proxied_records"]))
                #expect(orders["unproxied_source_records"] == .integer(3))
                #expect(orders["diagnostics"] == .array([.string("unproxied_source_writes")]))
                #expect(orders["producers"] == .array([]))
                #expect(orders["producers_check"] == .string("checked"), "read: none found")
                let payments = topics[1]
                #expect(payments["destination_topic"] == .string("payments-eu"))
                #expect(payments["diagnostics"] == .array(["direct_source_producers", "migration_stalled", "migration_timeout_risk"].map(JSONValue.string)))
                // COMPLETE: no lag, as on /metrics; the post-migration counter is there.
                let audit = topics[2]
                #expect(audit["offset_lag"] == .null)
                #expect(audit["time_lag_seconds"] == .null)
                #expect(audit["post_migration_source_records"] == .integer(10))
                // No producers listed, but not because there are none: the source cannot tell.
                #expect(audit["producers"] == .array([]))
                #expect(audit["producers_check"] == .string("unsupported"))
                let producer = payments["producers"]?[0]
                #expect(producer?["producer_id"] == .integer(4_001))
                #expect(producer?["last_write"] == .string("2025-11-25T10:05:00.250Z"))
                #expect(topics[4]["cutover_ready"] == .bool(true))
                // Nothing known yet: every key is there, as null.
                let fresh = topics[5]
                for key in ["state", "since", "source_offsets", "destination_offsets", "offset_lag", "time_lag_seconds"] {
                    #expect(fresh[key] == .null, "\(key)")
                }
                #expect(fresh["producers_check"] == .string("not_read"))
            }
        }
    }

    @Test func statusBeforeTheFirstPoll() async throws {
        try await application(ExporterState()).test(.router) { client in
            try await client.execute(uri: "/api/v1/status", method: .get) { response in
                let status = try JSONValue.parse(json: response.body)
                #expect(status["topics"] == .array([]))
                #expect(status["clusters"]?["source"]?["last_successful_poll"] == .null)
                #expect(status["state_source_up"] == .bool(false))
            }
        }
    }

    @Test func eventsAreServedVerbatimInOrder() async throws {
        let store = FakeEventStore(EventFixtures.sequence(1...10))
        try await application(events: store).test(.router) { client in
            try await client.execute(uri: "/api/v1/events", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let expected = "{\"events\":[" + EventFixtures.sequence(1...10).map(\.json).joined(separator: ",") + "]}"
                #expect(String(buffer: response.body) == expected)
            }
            try await client.execute(uri: "/api/v1/events?after=3&topic=payments&limit=2", method: .get) { response in
                let events = try JSONValue.parse(json: response.body)["events"]?.array ?? []
                #expect(events.map { $0["seq"] } == [.integer(4), .integer(6)])
            }
            try await client.execute(uri: "/api/v1/events?after=10", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"events":[]}"#)
            }
        }
        let queries = await store.queries
        #expect(queries.map(\.limit) == [100, 2, 100])
        #expect(queries.map(\.after) == [nil, 3, 10])
        #expect(queries.map(\.topic) == [nil, "payments", nil])
    }

    @Test func limitBoundsAreAccepted() async throws {
        try await application().test(.router) { client in
            for query in ["limit=1", "limit=1000", "after=0", "topic=payments.eu", "after=9223372036854775807"] {
                try await client.execute(uri: "/api/v1/events?\(query)", method: .get) { response in
                    #expect(response.status == .ok, "\(query)")
                }
            }
        }
    }

    static let badParameters: [(query: String, parameter: String)] = [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("limit=", "limit"),
        ("limit=-5", "limit"),
        ("limit=2.5", "limit"),
        ("after=-1", "after"),
        ("after=abc", "after"),
        ("after=1.5", "after"),
        ("after=", "after"),
        ("after=99999999999999999999", "after"),
        ("after=+3", "after"),
        ("topic=", "topic"),
        ("since=3", "since"),
        ("after=1&after=2", "after"),
        ("topic=a&limit=5&limit=6", "limit"),
    ]

    @Test(arguments: badParameters)
    func badEventsParameterIsNamed(query: String, parameter: String) async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/api/v1/events?\(query)", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let error = try JSONValue.parse(json: response.body)
                #expect(error["parameter"] == .string(parameter))
                #expect(error["error"]?.string?.isEmpty == false)
            }
        }
    }

    @Test func unreadableStoreIsA500WithAJSONError() async throws {
        try await application(events: FailingEventStore()).test(.router) { client in
            try await client.execute(uri: "/api/v1/events", method: .get) { response in
                #expect(response.status == .internalServerError)
                let error = try JSONValue.parse(json: response.body)
                #expect(error["error"]?.string?.hasPrefix("cannot read the event store") == true)
                #expect(error["parameter"] == nil)
            }
        }
    }

    @Test func theOldApplicationSignatureServesAnEmptyEventList() async throws {
        let app = buildApplication(state: ExporterState(), host: "127.0.0.1", port: 0, logger: .init(label: "test"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/events", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"events":[]}"#)
            }
        }
    }
}
