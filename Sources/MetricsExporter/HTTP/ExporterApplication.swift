/// Wiring of the exporter's HTTP server: the routes of `buildRouter` on a Hummingbird
/// `Application` bound to `listen_address`. The result is a swift-service-lifecycle `Service`;
/// the daemon runs it in one `ServiceGroup` with the poll loop so SIGTERM stops both.
/// A graceful shutdown waits for responses in progress, and an event stream never ends by
/// itself: on shutdown the daemon calls `broadcaster.finishAll()`, which ends every stream.
import Hummingbird
import Logging

public func buildApplication(
    state: some ExporterStateProvider,
    events: any MigrationEventSource = NoMigrationEvents(),
    broadcaster: EventBroadcaster = EventBroadcaster(),
    host: String,
    port: Int,
    logger: Logger
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(state: state, events: events, broadcaster: broadcaster),
        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "exporterd"),
        logger: logger)
}
