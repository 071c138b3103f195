import Foundation
import SourceWatcher
import Testing
@testable import exporterd

@Suite struct ConfigLoaderTests {
    let base = URL(fileURLWithPath: "/etc/exporterd")

    func parse(_ yaml: String) throws(ConfigError) -> ExporterConfig {
        try ConfigLoader.parse(yaml: yaml, file: "exporterd.yaml", baseDirectory: base)
    }

    @Test func contractExampleParsesWithEveryKey() throws {
        let config = try parse("""
            listen_address: 127.0.0.1:9464
            poll_interval: 5s
            data_dir: ./exporterd-data
            source:
              bootstrap_brokers:
                - {hostname: localhost, port: 9092}
              credentials:
                sasl_mechanism: scram-512
                sasl_username_env: ORBIT_SASL_USERNAME
                sasl_password_env: ORBIT_SASL_PASSWORD
                use_tls: true
                tls_ca_cert_env: SOURCE_CA_PEM
                mtls_client_cert_env: SOURCE_CERT_PEM
                mtls_client_key_env: SOURCE_KEY_PEM
            destination:
              bootstrap_brokers: [{hostname: localhost, port: 9093}]
            topic_mappings:
              - {source_topic: orders, destination_topic: orders}
              - {source_topic: refunds}
            topics_regex: "payments\\\\..*"
            proxy_metrics:
              targets: [http://agent-1:8080/metrics, http://agent-2:8080/metrics]
              publish_delay: 2s
              records_metric: kafka_proxy_produced_records_total
              bytes_metric: kafka_proxy_produced_bytes_total
              topic_label: topic
              timeout: 2s
            migration_state:
              file: ./migration-state.json
              default_migration_timeout: 300s
            diagnostics:
              confirm_polls: 3
              unproxied_tolerance_records: 0
              cutover_max_time_lag: 180s
              cutover_max_offset_lag: 1000
              export_partition_metrics: false
            """)
        #expect(config.listenAddress == HostPort(host: "127.0.0.1", port: 9464))
        #expect(config.pollInterval == .seconds(5))
        #expect(config.dataDirectory == "/etc/exporterd/exporterd-data")
        #expect(config.source?.bootstrapBrokers == [BrokerAddress(host: "localhost", port: 9092)])
        #expect(config.source?.credentials?.saslMechanism == .scramSHA512)
        #expect(config.source?.credentials?.useTLS == true)
        #expect(config.destination?.bootstrapBrokers == [BrokerAddress(host: "localhost", port: 9093)])
        #expect(config.topicMappings == [TopicMapping(sourceTopic: "orders", destinationTopic: "orders"),
                                         TopicMapping(sourceTopic: "refunds", destinationTopic: "refunds")])
        #expect(config.topicsRegex == "payments\\..*")
        #expect(config.proxyMetrics?.targets.count == 2)
        #expect(config.migrationState?.location == .file("/etc/exporterd/migration-state.json"))
        #expect(config.diagnostics.cutoverMaxOffsetLag == 1000)
    }

    @Test func defaultsApplyWhenKeysAreOmitted() throws {
        let config = try parse("destination:\n  bootstrap_brokers: [{hostname: d, port: 9093}]\n")
        #expect(config.pollInterval == .seconds(5))
        #expect(config.listenAddress.port == 9464)
        #expect(config.diagnostics == DiagnosticsSettings())
        #expect(config.source == nil)
    }

    @Test(arguments: [
        ("source:\n  bootstrap_brokers: [{hostname: a, port: 1}]\n  credentials: {sasl_mechanism: scram-1024, sasl_username_env: U, sasl_password_env: P}\n",
         #"source.credentials.sasl_mechanism: unknown value "scram-1024", expected plain, scram-256 or scram-512"#),
        ("poll_interval: 5\n", #"poll_interval: unknown value "5", expected a duration such as 500ms, 5s, 2m or 1h30m"#),
        ("poll_interval: 0s\n", "poll_interval: 0s is out of range, expected a duration between 100ms and 24h"),
        ("pol_interval: 5s\n", "pol_interval: unknown key, expected one of data_dir, destination, diagnostics, listen_address, migration_state, orbit_config, poll_interval, proxy_metrics, source, topic_mappings, topics_regex, web_config_file"),
        ("source:\n  bootstrap_brokers: []\n", "source.bootstrap_brokers: required but missing"),
        ("source:\n  bootstrap_brokers: [{hostname: a, port: 70000}]\n", #"source.bootstrap_brokers[0].port: unknown value "70000", expected a port between 1 and 65535"#),
        ("source:\n  bootstrap_brokers: [{port: 9092}]\n", "source.bootstrap_brokers[0].hostname: required but missing"),
        ("source:\n  bootstrap_brokers: {hostname: a}\n", "source.bootstrap_brokers: expected a list (line 2)"),
        ("topic_mappings:\n  - {source_topic: a}\n  - {source_topic: a}\n", #"topic_mappings[1].source_topic: topic "a" is mapped twice"#),
        ("topic_mappings:\n  - {destination_topic: a}\n", "topic_mappings[0].source_topic: required but missing"),
        ("listen_address: nine\n", #"listen_address: unknown value "nine", expected host:port, e.g. 127.0.0.1:9464"#),
        ("migration_state: {file: a.json, url: http://x/}\n", "migration_state: set exactly one of file and url"),
        ("migration_state: {default_migration_timeout: 5s}\n", "migration_state.file or migration_state.url: required but missing"),
        ("proxy_metrics: {targets: [agent-1:8080]}\n", #"proxy_metrics.targets[0]: unknown value "agent-1:8080", expected an http:// or https:// URL"#),
        ("diagnostics: {confirm_polls: 0}\n", "diagnostics.confirm_polls: 0 is out of range, expected a number between 1 and 1000"),
        ("diagnostics: {export_partition_metrics: maybe}\n", "diagnostics.export_partition_metrics: expected true or false (line 1)"),
        ("source: [1, 2]\n", "source: expected a mapping (line 1)"),
    ])
    func errorsNameTheirPath(yaml: String, message: String) {
        #expect(throws: ConfigError.self) { try parse(yaml) }
        do {
            _ = try parse(yaml)
        } catch {
            #expect(error.description == message)
        }
    }

    /// FuzzConfig found that Yams' base-60 integers trap on overflow: a port written that way
    /// took exporterd down instead of naming the key.
    @Test(arguments: ["9222222222222222222:22222222092", "99999999999999999999", "1:30", "0x", "-", "9092.5", "ninety"])
    func anIntegerThatIsNoIntIsAConfigErrorNotACrash(port: String) {
        let yaml = """
            source:
              bootstrap_brokers: [{hostname: kafka-1, port: \(port)}]
            """
        #expect(throws: ConfigError.self) { try parse(yaml) }
    }

    @Test func integersReadAsYAMLWritesThem() {
        #expect(ConfigNode.integer("9092") == 9092)
        #expect(ConfigNode.integer("+9_092") == 9092)
        #expect(ConfigNode.integer("-3") == -3)
        #expect(ConfigNode.integer("0x2384") == 9092)
        #expect(ConfigNode.integer("0o21604") == 9092)
        #expect(ConfigNode.integer(String(Int.max)) == Int.max)
        #expect(ConfigNode.integer("9223372036854775808") == nil)
        #expect(ConfigNode.integer("1:30") == nil)
    }

    @Test func unsetEnvVarIsNamedNeverItsValue() throws {
        let config = try parse("""
            source:
              bootstrap_brokers: [{hostname: a, port: 9092}]
              credentials: {sasl_mechanism: plain, sasl_username_env: KAFKA_USER, sasl_password_env: KAFKA_SECRET}
            """)
        #expect(throws: ConfigError.envUnset(path: "source.credentials.sasl_password_env", variable: "KAFKA_SECRET")) {
            try ConfigLoader.validate(config, environment: ["KAFKA_USER": "alice"])
        }
        do {
            try ConfigLoader.validate(config, environment: ["KAFKA_USER": "alice"])
        } catch {
            #expect(!error.description.contains("alice"))
        }
        try ConfigLoader.validate(config, environment: ["KAFKA_USER": "alice", "KAFKA_SECRET": "s3cret"])
    }

    @Test func invalidRegexIsReported() throws {
        let config = try parse("topics_regex: \"(\"\n")
        #expect(throws: ConfigError.self) { try ConfigLoader.validate(config, environment: [:]) }
    }

    @Test func brokenYAMLIsASyntaxErrorNamingTheFile() {
        #expect {
            try parse("source: [unclosed\n")
        } throws: { error in
            if case .syntax(let file, _) = error as? ConfigError { file == "exporterd.yaml" } else { false }
        }
    }

    @Test func orbitFileSuppliesSourceCredentialsAndMappings() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
            source_bootstrap_brokers:
              - {hostname: kafka-1, port: 9092}
            source_cluster_credentials:
              sasl_username_env: ORBIT_SASL_USERNAME
              sasl_password_env: ORBIT_SASL_PASSWORD
              sasl_mechanism: scram-512
            auto_migration: {enable: false}
            topic_mappings:
              - source_topic: orders
                destination_topic: orders-v2
                auto_migration: {enable: true}
              - source_topic: audit
            """.write(to: directory.appendingPathComponent("orbit.yaml"), atomically: true, encoding: .utf8)
        try """
            orbit_config: orbit.yaml
            destination: {bootstrap_brokers: [{hostname: ws, port: 9092}]}
            topic_mappings: [{source_topic: audit, destination_topic: audit-kept}]
            """.write(to: directory.appendingPathComponent("exporterd.yaml"), atomically: true, encoding: .utf8)
        let config = try ConfigLoader.load(
            path: directory.appendingPathComponent("exporterd.yaml").path,
            environment: ["ORBIT_SASL_USERNAME": "u", "ORBIT_SASL_PASSWORD": "p"])
        #expect(config.source?.bootstrapBrokers == [BrokerAddress(host: "kafka-1", port: 9092)])
        #expect(config.source?.credentials?.saslMechanism == .scramSHA512)
        #expect(config.topicMappings == [TopicMapping(sourceTopic: "audit", destinationTopic: "audit-kept"),
                                         TopicMapping(sourceTopic: "orders", destinationTopic: "orders-v2")])
    }

    /// Values that parse but make no sense, and one past what `Duration` holds (which trapped:
    /// `Duration * Double` overflowed and the daemon died reading its config).
    @Test(arguments: [
        ("poll_interval: 1000000000000000000000000000000h\n",
         "poll_interval: 1000000000000000000000000000000h is out of range, expected a duration between 100ms and 24h"),
        ("poll_interval: \(String(repeating: "9", count: 400))s\n",
         "poll_interval: \(String(repeating: "9", count: 400))s is out of range, expected a duration between 100ms and 24h"),
        ("poll_interval: 50ms\n", "poll_interval: 50ms is out of range, expected a duration between 100ms and 24h"),
        ("poll_interval: 24h1s\n", "poll_interval: 24h1s is out of range, expected a duration between 100ms and 24h"),
        ("proxy_metrics: {targets: [http://a/metrics], timeout: 0s}\n",
         "proxy_metrics.timeout: 0s is out of range, expected a duration between 1ms and 1h"),
        ("proxy_metrics: {targets: [http://a/metrics], publish_delay: 2h}\n",
         "proxy_metrics.publish_delay: 2h is out of range, expected a duration between 0s and 1h"),
        ("migration_state: {file: s.json, timeout: 0s}\n",
         "migration_state.timeout: 0s is out of range, expected a duration between 1ms and 1h"),
        ("migration_state: {file: s.json, timeout: 1000000000000000000000000000000h}\n",
         "migration_state.timeout: 1000000000000000000000000000000h is out of range, expected a duration between 1ms and 1h"),
        ("migration_state: {file: s.json, default_migration_timeout: 0s}\n",
         "migration_state.default_migration_timeout: 0s is out of range, expected a duration between 1s and 720h"),
        ("diagnostics: {cutover_max_time_lag: 99999h}\n",
         "diagnostics.cutover_max_time_lag: 99999h is out of range, expected a duration between 0s and 720h"),
        ("diagnostics: {confirm_polls: 1000000}\n",
         "diagnostics.confirm_polls: 1000000 is out of range, expected a number between 1 and 1000"),
        ("diagnostics: {unproxied_tolerance_records: -1}\n",
         "diagnostics.unproxied_tolerance_records: -1 is out of range, expected a number ≥ 0"),
        ("diagnostics: {cutover_max_offset_lag: 99999999999999999999999}\n",
         "diagnostics.cutover_max_offset_lag: expected an integer (line 1)"),
    ])
    func absurdValuesAreErrorsWithTheirPath(yaml: String, message: String) {
        do {
            _ = try parse(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func migrationStateTimeoutIsReadAndDefaultsTo5s() throws {
        #expect(try parse("migration_state: {file: s.json}\n").migrationState?.timeout == .seconds(5))
        #expect(try parse("migration_state: {url: http://c/status, timeout: 750ms}\n").migrationState?.timeout == .milliseconds(750))
    }

    /// Bounds themselves are allowed.
    @Test func boundsAreInclusive() throws {
        #expect(try parse("poll_interval: 100ms\n").pollInterval == .milliseconds(100))
        #expect(try parse("poll_interval: 24h\n").pollInterval == .seconds(86_400))
        #expect(try parse("diagnostics: {confirm_polls: 1000}\n").diagnostics.confirmPolls == 1000)
    }

    // MARK: hostile files

    /// Anchors and aliases have real uses in a config; a bomb of them is refused before it is
    /// expanded (before: composing it hashed 10⁹ nodes).
    @Test func configAliasBombIsRefused() {
        let bomb = """
            a: &a [x,x,x,x,x,x,x,x,x,x]
            b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
            c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
            d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
            e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
            f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
            g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
            h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
            ? *h
            : 1
            """
        #expect(throws: ConfigError.syntax(file: "exporterd.yaml", reason: "line 4: YAML aliases repeat more than 10000 nodes")) {
            try parse(bomb)
        }
    }

    /// FuzzConfig's timeout: 1,587 bytes of explicit keys (`? …`) that are lists and mappings
    /// holding aliases, within the alias budget. Yams sorts each mapping's keys to find
    /// duplicates, comparing such keys node by node: exporterd spun for minutes at start
    /// (`exporterd check` still busy after 30 s). Such keys are now refused unbuilt.
    @Test func fuzzedComplexKeysAreRefusedAtOnce() throws {
        let encoded = """
            c211cmNlOgo/IGJvbzBzdCoKPyBibyAmbzBzJ3RyYXBfUElQX0RFRkFVIGJvICZvMHMndHJhcF9QSVBfREVGQVVMVF9USU1FT1Vv
            QDBzbzBzdDoKPyA/ID8gPyAtID8gPyAtICA/ID8gICAgLSA/ID8gLSA/ID8gPyAtID8gPyAtID8gPyAtID8gIC0gPyA/c3V1OiB7
            Yix7b290fTose30KfQpvTUVPVVRjYUVIVVRjRW81c3Q6Cj8gIQogIC0gc19TJmIgWyphLCphLCphLCphLD8gPyA/IC0gPyA/Ogo/
            ID8gPyA/IC0gPyA/IC0gPyA/IC0gPyA/IC0gPyAgLSA/ID8gLSA/ID8gPyAtID8gPyAtID8gPyAtZ0NNX2Jvc2U/ICAtID8gPyAt
            ID8gICAtID8qez8gPyA/IC0gPyA/Ogo/ID8gPyA/IC0gPyA/IC0gPyA/IC0gPyA/IC0gPyAgLSA/ID8mbzBzJ3RyYXBfUElQX0RF
            RkFVTFRfVElNRU9Vb0Awc28wc3Q6Cj8gPyA/ID8gLSA/ID8gLSAgPyA/ICAgIC0gPyA/IC0gPyA/ID8gLSA/ID8gLSA/ID8gLSA/
            ICAtID8gP3N1dToge2Ise29vdH06LHt9Cn0Kb01FT1VUY2FFSGNvc1VUNUV0Ogo/ICEKICAtIHNfUyZiIFsqYSwqYSwqYSwqYSw/
            ID8gPyAtID8gPzoKPyA/ID8gPyAtID8gPyAtID8gPyAtID8gPyAtID8gIC0gPyA/IC0gPyA/ID8gLSA/ID8gLSA/ID8gLSA/ICAt
            ID8gPyAgLSA/ID8gLSA/YSwqYSwqYSw/ID8gPyAtID8gPzoKPyA/ID8gPyAtID8gPyAtID8gPyAtID8gPyAtID8gIC0gPyA/IC0g
            PyA/ID8gLSA/ID8gLSA/ID8gLWdDTV9ib3NlPyAgLSA/ID8gLSA/ICAgLSA/Kns/ID8gPyAtID8gPzoKPyA/ID8gPyAtID8gPyAt
            ID8gPyAtID8gPyAtID8gICAgLSA/Kns/ID8gPyAtID8gPzoKP1JVU1RVUF9BVVRPX0lOU1RBTEwtID8gPyAtID8gMC0gPyA/IC0g
            PyA/ID8gLSA/ID8gLSA/ICAtID8gPyA/IC0gPyA/IC0gPyA/IC0gPyAgLSA/ID8gIC0gPyA9IC0gPyBvQDBzbzBzdDoKPyA/ID8g
            PyAtID8gPyAtICA/ID8gICAgLSA/ID8gLSA/ID8gPyAtID8gPyAtID8gPyAtID8gIC0gPyA/c3V1OiB7Yix7b290fTose30KfQpv
            TUVPVVRjYUVIVVRjRW81c3Q6Cj8gIQogIC0gc19TJmIgWyphLCphLCphLCphLD8gPyA/IC0gPyA/Ogo/ID8gPyA/IC0gPyA/IC0g
            PyA/IC0gPyA/IC0gPyAgLSA/ID8gLSA/ID8gPyAtID8gPyAtID8gPyAtID8gIC0gPyA/ICAtID8gPyAtID8gICAtID8qez8gPyA/
            IC0gPyA/Ogo/ID8gPyA/IC0gPyA/IC0gPyA/IC0gPyA/IC0gPyAgLSA/ID8mbzBzJ3RyYXBfUElQX0RFRkFVTFRfVElNRU9Vb0Aw
            c28wc3Q6Cj8gPyA/ID8gLSA/ID8gLSAgPyA/ICAgIC0gPyA/IC0gPyA/ID8gLSA/ID8gLSA/ID8gLSA/ICAtID8gP3N1dToge2Is
            e29vdH06LHt9Cn0Kb01FT1VUY2FFSFVUY0VvNXN0Ogo/ICEKICAtIHNfUyZiIFsqYSwqYSwqYSwqYSw/ID8gPyAtID8gPzoKPyA/
            ID8gPyAtID8gPyAtID8gPyAtID8gPyAtID8gIC0gPyA/IC0gPyA/ID8gLSA/ID8gLSA/ID8gLSA/ICAtID8gPyAgLSA/ID8gLSA/
            ICAgLSA/Kns/ID8gPyAtID8gPzoKP1JVU1RVUF9BVVRPX0lOU1RBTEwtID8gPyAtID8gMC0gPyA/IC0gPyA/ID8gLSA/ID8gLSA/
            ICAtID8gPyA/IC0gPyA/IC0gPyA/IC0gPyAgLSA/ID8gIC0gPyA9IC0gPyAgIC0gPyp7ZW5hYmxlOiB0JXJ1ZX0KICAtICA/QV9D
            QSAtID8gPyA/IF8t
            """
        let data = try #require(Data(base64Encoded: encoded, options: .ignoreUnknownCharacters))
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(throws: ConfigError.syntax(
            file: "exporterd.yaml", reason: "line 3: a mapping key must be a plain value, not a list, a mapping or an alias")) {
            try parse(text)
        }
    }

    @Test(arguments: [
        ("? [a, b]\n: 1\n", 1),
        ("source:\n  ? {a: 1}\n  : 2\n", 2),
        ("a: &a x\n*a : 1\n", 2),
        ("topics: [{? [x]: 1}]\n", 1),
    ])
    func mappingKeysMustBePlainValues(yaml: String, line: Int) {
        #expect(throws: YAMLInputError.complexKey(line: line)) {
            try YAMLInput.checkShape(yaml, aliasedNodeLimit: 1000)
        }
    }

    @Test func plainKeysWithAliasedValuesStillRead() throws {
        // Keys are scalars, quoted or not; values may be anything, aliases included.
        try YAMLInput.checkShape("\"a\": &v [1, {b: c}]\n'd': *v\ne: {f: *v}\n? g\n: [*v]\n", aliasedNodeLimit: 1000)
    }

    @Test func configAnchorsWithinTheBudgetWork() throws {
        let config = try parse("""
            source: {bootstrap_brokers: &brokers [{hostname: k1, port: 9092}, {hostname: k2, port: 9092}]}
            destination: {bootstrap_brokers: *brokers}
            """)
        #expect(config.destination?.bootstrapBrokers == config.source?.bootstrapBrokers)
        #expect(config.destination?.bootstrapBrokers.count == 2)
    }

    @Test func configFileReadErrorsAreWordedForPeople() throws {
        #expect(throws: ConfigError.unreadable(file: "/nonexistent/exporterd.yaml", reason: "no such file or directory")) {
            try ConfigLoader.load(path: "/nonexistent/exporterd.yaml", environment: [:])
        }
        let directory = FileManager.default.temporaryDirectory.path
        #expect(throws: ConfigError.unreadable(file: directory, reason: "not a regular file")) {
            try ConfigLoader.load(path: directory, environment: [:])
        }
    }

    /// Read up to the cap and no further (before: read whole).
    @Test func configFileLargerThanTheCapIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("exporterd-\(UUID().uuidString).yaml").path
        FileManager.default.createFile(atPath: path, contents: Data("poll_interval: 5s\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(4 * ConfigLoader.fileLimit))  // sparse
        try handle.close()
        #expect(throws: ConfigError.unreadable(file: path, reason: "larger than 16 MiB")) {
            try ConfigLoader.load(path: path, environment: [:])
        }
    }

    /// A key or value with a control character is named with it escaped: the error goes to the
    /// terminal and the log as one line.
    @Test func controlCharactersInConfigErrorsAreEscaped() {
        do {
            _ = try parse("\"poll\\r\\ninterval\\u001b[2K\": 5s\n")
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix(#"poll\r\ninterval\u{1B}[2K: unknown key"#), "\(error.description)")
        }
    }

    @Test func deeplyNestedConfigIsRefused() {
        let deep = "source: " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "\n"
        #expect(throws: ConfigError.syntax(file: "exporterd.yaml", reason: "line 1: nested deeper than 64 levels")) { try parse(deep) }
    }

    /// libyaml's own limit (1000 levels on one line) answers first there; the message stays short.
    @Test func deeplyNestedOneLineConfigIsRefusedBriefly() {
        let deep = "source: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
        do {
            _ = try parse(deep)
            Issue.record("accepted")
        } catch {
            #expect(error.description.count < 600)
        }
    }

    @Test func configValuesYAMLWouldResolveAreTheTextWritten() throws {
        let config = try parse("topic_mappings:\n  - {source_topic: on, destination_topic: 0123}\n  - {source_topic: 12:30}\n")
        #expect(config.topicMappings == [TopicMapping(sourceTopic: "on", destinationTopic: "0123"),
                                         TopicMapping(sourceTopic: "12:30", destinationTopic: "12:30")])
    }

    @Test(arguments: [("5s", Duration.seconds(5)), ("500ms", .milliseconds(500)), ("1h30m", .seconds(5400)), ("1.5s", .milliseconds(1500))])
    func durations(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "5", "s", "5x", "-5s", "5s junk", "1e3s", "1000000000000000000000000000000h", "876001h"])
    func badDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}

@Suite struct TopicSelectionTests {
    @Test func regexMatchesWholeNamesAndMappingsWin() throws {
        let selection = TopicSelection(mappings: [TopicMapping(sourceTopic: "payments.eu", destinationTopic: "pay-eu")],
                                       regex: "payments\\..*")
        let watched = try selection.resolve(sourceTopics: ["payments.us", "old_payments.x", "payments.eu", "orders"])
        #expect(watched == [TopicMapping(sourceTopic: "payments.eu", destinationTopic: "pay-eu"),
                            TopicMapping(sourceTopic: "payments.us", destinationTopic: "payments.us")])
    }
}
