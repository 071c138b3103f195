/// The config side of SASL: `credentials` resolve to the connection's `SaslSettings` from env
/// vars, an unset or empty variable is a config error naming key and variable, and neither the
/// config nor the resolved settings ever render the secret.
import Foundation
import SourceWatcher
import Testing
@testable import exporterd

@Suite struct SaslCredentialsTests {
    static let secret = "hunter2-\(UUID().uuidString)"
    static let environment = ["KAFKA_USER": "exporter", "KAFKA_SECRET": secret]

    func source(_ mechanism: String) throws -> ClusterSettings {
        let config = try ConfigLoader.parse(yaml: """
            source:
              bootstrap_brokers: [{hostname: b-1, port: 9096}]
              credentials: {sasl_mechanism: \(mechanism), sasl_username_env: KAFKA_USER, sasl_password_env: KAFKA_SECRET}
            """, file: "exporterd.yaml", baseDirectory: URL(fileURLWithPath: "/etc"))
        return try #require(config.source)
    }

    @Test(arguments: [("plain", SaslMechanism.plain), ("scram-256", .scramSHA256), ("scram-512", .scramSHA512)])
    func credentialsResolveFromTheEnvironment(_ key: String, _ mechanism: SaslMechanism) throws {
        let settings = try source(key).connectionSettings(cluster: "source", environment: Self.environment)
        #expect(settings.sasl == SaslSettings(cluster: "source", mechanism: mechanism, username: "exporter", password: Self.secret))
        #expect(settings.requestTimeout == .seconds(5))
    }

    @Test func noMechanismMeansNoSasl() throws {
        let config = try ConfigLoader.parse(yaml: "source: {bootstrap_brokers: [{hostname: b, port: 1}]}",
                                            file: "x.yaml", baseDirectory: URL(fileURLWithPath: "/"))
        #expect(try config.source?.connectionSettings(cluster: "source", environment: [:]).sasl == nil)
    }

    @Test func anUnsetOrEmptyVariableNamesKeyAndVariable() throws {
        let cluster = try source("scram-512")
        #expect(throws: ConfigError.envUnset(path: "source.credentials.sasl_password_env", variable: "KAFKA_SECRET")) {
            try cluster.connectionSettings(cluster: "source", environment: ["KAFKA_USER": "exporter"])
        }
        #expect(throws: ConfigError.envUnset(path: "source.credentials.sasl_username_env", variable: "KAFKA_USER")) {
            try cluster.connectionSettings(cluster: "source", environment: ["KAFKA_USER": "", "KAFKA_SECRET": Self.secret])
        }
    }

    @Test func neitherTheConfigNorTheResolvedSettingsRenderTheSecret() throws {
        let cluster = try source("scram-512")
        let settings = try cluster.connectionSettings(cluster: "source", environment: Self.environment)
        var dumped = ""
        dump(settings, to: &dumped)
        dump(cluster, to: &dumped)
        for text in ["\(cluster)", String(reflecting: cluster), "\(settings)", String(reflecting: settings), dumped] {
            #expect(!text.contains(Self.secret), "\(text)")
        }
    }
}
