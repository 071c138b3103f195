/// Turns a cluster's `credentials` (env-var names) into the SASL settings its connections
/// use, reading the secrets from the environment at connect time. Nothing here keeps or
/// prints a secret: errors name the key and the variable, never its value.
import SourceWatcher

extension ClusterSettings {
    /// The SASL settings for `cluster` ("source" / "destination"), nil when it uses none.
    /// An env var that is unset or empty is a config error naming the key and the variable.
    func saslSettings(cluster: String, environment: [String: String]) throws(ConfigError) -> SaslSettings? {
        guard let credentials, let mechanism = credentials.saslMechanism else { return nil }
        let path = "\(cluster).credentials"
        func secret(_ key: String, _ variable: String?) throws(ConfigError) -> String {
            guard let variable else { throw .missing(path: "\(path).\(key)") }
            guard let value = environment[variable], !value.isEmpty else {
                throw .envUnset(path: "\(path).\(key)", variable: variable)
            }
            return value
        }
        let username = try secret("sasl_username_env", credentials.saslUsernameEnv)
        let password = try secret("sasl_password_env", credentials.saslPasswordEnv)
        return SaslSettings(cluster: cluster, mechanism: mechanism, username: username, password: password)
    }

    /// How `KafkaCluster` connects to this cluster, credentials resolved.
    func connectionSettings(cluster: String, environment: [String: String]) throws(ConfigError) -> ConnectionSettings {
        var settings = connectionSettings
        settings.sasl = try saslSettings(cluster: cluster, environment: environment)
        return settings
    }
}
