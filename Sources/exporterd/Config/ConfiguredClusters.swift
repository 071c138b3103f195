/// The Kafka clients a command builds from the config: the one place where a cluster's name,
/// bootstrap brokers and connection settings (TLS, and SASL secrets read from the environment)
/// come together, so `run`, `offsets`, `audit` and `check` connect to a cluster alike.
import Logging
import SourceWatcher

extension ClusterSettings {
    /// A client for this cluster (`name` is "source" or "destination"). Connects lazily; a
    /// config error names the env var a SASL secret is missing from.
    func kafkaCluster(named name: String, environment: [String: String], logger: Logger) throws(ConfigError) -> KafkaCluster {
        KafkaCluster(name: name, bootstrapBrokers: bootstrapBrokers,
                     settings: try connectionSettings(cluster: name, environment: environment), logger: logger)
    }
}

/// Both clusters, for the commands that cannot run without either.
struct ConfiguredClusters {
    let source: KafkaCluster
    let destination: KafkaCluster

    /// A config error when `source` or `destination` is missing or one of their SASL secrets'
    /// env vars is unset; nothing connects before the first request.
    init(_ config: ExporterConfig, environment: [String: String], logger: Logger) throws(ConfigError) {
        guard let source = config.source else { throw .missing(path: "source") }
        guard let destination = config.destination else { throw .missing(path: "destination") }
        self.source = try source.kafkaCluster(named: "source", environment: environment, logger: logger)
        self.destination = try destination.kafkaCluster(named: "destination", environment: environment, logger: logger)
    }

    func shutdown() async {
        await source.shutdown()
        await destination.shutdown()
    }
}
