/// The config file of CONTRACT §2 as typed values, with its defaults. Secrets are not in
/// here: credentials hold env-var names, resolved by `ResolvedCredentials` when connecting.
import SourceWatcher

struct ExporterConfig: Equatable {
    var listenAddress = HostPort(host: "127.0.0.1", port: 9464)
    /// `web_config_file`, resolved against the config's folder, and what it holds.
    var webConfigFile: String?
    var web: WebConfig?
    var pollInterval: Duration = .seconds(5)
    var dataDirectory = "./exporterd-data"
    var source: ClusterSettings?
    var destination: ClusterSettings?
    var topicMappings: [TopicMapping] = []
    var topicsRegex: String?
    var orbitConfig: String?
    var proxyMetrics: ProxyMetricsSettings?
    var migrationState: MigrationStateSettings?
    var diagnostics = DiagnosticsSettings()
}

struct HostPort: Equatable, CustomStringConvertible {
    var host: String
    var port: Int
    var description: String { "\(host):\(port)" }
}

struct ClusterSettings: Equatable {
    var bootstrapBrokers: [BrokerAddress]
    var credentials: Credentials?
    /// `request_timeout`: one read of the cluster (metadata refresh, requests, retry) ends
    /// within it; past it the cluster shows as down (CONTRACT §4 cluster_up).
    var requestTimeout: Duration = .seconds(5)
    /// Built from `credentials` and the env vars they name when the config is loaded
    /// (`ClusterTLS`); nil for plaintext.
    var tls: TLSSettings?

    /// How `KafkaCluster` connects to this cluster.
    var connectionSettings: ConnectionSettings {
        ConnectionSettings(requestTimeout: requestTimeout, tls: tls)
    }
}

/// Orbit's `source_cluster_credentials` shape: names of env vars, never the secrets.
struct Credentials: Equatable {
    var saslMechanism: SaslMechanism?
    var saslUsernameEnv: String?
    var saslPasswordEnv: String?
    var useTLS = false
    var tlsCACertEnv: String?
    var mtlsClientCertEnv: String?
    var mtlsClientKeyEnv: String?
}

struct TopicMapping: Equatable {
    var sourceTopic: String
    var destinationTopic: String
}

struct ProxyMetricsSettings: Equatable {
    var targets: [String]
    var publishDelay: Duration = .seconds(2)
    var recordsMetric = "kafka_proxy_produced_records_total"
    var bytesMetric = "kafka_proxy_produced_bytes_total"
    var topicLabel = "topic"
    var timeout: Duration = .seconds(2)
    /// Names of env vars (never the secrets) for every target: basic auth or a bearer token,
    /// and PEM text of the CA that signs https targets' certificates.
    var basicAuthUsernameEnv: String?
    var basicAuthPasswordEnv: String?
    var bearerTokenEnv: String?
    var tlsCACertEnv: String?
}

struct MigrationStateSettings: Equatable {
    enum Location: Equatable {
        case file(String)
        case url(String, bearerTokenEnv: String?)
    }
    var location: Location
    var defaultMigrationTimeout: Duration = .seconds(300)
    /// One whole read of the document (a URL's exchange, body included).
    var timeout: Duration = .seconds(5)
    /// Env var holding PEM text of the CA that signs an https url's certificate.
    var tlsCACertEnv: String?
}

struct DiagnosticsSettings: Equatable {
    var confirmPolls = 3
    var unproxiedToleranceRecords = 0
    var cutoverMaxTimeLag: Duration = .seconds(180)
    var cutoverMaxOffsetLag: Int?
    var exportPartitionMetrics = false
}
