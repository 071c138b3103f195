/// Example `/metrics` pages for the parser and proxied-counter tests.
enum ExpositionPages {
    /// Shaped like node_exporter's output (text format 0.0.4).
    static let nodeExporter = #"""
    # HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
    # TYPE go_gc_duration_seconds summary
    go_gc_duration_seconds{quantile="0"} 2.3316e-05
    go_gc_duration_seconds{quantile="0.25"} 3.4733e-05
    go_gc_duration_seconds{quantile="1"} 0.000811316
    go_gc_duration_seconds_sum 0.012641622
    go_gc_duration_seconds_count 231
    # HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
    # TYPE node_cpu_seconds_total counter
    node_cpu_seconds_total{cpu="0",mode="idle"} 185634.82
    node_cpu_seconds_total{cpu="0",mode="iowait"} 112.45
    # HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.
    # TYPE node_filesystem_avail_bytes gauge
    node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 4.2527227904e+10
    # HELP node_network_info Non-numeric data from /sys/class/net/<iface>, value is always 1.
    # TYPE node_network_info gauge
    node_network_info{address="00:00:00:00:00:00",broadcast="00:00:00:00:00:00",device="lo",duplex="",ifalias="",operstate="unknown"} 1
    # HELP node_scrape_collector_success node_exporter: Whether a collector succeeded.
    # TYPE node_scrape_collector_success gauge
    node_scrape_collector_success{collector="arp"} 1
    # HELP http_request_duration_seconds A histogram of the request duration.
    # TYPE http_request_duration_seconds histogram
    http_request_duration_seconds_bucket{le="0.05"} 24054
    http_request_duration_seconds_bucket{le="+Inf"} 144320
    http_request_duration_seconds_sum 53423
    http_request_duration_seconds_count 144320
    # A plain comment
    
    process_start_time_seconds 1.73199e+09
    node_time_seconds 1.7320001e+09 1732000000000
    """#

    /// An OpenMetrics page as a proxy agent might serve it.
    static let openMetricsAgent = #"""
    # TYPE kafka_proxy_produced_records counter
    # HELP kafka_proxy_produced_records Records forwarded after the source acknowledged them.
    kafka_proxy_produced_records_total{topic="orders.v2",partition="0"} 120 # {trace_id="abc"} 1 1732000000.5
    kafka_proxy_produced_records_total{topic="orders.v2",partition="1"} 80
    kafka_proxy_produced_records_created{topic="orders.v2",partition="0"} 1731990000.0
    kafka_proxy_produced_records_total{topic="payments.v2",partition="0"} 7
    # TYPE kafka_proxy_produced_bytes counter
    kafka_proxy_produced_bytes_total{topic="orders.v2",partition="0"} 12000
    kafka_proxy_produced_bytes_total{topic="orders.v2",partition="1"} 8000
    kafka_proxy_produced_bytes_total{topic="payments.v2",partition="0"} 700
    kafka_proxy_produced_bytes_total{topic="unmapped",partition="0"} 5
    # EOF
    """#

    /// Text format 0.0.4 agent page: plain `_total` names, an extra client label.
    static func textAgent(orders: Int, payments: Int, bytesPerRecord: Int = 100) -> String {
        """
        # HELP kafka_proxy_produced_records_total Records forwarded.
        # TYPE kafka_proxy_produced_records_total counter
        kafka_proxy_produced_records_total{topic="orders.v2",client="a"} \(orders / 2)
        kafka_proxy_produced_records_total{topic="orders.v2",client="b"} \(orders - orders / 2)
        kafka_proxy_produced_records_total{topic="payments.v2",client="a"} \(payments)
        # TYPE kafka_proxy_produced_bytes_total counter
        kafka_proxy_produced_bytes_total{topic="orders.v2",client="a"} \(orders * bytesPerRecord)
        kafka_proxy_produced_bytes_total{topic="payments.v2",client="a"} \(payments * bytesPerRecord)

        """
    }
}
