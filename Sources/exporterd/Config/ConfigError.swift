/// What can be wrong with a config file, each case naming where (a dotted key path such as
/// `source.credentials.sasl_mechanism`) so the operator goes straight to the line.
/// Never carries a secret: env-var problems name the variable, not its value.
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case syntax(file: String, reason: String)
    case missing(path: String)
    case wrongType(path: String, expected: String, line: Int?)
    case invalidValue(path: String, value: String, expected: String)
    /// A value of the right kind outside the bounds that make sense for its key.
    case outOfRange(path: String, value: String, expected: String)
    case unknownKey(path: String, allowed: [String])
    case envUnset(path: String, variable: String)
    /// The variable is set but its value cannot be used (e.g. not a PEM certificate); the
    /// reason describes the problem, never the value.
    case invalidEnvValue(path: String, variable: String, reason: String)
    case conflict(path: String, reason: String)
    /// A well-formed value the system cannot use: a listen address in use or unresolvable.
    case unavailable(path: String, reason: String)
    case orbit(file: String, ConfigErrorBox)
    /// An error inside `web_config_file`, its path relative to that file.
    case webConfig(file: String, ConfigErrorBox)

    /// Escaped: paths and values come from the file, and a control character in them must not
    /// reach the terminal or the log as one.
    public var description: String { LogText.escaped(text) }

    private var text: String {
        switch self {
        case .unreadable(let file, let reason): "\(file): cannot read: \(reason)"
        case .syntax(let file, let reason): "\(file): not valid YAML: \(reason)"
        case .missing(let path): "\(path): required but missing"
        case .wrongType(let path, let expected, let line):
            "\(path): expected \(expected)" + (line.map { " (line \($0))" } ?? "")
        case .invalidValue(let path, let value, let expected): "\(path): unknown value \"\(value)\", expected \(expected)"
        case .outOfRange(let path, let value, let expected): "\(path): \(value) is out of range, expected \(expected)"
        case .unknownKey(let path, let allowed): "\(path): unknown key, expected one of \(allowed.joined(separator: ", "))"
        case .envUnset(let path, let variable): "\(path): environment variable \(variable) is not set"
        case .invalidEnvValue(let path, let variable, let reason): "\(path): environment variable \(variable) \(reason)"
        case .conflict(let path, let reason): "\(path): \(reason)"
        case .unavailable(let path, let reason): "\(path): \(reason)"
        case .orbit(let file, let inner): "orbit_config \(file): \(inner.error)"
        case .webConfig(let file, let inner): "web_config_file \(file): \(inner.error)"
        }
    }
}

/// Lets `ConfigError` nest an Orbit file's error inside its own case.
public final class ConfigErrorBox: Equatable, Sendable {
    public let error: ConfigError
    init(_ error: ConfigError) { self.error = error }
    public static func == (lhs: ConfigErrorBox, rhs: ConfigErrorBox) -> Bool { lhs.error == rhs.error }
}
