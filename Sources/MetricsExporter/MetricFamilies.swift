/// The metric families of CONTRACT §4: name, type and HELP text of each, in the contract's
/// order. Names here are the product's interface (dashboards and alert rules use them):
/// change one only with the contract. docs/metrics.md describes the same list for operators.
extension MetricFamily {
    static let topicInfo = MetricFamily(
        name: "kafka_migration_topic_info", type: .gauge,
        help: "1 per watched topic; destination_topic is the topic it migrates to.")
    static let topicState = MetricFamily(
        name: "kafka_migration_topic_state", type: .gauge,
        help: "1 for the topic's current migration state, 0 for the other three.")
    static let topics = MetricFamily(
        name: "kafka_migration_topics", type: .gauge,
        help: "Number of watched topics in each migration state.")
    static let stateSince = MetricFamily(
        name: "kafka_migration_topic_state_since_timestamp_seconds", type: .gauge,
        help: "Unix time of the topic's last state change.")
    static let sourceOffsets = MetricFamily(
        name: "kafka_migration_source_offsets_total", type: .counter,
        help: "Sum of the topic's partition high watermarks on the source cluster.")
    static let destinationOffsets = MetricFamily(
        name: "kafka_migration_destination_offsets_total", type: .counter,
        help: "Sum of the topic's partition high watermarks on the destination cluster.")
    static let offsetLag = MetricFamily(
        name: "kafka_migration_replication_offset_lag", type: .gauge,
        help: "Sum over partitions of max(0, source HWM - destination HWM); absent for COMPLETE topics.")
    static let timeLag = MetricFamily(
        name: "kafka_migration_replication_time_lag_seconds", type: .gauge,
        help: "Max over partitions of now - timestamp of the first unreplicated source record; 0 when the lag is 0.")
    static let partitionOffsetLag = MetricFamily(
        name: "kafka_migration_partition_replication_offset_lag", type: .gauge,
        help: "max(0, source HWM - destination HWM) of one partition (export_partition_metrics).")
    static let proxiedRecords = MetricFamily(
        name: "kafka_migration_proxied_records_total", type: .counter,
        help: "Records the proxy forwarded to the source, summed over agents, corrected for agent restarts.")
    static let proxiedBytes = MetricFamily(
        name: "kafka_migration_proxied_bytes_total", type: .counter,
        help: "Bytes the proxy forwarded to the source, summed over agents, corrected for agent restarts.")
    static let unproxiedSourceRecords = MetricFamily(
        name: "kafka_migration_unproxied_source_records_total", type: .counter,
        help: "Confirmed records that reached the source without the proxy while PROXY or MIGRATING.")
    static let postMigrationSourceRecords = MetricFamily(
        name: "kafka_migration_post_migration_source_records_total", type: .counter,
        help: "Records appended to the source after the topic became COMPLETE (lost at decommission).")
    static let diagnosticActive = MetricFamily(
        name: "kafka_migration_diagnostic_active", type: .gauge,
        help: "1 while the diagnostic fires for the topic, 0 otherwise.")
    static let events = MetricFamily(
        name: "kafka_migration_events_total", type: .counter,
        help: "Migration events recorded, by type.")
    static let cutoverReady = MetricFamily(
        name: "kafka_migration_cutover_ready", type: .gauge,
        help: "1 while a PROXY topic meets the preconditions for initiating its cutover.")
    static let clusterUp = MetricFamily(
        name: "kafka_migration_cluster_up", type: .gauge,
        help: "1 when the last poll of the cluster succeeded.")
    static let partitions = MetricFamily(
        name: "kafka_migration_partitions", type: .gauge,
        help: "Partitions of the watched topics on the cluster.")
    static let partitionsAnswered = MetricFamily(
        name: "kafka_migration_partitions_answered", type: .gauge,
        help: "Watched partitions whose offsets the last poll of the cluster read.")
    static let proxyTargetUp = MetricFamily(
        name: "kafka_migration_proxy_target_up", type: .gauge,
        help: "1 when the last scrape of the proxy agent succeeded.")
    static let stateSourceUp = MetricFamily(
        name: "kafka_migration_state_source_up", type: .gauge,
        help: "1 when the last read of the migration state document succeeded.")
    static let pollDuration = MetricFamily(
        name: "kafka_migration_poll_duration_seconds", type: .histogram,
        help: "Time of one poll cycle of the cluster.")
    static let lastPoll = MetricFamily(
        name: "kafka_migration_last_poll_timestamp_seconds", type: .gauge,
        help: "Unix time of the last successful poll of the cluster.")
    static let storeUp = MetricFamily(
        name: "kafka_migration_store_up", type: .gauge,
        help: "1 when the last poll's commit to data_dir succeeded; 0 while counters and events wait in memory.")
    static let storeCommitFailures = MetricFamily(
        name: "kafka_migration_store_commit_failures_total", type: .counter,
        help: "Poll commits to data_dir that failed (disk full, read-only, I/O error) since this process started.")
    static let buildInfo = MetricFamily(
        name: "kafka_migration_exporter_build_info", type: .gauge,
        help: "1; version is exporterd's version.")

    /// Every family, in the order the page shows them.
    static let all: [MetricFamily] = [
        topicInfo, topicState, topics, stateSince, sourceOffsets, destinationOffsets, offsetLag, timeLag,
        partitionOffsetLag, proxiedRecords, proxiedBytes, unproxiedSourceRecords, postMigrationSourceRecords,
        diagnosticActive, events, cutoverReady, clusterUp, partitions, partitionsAnswered, proxyTargetUp,
        stateSourceUp, pollDuration, lastPoll, storeUp, storeCommitFailures, buildInfo,
    ]
}
