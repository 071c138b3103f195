/// The exporter's identity: the version `exporterd version` prints and
/// `kafka_migration_exporter_build_info{version}` carries.
public enum BuildInfo {
    /// Semantic version of this build; bumped with each release.
    public static let version = "0.1.0"
}
