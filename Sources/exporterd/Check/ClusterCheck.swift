/// `exporterd check` on one Kafka cluster: its metadata (which brokers it has), then every
/// broker of that metadata answering ApiVersions, and whether it offers the APIs exporterd
/// uses. Each step runs against its own `request_timeout` deadline, so a port that is not
/// Kafka, or never answers, fails its line within that time and the check goes on.
import SourceWatcher

/// An API exporterd sends, and what a broker that lacks it costs.
struct KafkaAPINeed: Sendable {
    enum Cost: Sendable {
        /// exporterd cannot do its job on this cluster: the broker's line fails.
        case required
        /// A feature switches off: a warning that says which.
        case optional(consequence: String)
    }

    let api: APIKey
    /// The versions exporterd's codec speaks.
    let ours: ClosedRange<Int16>
    let cost: Cost

    init<Request: KafkaRequest>(_ request: Request.Type, _ cost: Cost) {
        self.api = Request.apiKey
        self.ours = Request.supportedVersions
        self.cost = cost
    }

    var isRequired: Bool { if case .required = cost { true } else { false } }

    /// The highest version both speak, or nil when the broker offers none of ours.
    func negotiated(with versions: BrokerAPIVersions) -> Int16? {
        guard let theirs = versions.ranges[api.rawValue] else { return nil }
        let high = min(ours.upperBound, theirs.upperBound)
        return high >= max(ours.lowerBound, theirs.lowerBound) ? high : nil
    }

    /// "not offered" or the broker's range next to ours.
    func shortfall(in versions: BrokerAPIVersions) -> String {
        guard let theirs = versions.ranges[api.rawValue] else { return "\(api) not offered" }
        return "\(api) v\(theirs.lowerBound)-\(theirs.upperBound) offered, exporterd needs v\(ours.lowerBound)-\(ours.upperBound)"
    }

    static let consumerGroupsConsequence = "consumer-group check disabled (the audit cannot verify who still reads the source)"

    /// Offsets and metadata on both clusters; Fetch for record timestamps (replication time lag,
    /// the audit's last-record match); on the source, DescribeProducers for direct producers and
    /// the group APIs for consumers still reading it.
    static let source: [KafkaAPINeed] = [
        KafkaAPINeed(MetadataRequest.self, .required),
        KafkaAPINeed(ListOffsetsRequest.self, .required),
        KafkaAPINeed(FetchRequest.self, .required),
        KafkaAPINeed(DescribeProducersRequest.self, .optional(consequence: "direct-producer check disabled")),
        KafkaAPINeed(ListGroupsRequest.self, .optional(consequence: consumerGroupsConsequence)),
        KafkaAPINeed(FindCoordinatorRequest.self, .optional(consequence: consumerGroupsConsequence)),
        KafkaAPINeed(DescribeGroupsRequest.self, .optional(consequence: consumerGroupsConsequence)),
        KafkaAPINeed(OffsetFetchRequest.self, .optional(consequence: consumerGroupsConsequence)),
    ]

    static let destination: [KafkaAPINeed] = [
        KafkaAPINeed(MetadataRequest.self, .required),
        KafkaAPINeed(ListOffsetsRequest.self, .required),
        KafkaAPINeed(FetchRequest.self, .required),
    ]
}

/// What one cluster answered: its metadata, and each of its brokers' API versions.
struct ClusterProbe: Sendable {
    struct Broker: Sendable {
        var id: Int32
        var address: BrokerAddress
        var versions: Result<BrokerAPIVersions, KafkaClientError>
    }

    var cluster: String
    var bootstrap: [BrokerAddress]
    var needs: [KafkaAPINeed]
    var metadata: Result<ClusterMetadata, KafkaClientError>
    var brokers: [Broker] = []

