/// `exporterd check` as a whole: with a config that loaded (a bad one never gets here: exit 2),
/// reads both clusters, every agent and the state source at once, each bounded by its own
/// timeout, and turns what they answered into the list of results `CheckReport` prints. Only
/// the sections present are checked (CONTRACT §2); a missing one is a warning naming the
/// commands that need it.
import AsyncHTTPClient
import Diagnostics
import Foundation
import Logging
import SourceWatcher

struct ConfigCheck {
    let config: ExporterConfig
    let configPath: String
    var environment: [String: String] = ProcessInfo.processInfo.environment
    var client: HTTPClient = .shared
    var logger = Logger(label: "exporterd.check")

    /// Runs every check. Throws only a config error found while resolving credentials (an env
    /// var that is unset or unusable), which the command reports with exit 2.
    func run() async throws(ConfigError) -> CheckReport {
        // What `run` reads at start-up beyond the file: the web server's certificates and keys.
        _ = try config.web?.serverOptions()
        var results = [configResult()]
        // Credentials first, for every section: a config error is reported before anything connects.
        // Either cluster may be missing here: `check` reports what a partial config allows.
        let sourceCluster = try config.source.map { settings throws(ConfigError) in
            try settings.kafkaCluster(named: "source", environment: environment, logger: logger)
        }
        let destinationCluster = try config.destination.map { settings throws(ConfigError) in
            try settings.kafkaCluster(named: "destination", environment: environment, logger: logger)
        }
        let agents = try config.proxyMetrics.map { settings throws(ConfigError) in
            ProxyAgents(settings: settings, client: client, access: try HTTPAccess.agents(settings, environment: environment), logger: logger)
        }
        let stateSource = try config.migrationState.map { settings throws(ConfigError) in
            MigrationStateSource(settings: settings, client: client, environment: environment,
                                 access: try HTTPAccess.stateSource(settings, environment: environment))
        }

        async let sourceProbe = Self.probe(sourceCluster, needs: KafkaAPINeed.source)
        async let destinationProbe = Self.probe(destinationCluster, needs: KafkaAPINeed.destination)
        async let agentRead = agents?.scrape()
        async let stateRead = stateSource?.read()
        let (source, destination, agentPages, state) = await (sourceProbe, destinationProbe, agentRead, stateRead)
        await sourceCluster?.shutdown()
        await destinationCluster?.shutdown()

        let selection = TopicSelection(mappings: config.topicMappings, regex: config.topicsRegex)
        for (section, probe) in [("source", source), ("destination", destination)] {
            if let probe {
                results += probe.results()
            } else {
                results.append(.warn(section, "not configured: run, audit and offsets need it"))
            }
        }
        if let source, let destination {
            results += TopicMatchCheck.results(selection, source: source.answeredMetadata, destination: destination.answeredMetadata)
        }
        // Without the source's topic list the regex is not expanded: only the mapped topics are known.
        let watched = TopicMatchCheck.watched(selection, source: source?.answeredMetadata)
            ?? (selection.mappings.isEmpty ? nil : selection.mappings)

        if let agents, let agentPages {
            results += AgentCheck.results(agentPages, targets: agents.settings.targets, names: agents.names, watched: watched)
        } else {
            results.append(.warn("proxy_metrics", "not configured: run and audit need it"))
        }
        if let stateSource, let state {
            results += StateSourceCheck.results(state, location: Self.shown(stateSource.settings.location), watched: watched)
            // Only when every agent answered: a page that is missing proves nothing about its topics.
            if let agentPages, agentPages.allAnswered, let watched, case .success(let document) = state {
                results += StateSourceCheck.proxiedButUncounted(
                    document, watched: watched, onNoPage: AgentCheck.topicsOnNoPage(agentPages, watched: watched))
            }
        } else {
            results.append(.warn("migration_state", "not configured: run and audit need it"))
        }
        return CheckReport(results: results)
    }

    private static func probe(_ cluster: KafkaCluster?, needs: [KafkaAPINeed]) async -> ClusterProbe? {
        guard let cluster else { return nil }
        return await ClusterProbe.read(cluster, needs: needs)
    }

    /// What the config holds, without a secret: env-var names and values stay out of it.
    func configResult() -> CheckResult {
        var parts: [String] = []
        for (name, cluster) in [("source", config.source), ("destination", config.destination)] {
            guard let cluster else { continue }
            var security = cluster.tls == nil ? "plaintext" : "TLS"
            if let mechanism = cluster.credentials?.saslMechanism { security += ", SASL \(mechanism)" }
            parts.append("\(name) \(cluster.bootstrapBrokers.count) bootstrap broker\(cluster.bootstrapBrokers.count == 1 ? "" : "s") (\(security), request_timeout \(Self.seconds(cluster.requestTimeout)))")
        }
        parts.append("\(config.topicMappings.count) topic mapping\(config.topicMappings.count == 1 ? "" : "s")")
        if let regex = config.topicsRegex { parts.append("topics_regex \"\(regex)\"") }
        if let proxy = config.proxyMetrics {
            parts.append("\(proxy.targets.count) agent target\(proxy.targets.count == 1 ? "" : "s") (timeout \(Self.seconds(proxy.timeout)))")
        }
        if let state = config.migrationState {
            parts.append("state \(Self.shown(state.location)) (timeout \(Self.seconds(state.timeout)))")
        }
        return .pass("config \(configPath)", "valid; " + parts.joined(separator: ", "))
    }

    static func shown(_ location: MigrationStateSettings.Location) -> String {
        switch location {
        case .file(let path): path
        case .url(let url, _): URLCredentials.redacted(url)
        }
    }

    /// `5s`, `0.3s`.
    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? "\(Int64(value))s" : "\(value)s"
    }
}
