/// Reads `exporterd.yaml` (and an `orbit_config` it points to) into `ExporterConfig`,
/// checking every key and value and naming the path of the first thing that is wrong.
import Foundation
import SourceWatcher
import Yams

enum ConfigLoader {
    /// Loads and validates the file at `path`. Relative paths inside it (data_dir, the state
    /// file, orbit_config) are taken relative to the config file's folder, so a service
    /// started from any working directory reads the same files.
    static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> ExporterConfig {
        let text = try read(path)
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        var config = try parse(yaml: text, file: path, baseDirectory: base)
        if let orbitPath = config.orbitConfig {
            let orbitFile = resolve(orbitPath, against: base)
            do {
                let orbit = try OrbitConfigImport.parse(yaml: try read(orbitFile), file: orbitFile)
                config.merge(orbit)
            } catch {
                throw .orbit(file: orbitFile, ConfigErrorBox(error))
            }
        }
        if let webFile = config.webConfigFile {
            let text: String
            do { text = try read(webFile) } catch {
                if case .unreadable(_, let reason) = error {
                    throw .unavailable(path: "web_config_file", reason: "cannot read \(webFile): \(reason)")
                }
                throw error
            }
            config.web = try WebConfig.parse(yaml: text, file: webFile, baseDirectory: URL(fileURLWithPath: webFile).deletingLastPathComponent())
        }
        try validate(config, environment: environment)
        try ClusterTLS.resolve(&config, environment: environment)
        return config
    }

    /// A config is a few KiB (a few MiB with tens of thousands of mappings); the cap keeps a
    /// wrong path (a log file, a device) from being read whole.
    static let fileLimit = 16 * 1024 * 1024

    static func read(_ path: String) throws(ConfigError) -> String {
        let data: Data
        do {
            data = try BoundedFile.read(path, limit: fileLimit)
        } catch {
            throw .unreadable(file: path, reason: error.reason)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw .unreadable(file: path, reason: "not UTF-8 text")
        }
        return text
    }

    static func resolve(_ path: String, against base: URL) -> String {
        path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
    }

    static func parse(yaml: String, file: String, baseDirectory: URL) throws(ConfigError) -> ExporterConfig {
        var root = try ConfigNode.parse(yaml: yaml, file: file)
        guard root.isPresent else { throw .missing(path: "\(file): the file is empty") }
        var config = ExporterConfig()
        if let listen = try root.child("listen_address").string() {
            config.listenAddress = try hostPort(listen, path: "listen_address")
        }
        if let web = try root.child("web_config_file").string() {
            config.webConfigFile = resolve(web, against: baseDirectory)
        }
        // Below 100ms a poll cannot finish before the next is due; above a day nothing is watched.
        config.pollInterval = try root.child("poll_interval").duration(in: .milliseconds(100)...(.seconds(86_400))) ?? config.pollInterval
        if let dir = try root.child("data_dir").string() {
            config.dataDirectory = resolve(dir, against: baseDirectory)
        } else {
            config.dataDirectory = resolve(config.dataDirectory, against: baseDirectory)
        }
        var source = try root.child("source")
        config.source = try clusterSettings(&source)
        var destination = try root.child("destination")
        config.destination = try clusterSettings(&destination)
        config.topicMappings = try topicMappings(try root.child("topic_mappings"), strict: true)
        config.topicsRegex = try root.child("topics_regex").string()
        if let orbit = try root.child("orbit_config").string() {
            config.orbitConfig = resolve(orbit, against: baseDirectory)
        }
        var proxy = try root.child("proxy_metrics")
        config.proxyMetrics = try proxyMetrics(&proxy)
        var state = try root.child("migration_state")
        config.migrationState = try migrationState(&state, baseDirectory: baseDirectory)
        var diagnostics = try root.child("diagnostics")
        config.diagnostics = try diagnosticsSettings(&diagnostics)
        try root.finish()
        return config
    }