    /// Reads metadata (every topic, for the matching that follows), then asks every broker it
    /// lists for its API versions, all brokers at once, each within `request_timeout`.
    static func read(_ kafka: KafkaCluster, needs: [KafkaAPINeed]) async -> ClusterProbe {
        let metadata: ClusterMetadata
        do {
            metadata = try await kafka.refreshMetadata(topics: nil, deadline: kafka.newReadDeadline())
        } catch {
            return ClusterProbe(cluster: kafka.name, bootstrap: kafka.bootstrapBrokers, needs: needs, metadata: .failure(error))
        }
        var brokers: [Broker] = []
        await withTaskGroup(of: Broker.self) { group in
            for (id, address) in metadata.brokers {
                group.addTask {
                    do throws(KafkaClientError) {
                        let connection = try await kafka.connection(to: address, deadline: kafka.newReadDeadline())
                        return Broker(id: id, address: address, versions: .success(connection.apiVersions))
                    } catch {
                        return Broker(id: id, address: address, versions: .failure(error))
                    }
                }
            }
            for await broker in group { brokers.append(broker) }
        }
        return ClusterProbe(cluster: kafka.name, bootstrap: kafka.bootstrapBrokers, needs: needs,
                            metadata: .success(metadata), brokers: brokers.sorted { $0.id < $1.id })
    }

    var answeredMetadata: ClusterMetadata? { try? metadata.get() }

    func results() -> [CheckResult] {
        let bootstrapList = bootstrap.map(\.description).joined(separator: ", ")
        let metadata: ClusterMetadata
        switch self.metadata {
        case .failure(let error):
            return [.fail("\(cluster) cluster", "no metadata from bootstrap \(bootstrapList): \(error)")]
        case .success(let answered):
            metadata = answered
        }
        let clusterID = metadata.clusterID.map { "cluster id \($0), " } ?? ""
        var results: [CheckResult] = [.pass(
            "\(cluster) cluster",
            "metadata via \(bootstrapList): \(clusterID)\(metadata.brokers.count) broker\(metadata.brokers.count == 1 ? "" : "s"), \(metadata.topicNames.count) topics")]
        if metadata.brokers.isEmpty {
            results.append(.fail("\(cluster) brokers", "the metadata lists no broker"))
        }
        for broker in brokers { results += Self.results(of: broker, cluster: cluster, needs: needs) }
        return results
    }

    static func results(of broker: Broker, cluster: String, needs: [KafkaAPINeed]) -> [CheckResult] {
        let name = "\(cluster) broker \(broker.id) \(broker.address)"
        let versions: BrokerAPIVersions
        switch broker.versions {
        case .failure(let error): return [.fail(name, "\(error)")]
        case .success(let answered): versions = answered
        }
        var offered: [String] = []
        var missingRequired: [String] = []
        var missingOptional: [(shortfall: String, consequence: String)] = []
        for need in needs {
            if let version = need.negotiated(with: versions) {
                offered.append("\(need.api) v\(version)")
                continue
            }
            switch need.cost {
            case .required: missingRequired.append(need.shortfall(in: versions))
            case .optional(let consequence): missingOptional.append((need.shortfall(in: versions), consequence))
            }
        }
        var results: [CheckResult] = []
        let speaks = "ApiVersions answered; " + (offered.isEmpty ? "none of exporterd's APIs" : offered.joined(separator: ", "))
        if missingRequired.isEmpty {
            results.append(.pass(name, speaks))
        } else {
            results.append(.fail(name, missingRequired.joined(separator: "; ") + " (" + speaks + ")"))
        }
        // One warning per consequence, naming every API behind it.
        var consequences: [String] = []
        for entry in missingOptional where !consequences.contains(entry.consequence) { consequences.append(entry.consequence) }
        for consequence in consequences {
            let shortfalls = missingOptional.filter { $0.consequence == consequence }.map(\.shortfall)
            results.append(.warn(name, shortfalls.joined(separator: ", ") + " → " + consequence))
        }
        return results
    }
}
