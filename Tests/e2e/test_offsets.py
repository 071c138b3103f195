"""`exporterd offsets` against real Tansu brokers, compared with kafka-python partition by
partition (CONTRACT §8). Records are produced by librdkafka one per batch: Tansu 0.6.0's
ListOffsets(latest) is only right for single-record batches (see scripts/labctl.py)."""
import json

from conftest import exporterd, kafka_python_offsets, labctl, write_config


def test_json_equals_kafka_python_on_both_clusters(lab, unique, tmp_path):
    small = [unique("orders"), unique("payments"), unique("audit")]
    big = unique("wide")
    for cluster in (lab["source"], lab["destination"]):
        labctl(lab, "create-topics", "--bootstrap", cluster, *["%s:3" % t for t in small], "%s:1000" % big)
    for i, topic in enumerate(small):
        labctl(lab, "produce", "--bootstrap", lab["source"], "--topic", topic, "--count", str(10 + 7 * i), "--partitions", "3")
        # The destination trails: a replicator that has copied part of the source.
        labctl(lab, "produce", "--bootstrap", lab["destination"], "--topic", topic, "--count", str(3 * i), "--partitions", "3")
    labctl(lab, "produce", "--bootstrap", lab["source"], "--topic", big, "--count", "2500", "--partitions", "1000")
    labctl(lab, "produce", "--bootstrap", lab["destination"], "--topic", big, "--count", "1200", "--partitions", "1000")

    topics = small + [big]
    config = write_config(tmp_path, lab, [(t, t) for t in topics])
    result = exporterd(lab, "offsets", "--config", config, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)

    source = kafka_python_offsets(lab, lab["source"], topics)
    destination = kafka_python_offsets(lab, lab["destination"], topics)
    assert [t["topic"] for t in report["topics"]] == topics
    compared = 0
    for entry in report["topics"]:
        topic = entry["topic"]
        assert entry["destination_topic"] == topic
        assert len(entry["partitions"]) == len(source[topic]) == len(destination[topic])
        for row in entry["partitions"]:
            p = str(row["partition"])
            assert row["source_high_watermark"] == source[topic][p]["end"], (topic, p)
            assert row["source_log_start_offset"] == source[topic][p]["beginning"], (topic, p)
            assert row["destination_high_watermark"] == destination[topic][p]["end"], (topic, p)
            assert row["offset_lag"] == max(0, source[topic][p]["end"] - destination[topic][p]["end"])
            compared += 1
    assert compared == 3 * 3 + 1000
    # The data is not trivially zero: the comparison would catch a reader returning 0s.
    assert sum(row["source_high_watermark"] for row in report["topics"][3]["partitions"]) == 2500
    assert sum(row["offset_lag"] for row in report["topics"][3]["partitions"]) == 1300


def test_missing_destination_topic_is_null_and_exit_1(lab, unique, tmp_path):
    topic = unique("only-on-source")
    labctl(lab, "create-topics", "--bootstrap", lab["source"], "%s:2" % topic)
    labctl(lab, "produce", "--bootstrap", lab["source"], "--topic", topic, "--count", "4", "--partitions", "2")
    config = write_config(tmp_path, lab, [(topic, topic)])
    result = exporterd(lab, "offsets", "--config", config, "--format", "json")
    assert result.returncode == 1
    assert "does not exist on the destination cluster" in result.stderr
    rows = json.loads(result.stdout)["topics"][0]["partitions"]
    assert [r["source_high_watermark"] for r in rows] == [2, 2]
    assert all(r["destination_high_watermark"] is None and r["offset_lag"] is None for r in rows)


def test_table_and_topic_filter(lab, unique, tmp_path):
    a, b = unique("tab-a"), unique("tab-b")
    for cluster in (lab["source"], lab["destination"]):
        labctl(lab, "create-topics", "--bootstrap", cluster, "%s:1" % a, "%s:1" % b)
    labctl(lab, "produce", "--bootstrap", lab["source"], "--topic", a, "--count", "5")
    config = write_config(tmp_path, lab, [(a, a), (b, b)])
    result = exporterd(lab, "offsets", "--config", config, "--topic", a)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TOPIC", "DESTINATION", "PARTITION", "SOURCE_HWM", "SOURCE_LOG_START", "DEST_HWM", "LAG"]
    assert lines[1].split() == [a, a, "0", "5", "0", "0", "5"]
    assert len(lines) == 2


def test_bad_config_and_arguments_exit_2(lab, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("source:\n  bootstrap_brokers: [{hostname: x, port: 1}]\n  credentials: {sasl_mechanism: scram-1024}\n")
    result = exporterd(lab, "offsets", "--config", str(bad))
    assert result.returncode == 2
    assert 'source.credentials.sasl_mechanism: unknown value "scram-1024", expected plain, scram-256 or scram-512' in result.stderr
    assert exporterd(lab, "offsets", "--config", str(bad), "--format", "xml").returncode == 2
    assert exporterd(lab, "offsets").returncode == 2


def test_unreachable_cluster_exits_1_quickly(lab, tmp_path):
    config = tmp_path / "down.yaml"
    config.write_text("source: {bootstrap_brokers: [{hostname: 127.0.0.1, port: 1}]}\n"
                      "destination: {bootstrap_brokers: [{hostname: 127.0.0.1, port: 1}]}\n"
                      "topic_mappings: [{source_topic: t}]\n")
    result = exporterd(lab, "offsets", "--config", str(config), "--format", "json", timeout=30)
    assert result.returncode == 1
    assert "no broker of the source cluster answered" in result.stderr


def test_request_timeout_bounds_a_silent_broker(lab, tmp_path):
    """A port that accepts connections and never answers (a hung broker, or not Kafka at all):
    `offsets` gives up after the configured request_timeout and names the timeout."""
    import socket
    import threading
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        config = tmp_path / "silent.yaml"
        config.write_text("source: {bootstrap_brokers: [{hostname: 127.0.0.1, port: %d}], request_timeout: 300ms}\n"
                          "destination: {bootstrap_brokers: [{hostname: 127.0.0.1, port: %d}], request_timeout: 300ms}\n"
                          "topic_mappings: [{source_topic: t}]\n" % (port, port))
        result = exporterd(lab, "offsets", "--config", str(config), "--format", "json", timeout=60)
        assert result.returncode == 1, result.stderr
        assert "timed out after 300 ms" in result.stderr, result.stderr
    finally:
        stop.set()
        thread.join(2)
        for connection in accepted:
            connection.close()
        listener.close()