    static func hostPort(_ text: String, path: String) throws(ConfigError) -> HostPort {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw .invalidValue(path: path, value: text, expected: "host:port, e.g. 127.0.0.1:9464")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return HostPort(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    static func brokers(_ node: ConfigNode) throws(ConfigError) -> [BrokerAddress] {
        var result: [BrokerAddress] = []
        for var entry in try node.elements() {
            let host = try entry.child("hostname").requiredString()
            let portNode = try entry.child("port")
            guard let port = try portNode.int() else { throw .missing(path: portNode.path) }
            guard (1...65535).contains(port) else { throw .invalidValue(path: portNode.path, value: "\(port)", expected: "a port between 1 and 65535") }
            try entry.finish()
            result.append(BrokerAddress(host: host, port: port))
        }
        return result
    }

    static func clusterSettings(_ node: inout ConfigNode) throws(ConfigError) -> ClusterSettings? {
        guard node.isPresent else { return nil }
        let brokerNode = try node.child("bootstrap_brokers")
        let list = try brokers(brokerNode)
        guard !list.isEmpty else { throw .missing(path: brokerNode.path) }
        var credentialsNode = try node.child("credentials")
        let credentials = try self.credentials(&credentialsNode)
        var settings = ClusterSettings(bootstrapBrokers: list, credentials: credentials)
        let timeoutNode = try node.child("request_timeout")
        if let timeout = try timeoutNode.duration(in: .milliseconds(10)...(.seconds(600))) {
            settings.requestTimeout = timeout
        }
        try node.finish()
        return settings
    }

    /// `strict: false` for Orbit's credential blocks, which carry more options (JKS files…)
    /// than exporterd reads; only the fields of CONTRACT §2 are taken from them.
    static func credentials(_ node: inout ConfigNode, strict: Bool = true) throws(ConfigError) -> Credentials? {
        guard node.isPresent else { return nil }
        var credentials = Credentials()
        credentials.saslMechanism = try node.child("sasl_mechanism").oneOf(["plain": SaslMechanism.plain, "scram-256": .scramSHA256, "scram-512": .scramSHA512])
        credentials.saslUsernameEnv = try node.child("sasl_username_env").string()
        credentials.saslPasswordEnv = try node.child("sasl_password_env").string()
        credentials.useTLS = try node.child("use_tls").bool() ?? false
        credentials.tlsCACertEnv = try node.child("tls_ca_cert_env").string()
        credentials.mtlsClientCertEnv = try node.child("mtls_client_cert_env").string()
        credentials.mtlsClientKeyEnv = try node.child("mtls_client_key_env").string()
        if strict { try node.finish() }
        if credentials.saslMechanism != nil {
            if credentials.saslUsernameEnv == nil { throw .missing(path: "\(node.path).sasl_username_env") }
            if credentials.saslPasswordEnv == nil { throw .missing(path: "\(node.path).sasl_password_env") }
        }
        if (credentials.mtlsClientCertEnv == nil) != (credentials.mtlsClientKeyEnv == nil) {
            throw .conflict(path: node.path, reason: "mtls_client_cert_env and mtls_client_key_env go together")
        }
        return credentials
    }

    /// `strict: false` for Orbit files, whose mappings carry Orbit's own keys (auto_migration…).
    static func topicMappings(_ node: ConfigNode, strict: Bool) throws(ConfigError) -> [TopicMapping] {
        var result: [TopicMapping] = []
        var seen: Set<String> = []
        for var entry in try node.elements() {
            let sourceNode = try entry.child("source_topic")
            let source = try sourceNode.requiredString()
            let destination = try entry.child("destination_topic").string() ?? source
            if strict { try entry.finish() }
            guard seen.insert(source).inserted else {
                throw .conflict(path: sourceNode.path, reason: "topic \"\(source)\" is mapped twice")
            }
            result.append(TopicMapping(sourceTopic: source, destinationTopic: destination))
        }
        return result
    }

    static func proxyMetrics(_ node: inout ConfigNode) throws(ConfigError) -> ProxyMetricsSettings? {
        guard node.isPresent else { return nil }
        let targetsNode = try node.child("targets")
        var targets: [String] = []
        for target in try targetsNode.elements() {
            let url = try target.requiredString()
            try checkURL(url, path: target.path, credentialKeys: "proxy_metrics.basic_auth_username_env and basic_auth_password_env")
            guard let parsed = URL(string: url), parsed.host != nil else {
                throw .invalidValue(path: target.path, value: URLCredentials.redacted(url), expected: "an http:// or https:// URL")
            }
            targets.append(url)
        }
        guard !targets.isEmpty else { throw .missing(path: targetsNode.path) }
        var settings = ProxyMetricsSettings(targets: targets)
        settings.basicAuthUsernameEnv = try node.child("basic_auth_username_env").string()
        settings.basicAuthPasswordEnv = try node.child("basic_auth_password_env").string()
        settings.bearerTokenEnv = try node.child("bearer_token_env").string()
        settings.tlsCACertEnv = try node.child("tls_ca_cert_env").string()
        if (settings.basicAuthUsernameEnv == nil) != (settings.basicAuthPasswordEnv == nil) {
            throw .conflict(path: node.path, reason: "basic_auth_username_env and basic_auth_password_env go together")
        }
        if settings.basicAuthUsernameEnv != nil, settings.bearerTokenEnv != nil {
            throw .conflict(path: node.path, reason: "set basic_auth_username_env/basic_auth_password_env or bearer_token_env, not both")
        }
        settings.publishDelay = try node.child("publish_delay").duration(in: .zero...(.seconds(3600))) ?? settings.publishDelay
        settings.recordsMetric = try node.child("records_metric").string() ?? settings.recordsMetric
        settings.bytesMetric = try node.child("bytes_metric").string() ?? settings.bytesMetric
        settings.topicLabel = try node.child("topic_label").string() ?? settings.topicLabel
        settings.timeout = try node.child("timeout").duration(in: .milliseconds(1)...(.seconds(3600))) ?? settings.timeout
        try node.finish()
        return settings
    }

    static func migrationState(_ node: inout ConfigNode, baseDirectory: URL) throws(ConfigError) -> MigrationStateSettings? {
        guard node.isPresent else { return nil }
        let file = try node.child("file").string()
        let urlNode = try node.child("url")
        let url = try urlNode.string()
        let token = try node.child("bearer_token_env").string()
        // Not in CONTRACT §2's example but in its spirit (issue 9): an https state URL signed by a private CA.
        let caVariable = try node.child("tls_ca_cert_env").string()
        let migrationTimeout = try node.child("default_migration_timeout").duration(in: .seconds(1)...(.seconds(30 * 86_400)))
        // Not in CONTRACT §2: bounds the read so a hanging state URL shows within timeout + poll_interval.
        let readTimeout = try node.child("timeout").duration(in: .milliseconds(1)...(.seconds(3600)))
        try node.finish()
        let location: MigrationStateSettings.Location
        switch (file, url) {
        case (let file?, nil): location = .file(resolve(file, against: baseDirectory))
        case (nil, let url?):
            try checkURL(url, path: urlNode.path, credentialKeys: "migration_state.bearer_token_env")
            location = .url(url, bearerTokenEnv: token)
        case (nil, nil): throw .missing(path: "\(node.path).file or \(node.path).url")
        case (_?, _?): throw .conflict(path: node.path, reason: "set exactly one of file and url")
        }
        var settings = MigrationStateSettings(location: location)
        if caVariable != nil, case .file = location {
            throw .conflict(path: "\(node.path).tls_ca_cert_env", reason: "applies to an https url, not to a file")
        }
        settings.tlsCACertEnv = caVariable
        settings.defaultMigrationTimeout = migrationTimeout ?? settings.defaultMigrationTimeout
        settings.timeout = readTimeout ?? settings.timeout
        return settings
    }

    /// An http(s) URL without credentials in it. Credentials in a URL end up in logs, `ps`
    /// and the config repository, so they are refused, and the error never shows the URL's
    /// user:password part (only the URL with it blanked out).
    static func checkURL(_ url: String, path: String, credentialKeys: String) throws(ConfigError) {
        if URLCredentials.contains(url) {
            throw .conflict(path: path, reason: "credentials inside the URL (\(URLCredentials.redacted(url))) are refused; "
                + "put them in environment variables named by \(credentialKeys)")
        }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? "") else {
            throw .invalidValue(path: path, value: URLCredentials.redacted(url), expected: "an http:// or https:// URL")
        }
    }

    static func diagnosticsSettings(_ node: inout ConfigNode) throws(ConfigError) -> DiagnosticsSettings {
        var settings = DiagnosticsSettings()
        guard node.isPresent else { return settings }
        settings.confirmPolls = try node.child("confirm_polls").int(in: 1...1000) ?? settings.confirmPolls
        settings.unproxiedToleranceRecords = try node.child("unproxied_tolerance_records").nonNegativeInt() ?? 0
        settings.cutoverMaxTimeLag = try node.child("cutover_max_time_lag").duration(in: .zero...(.seconds(30 * 86_400))) ?? settings.cutoverMaxTimeLag
        settings.cutoverMaxOffsetLag = try node.child("cutover_max_offset_lag").nonNegativeInt()
        settings.exportPartitionMetrics = try node.child("export_partition_metrics").bool() ?? false
        try node.finish()
        return settings
    }

    /// Cross-field rules and env vars: checked after the Orbit import filled its part.
    static func validate(_ config: ExporterConfig, environment: [String: String]) throws(ConfigError) {
        if let regex = config.topicsRegex {
            do { _ = try Regex(regex) } catch {
                throw .invalidValue(path: "topics_regex", value: regex, expected: "a valid regular expression (\(error))")
            }
        }
        for (path, cluster) in [("source", config.source), ("destination", config.destination)] {
            guard let credentials = cluster?.credentials else { continue }
            let names: [(String, String?)] = [
                ("sasl_username_env", credentials.saslUsernameEnv), ("sasl_password_env", credentials.saslPasswordEnv),
                ("tls_ca_cert_env", credentials.tlsCACertEnv), ("mtls_client_cert_env", credentials.mtlsClientCertEnv),
                ("mtls_client_key_env", credentials.mtlsClientKeyEnv),
            ]
            for case let (key, variable?) in names where environment[variable] == nil {
                throw .envUnset(path: "\(path).credentials.\(key)", variable: variable)
            }
        }
        if case .url(_, let token?)? = config.migrationState?.location, environment[token] == nil {
            throw .envUnset(path: "migration_state.bearer_token_env", variable: token)
        }
        if let proxy = config.proxyMetrics {
            _ = try HTTPAccess.agents(proxy, environment: environment)
        }
        if let state = config.migrationState {
            _ = try HTTPAccess.stateSource(state, environment: environment)
        }
    }
}
