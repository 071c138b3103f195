/// `exporterd run`: the daemon (CONTRACT §8), and the default command. Wires config, store,
/// clusters, agents and state source into the poll loop, and the HTTP server beside it, in one
/// ServiceGroup so SIGTERM and SIGINT stop both cleanly.
import ArgumentParser
import AsyncHTTPClient
import Diagnostics
import Foundation
import Logging
import MetricsExporter
import NIOCore
import ServiceLifecycle
import SourceWatcher

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the daemon: poll, account, serve /metrics.")

    @Option(name: .long, help: "Path to exporterd.yaml") var config: String
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "exporterd")
        let settings = try loadConfigOrExit(config)
        let environment = ProcessInfo.processInfo.environment
        let clusters = try configured { () throws(ConfigError) in
            try ConfiguredClusters(settings, environment: environment, logger: logger)
        }
        guard let proxy = settings.proxyMetrics else { throw configFailure(.missing(path: "proxy_metrics")) }
        guard let stateSettings = settings.migrationState else { throw configFailure(.missing(path: "migration_state")) }
        // Before the store opens: a port in use is a config error, reported alone, and the
        // store is never opened just to be closed again by a server that could not start.
        do {
            try ListenAddressProbe.check(settings.listenAddress)
        } catch {
            throw configFailure(.unavailable(path: "listen_address", reason: error.description))
        }

        // Credentials, CAs and the web certificates before the store opens too: each is a config error.
        let agentAccess: HTTPAccess, stateAccess: HTTPAccess, webOptions: WebServerOptions
        do {
            agentAccess = try HTTPAccess.agents(proxy, environment: environment)
            stateAccess = try HTTPAccess.stateSource(stateSettings, environment: environment)
            webOptions = try settings.web?.serverOptions() ?? WebServerOptions()
        } catch {
            throw configFailure(error)
        }

        let store: MigrationStore
        do {
            store = try await MigrationStore.open(dataDirectory: settings.dataDirectory, logger: logger)
        } catch {
            logger.critical("data_dir: \(error)")
            throw ExitCode(1)
        }
        let restored = await Self.restore(from: store, logger: logger)
        let configuration = AccountingConfiguration(settings: settings, proxy: proxy, state: stateSettings)
        let client = HTTPClient.shared
        let watch = MigrationWatch(
            source: clusters.source,
            destination: clusters.destination,
            selection: TopicSelection(mappings: settings.topicMappings, regex: settings.topicsRegex),
            agents: ProxyAgents(settings: proxy, client: client, access: agentAccess),
            stateSource: MigrationStateSource(settings: stateSettings, client: client, environment: environment,
                                              access: stateAccess, restoring: restored.accounting),
            accounting: MigrationAccounting(configuration: configuration, restoring: restored.accounting),
            proxiedTotals: restored.proxied ?? ProxiedCounterTotals(),
            logger: logger)

        let state = ExporterState(initial: restored.metricsBeforeFirstPoll)
        let broadcaster = EventBroadcaster()
        let poller = PollService(
            watch: watch, store: store, state: state, broadcaster: broadcaster, interval: settings.pollInterval,
            exportPartitionMetrics: settings.diagnostics.exportPartitionMetrics,
            eventCounts: restored.eventCounts, logger: logger)
        let audit = SharedAuditRun(AuditRun(
            reader: AuditEvidenceReader(
                source: watch.source, destination: watch.destination, selection: watch.selection,
                since: AuditWindow.defaultSince, groups: AuditRun.consumerGroups(of: watch.source)),
            stateSource: MigrationStateSource(settings: stateSettings, client: client, environment: environment, access: stateAccess),
            history: { [store] in
                do throws(MigrationStoreError) { return .success(try await store.auditHistory()) } catch { return .failure(error) }
            }))
        let http: any Service
        do {
            http = try buildApplication(
                state: state, events: StoreEventSource(store: store), broadcaster: broadcaster,
                host: settings.listenAddress.host, port: settings.listenAddress.port, options: webOptions, audit: audit,
                logger: logger)
        } catch {
            logger.critical("web_config_file: the TLS server cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(2)
        }
        // A server that stops (its port taken in the moment since the probe) shuts the poll loop
        // down gracefully: cancelled, the poll in progress would fail its commit and leave the
        // store unclosed ("committing the poll failed", "closing the store failed").
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: http, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: poller),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        logger.info("exporterd started", metadata: [
            "listen": "\(settings.listenAddress)", "tls": "\(webOptions.tls != nil)",
            "basic_auth_users": "\(webOptions.users?.hashes.count ?? 0)", "data_dir": "\(settings.dataDirectory)",
            "topics": "\(settings.topicMappings.count) mapped\(settings.topicsRegex.map { " + regex \($0)" } ?? "")"])
        do {
            try await group.run()
        } catch let error as IOError {
            // Only the server does socket I/O that can end the group: it could not bind.
            throw configFailure(.unavailable(
                path: "listen_address",
                reason: "cannot listen on \(settings.listenAddress): \(OSErrorText.describe(error.errnoCode))"))
        }
    }

    struct Restored {
        var accounting: AccountingSnapshot?
        var proxied: ProxiedCounterTotals?
        var eventCounts: [MigrationEventType: Int64] = [:]

        /// `/metrics` until this process's first poll: the stored event counts, not zeros. A
        /// restart that showed `kafka_migration_events_total` at 0 until the first poll would be a
        /// counter reset to Prometheus, and `increase()` would count every stored event again.
        var metricsBeforeFirstPoll: MetricsSnapshot { MetricsSnapshot(eventCounts: eventCounts) }
    }

    /// What the last committed poll left. A document that no longer decodes is quarantined and
    /// started afresh (its counters restart, which Prometheus reads as a counter reset) rather
    /// than keeping the daemon down in the middle of a migration.
    static func restore(from store: MigrationStore, logger: Logger) async -> Restored {
        var restored = Restored()
        do {
            restored.eventCounts = try await store.eventCounts()
            guard let stored = try await store.restore() else { return restored }
            restored.accounting = await document(AccountingSnapshot.self, StoredDocumentName.accounting, stored, store, logger)
            restored.proxied = await document(ProxiedCounterTotals.self, StoredDocumentName.proxied, stored, store, logger)
            logger.info("resumed from the store", metadata: ["polls": "\(stored.polls)", "last_event": "\(stored.lastSequence)"])
        } catch {
            logger.error("cannot read the store; starting fresh", metadata: ["error": "\(error)"])
        }
        return restored
    }

    private static func document<T: Decodable>(_ type: T.Type, _ name: String, _ stored: StoredState, _ store: MigrationStore, _ logger: Logger) async -> T? {
        do {
            return try stored.document(type, named: name)
        } catch {
            logger.error("stored document unreadable; quarantined and started afresh", metadata: ["document": "\(name)", "error": "\(error)"])
            try? await store.quarantine(document: name, reason: "\(error)")
            return nil
        }
    }
}

extension AccountingConfiguration {
    init(settings: ExporterConfig, proxy: ProxyMetricsSettings, state: MigrationStateSettings) {
        func seconds(_ duration: Duration) -> TimeInterval {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        self.init(
            publishDelay: seconds(proxy.publishDelay),
            confirmPolls: settings.diagnostics.confirmPolls,
            unproxiedToleranceRecords: Int64(settings.diagnostics.unproxiedToleranceRecords),
            defaultMigrationTimeout: seconds(state.defaultMigrationTimeout),
            cutoverMaxTimeLag: seconds(settings.diagnostics.cutoverMaxTimeLag),
            cutoverMaxOffsetLag: settings.diagnostics.cutoverMaxOffsetLag.map(Int64.init),
            cutoverObservationLimit: 3 * seconds(settings.pollInterval))
    }
}
