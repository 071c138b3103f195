/// `orbit_config`: takes the source brokers, source credentials and topic mappings from an
/// existing Orbit YAML file, so the exporter watches exactly what Orbit replicates. Orbit's
/// other keys are Orbit's business and are ignored, not rejected.
import SourceWatcher

struct OrbitConfigImport: Equatable {
    var sourceBrokers: [BrokerAddress]
    var sourceCredentials: Credentials?
    var topicMappings: [TopicMapping]

    static func parse(yaml: String, file: String) throws(ConfigError) -> OrbitConfigImport {
        var root = try ConfigNode.parse(yaml: yaml, file: file)
        guard root.isPresent else { throw .missing(path: "source_bootstrap_brokers") }
        let brokerNode = try root.child("source_bootstrap_brokers")
        let brokers = try ConfigLoader.brokers(brokerNode)
        guard !brokers.isEmpty else { throw .missing(path: brokerNode.path) }
        var credentialsNode = try root.child("source_cluster_credentials")
        let credentials = try ConfigLoader.credentials(&credentialsNode, strict: false)
        let mappings = try ConfigLoader.topicMappings(try root.child("topic_mappings"), strict: false)
        return OrbitConfigImport(sourceBrokers: brokers, sourceCredentials: credentials, topicMappings: mappings)
    }
}

extension ExporterConfig {
    /// The exporter's own file wins where both say something: an operator who writes a
    /// mapping or a broker list in exporterd.yaml means it.
    mutating func merge(_ orbit: OrbitConfigImport) {
        if source == nil {
            source = ClusterSettings(bootstrapBrokers: orbit.sourceBrokers, credentials: orbit.sourceCredentials)
        } else if source?.credentials == nil {
            source?.credentials = orbit.sourceCredentials
        }
        let mapped = Set(topicMappings.map(\.sourceTopic))
        topicMappings += orbit.topicMappings.filter { !mapped.contains($0.sourceTopic) }
    }
}
