"""SASL end to end: two private Tansu brokers, each behind Tests/e2e/sasl_relay.py (SCRAM by
`scramp`, PLAIN by token compare), Tansu advertising the relay so every broker connection
authenticates. Topics are made and records produced through the relays with librdkafka's own
SASL client; `exporterd offsets` must then read the real offsets through SCRAM-SHA-512,
SCRAM-SHA-256 and PLAIN, and fail with exit 1 naming the cluster and mechanism, never the
password, when the password is wrong or the peer cannot prove it knows it."""
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from private_brokers import free_port, port_open, stop_pid, tansu_binary, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
USERNAME = "exporter-svc"
PASSWORD = "Pa55-%s-secret" % uuid.uuid4().hex[:8]
WRONG = "Wrong-%s-secret" % uuid.uuid4().hex[:8]


def _exporterd():
    value = os.environ.get("EXPORTERD_BIN")
    if not value:
        pytest.skip("EXPORTERD_BIN is not set: run through scripts/test")
    return value


class Relay:
    """sasl_relay.py on a free port in front of `upstream`, stopped by PID."""

    def __init__(self, upstream, mechanisms, log_dir, name, port=None, tamper="none", lifetime_ms=0):
        self.port = port or free_port()
        self.address = "127.0.0.1:%d" % self.port
        self.log_path = os.path.join(log_dir, "%s-relay.log" % name)
        self.log = open(self.log_path, "w")
        argv = [sys.executable, os.path.join(HERE, "sasl_relay.py"), "--listen", self.address, "--upstream", upstream,
                "--username", USERNAME, "--tamper", tamper, "--session-lifetime-ms", str(lifetime_ms)]
        for mechanism in mechanisms:
            argv += ["--mechanism", mechanism]
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                        env={**os.environ, "SASL_RELAY_PASSWORD": PASSWORD})
        wait_until(lambda: self.process.poll() is not None or port_open(self.port), 15, 0.05, "%s relay listening" % name)
        assert self.process.poll() is None, open(self.log_path).read()

    def output(self):
        self.log.flush()
        return open(self.log_path).read()

    def stop(self):
        stop_pid(self.process, 5)
        self.log.close()


class SaslBroker:
    """A Tansu broker reachable only through a SASL relay: Tansu listens on a private port and
    advertises the relay's, so Metadata sends clients back through the relay."""

    def __init__(self, name, mechanisms, log_dir, lifetime_ms=0):
        relay_port, tansu_port = free_port(), free_port()
        cluster = "%s-%s" % (name, uuid.uuid4().hex[:6])
        self.tansu_log = open(os.path.join(log_dir, "%s-tansu.log" % name), "w")
        self.tansu = subprocess.Popen(
            [tansu_binary(), "broker", "--cluster-id", cluster,
             "--listener-url", "tcp://127.0.0.1:%d" % tansu_port,
             "--advertised-listener-url", "tcp://127.0.0.1:%d" % relay_port,
             "--storage-engine", "memory://%s/" % cluster],
            stdout=self.tansu_log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.tansu.poll() is not None or port_open(tansu_port), 10, 0.05, "tansu %s listening" % name)
        assert self.tansu.poll() is None, "tansu %s exited" % name
        self.upstream = "127.0.0.1:%d" % tansu_port
        self.relay = Relay(self.upstream, mechanisms, log_dir, name, port=relay_port, lifetime_ms=lifetime_ms)
        self.address = self.relay.address
        self.mechanisms = mechanisms

    def client_config(self):
        """librdkafka settings that authenticate through the relay."""
        return {"bootstrap.servers": self.address, "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanism": self.mechanisms[0], "sasl.username": USERNAME, "sasl.password": PASSWORD}

    def stop(self):
        self.relay.stop()
        stop_pid(self.tansu, 5)
        self.tansu_log.close()


@pytest.fixture(scope="module")
def sasl_lab(tmp_path_factory):
    log_dir = str(tmp_path_factory.mktemp("sasl-brokers"))
    source = SaslBroker("source", ["SCRAM-SHA-512", "PLAIN"], log_dir)
    try:
        destination = SaslBroker("destination", ["SCRAM-SHA-256"], log_dir)
    except BaseException:
        source.stop()
        raise
    try:
        yield {"source": source, "destination": destination, "logs": log_dir}
    finally:
        source.stop()
        destination.stop()


def create_and_produce(broker, topic, partitions, counts):
    """Creates `topic` and produces counts[p] records to each partition p, one per batch
    (Tansu's ListOffsets is only exact for those, see scripts/labctl.py), through the relay."""
    from confluent_kafka.admin import AdminClient, NewTopic
    import labctl
    admin = AdminClient(broker.client_config())
    for future in admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=30).values():
        future.result(30)
    config = broker.client_config()
    producer = labctl.producer(config.pop("bootstrap.servers"), **config)
    failures = []
    for partition, count in enumerate(counts):
        for i in range(count):
            producer.produce(topic, value=b"r%d" % i, partition=partition,
                             on_delivery=lambda error, message: error and failures.append(str(error)))
            producer.poll(0)
    assert producer.flush(60) == 0 and not failures, failures[:3]


def write_config(tmp_path, lab, topic, source_mechanism, destination_mechanism="scram-256"):
    lines = []
    for name, mechanism in (("source", source_mechanism), ("destination", destination_mechanism)):
        host, port = lab[name].address.rsplit(":", 1)
        lines += [
            "%s:" % name,
            "  bootstrap_brokers: [{hostname: %s, port: %s}]" % (host, port),
            "  request_timeout: 10s",
            "  credentials:",
            "    sasl_mechanism: %s" % mechanism,
            "    sasl_username_env: KAFKA_%s_USER" % name.upper(),
            "    sasl_password_env: KAFKA_%s_PASSWORD" % name.upper(),
        ]
    lines += ["topic_mappings:", "  - {source_topic: %s, destination_topic: %s}" % (topic, topic)]
    path = tmp_path / ("exporterd-%s.yaml" % source_mechanism)
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run_offsets(config, source_password=PASSWORD, destination_password=PASSWORD, *extra):
    env = {**os.environ, "KAFKA_SOURCE_USER": USERNAME, "KAFKA_SOURCE_PASSWORD": source_password,
           "KAFKA_DESTINATION_USER": USERNAME, "KAFKA_DESTINATION_PASSWORD": destination_password}
    return subprocess.run([_exporterd(), "offsets", "--config", config, "--format", "json", *extra],
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def topic(sasl_lab):
    name = "sasl-%s" % uuid.uuid4().hex[:8]
    create_and_produce(sasl_lab["source"], name, 3, [5, 0, 9])
    create_and_produce(sasl_lab["destination"], name, 3, [2, 0, 9])
    return name


@pytest.mark.parametrize("mechanism", ["scram-512", "plain"])
def test_offsets_are_read_through_sasl(sasl_lab, topic, tmp_path, mechanism):
    result = run_offsets(write_config(tmp_path, sasl_lab, topic, mechanism))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["topics"][0]["partitions"]
    assert [r["source_high_watermark"] for r in rows] == [5, 0, 9]
    assert [r["destination_high_watermark"] for r in rows] == [2, 0, 9]
    assert [r["offset_lag"] for r in rows] == [3, 0, 0]
    assert PASSWORD not in result.stdout + result.stderr
    wire = {"scram-512": "SCRAM-SHA-512", "plain": "PLAIN"}[mechanism]
    assert "authenticated %s" % wire in sasl_lab["source"].relay.output()
    assert "authenticated SCRAM-SHA-256" in sasl_lab["destination"].relay.output()


@pytest.mark.parametrize("mechanism,wire", [("scram-512", "SCRAM-SHA-512"), ("plain", "PLAIN")])
def test_a_wrong_password_fails_clearly_without_the_secret(sasl_lab, topic, tmp_path, mechanism, wire):
    result = run_offsets(write_config(tmp_path, sasl_lab, topic, mechanism), source_password=WRONG)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SASL %s authentication to the source cluster" % wire in result.stderr, result.stderr
    assert "refused the credentials" in result.stderr
    for secret in (WRONG, PASSWORD):
        assert secret not in result.stdout + result.stderr


def test_a_mechanism_the_broker_does_not_enable_is_named(sasl_lab, topic, tmp_path):
    result = run_offsets(write_config(tmp_path, sasl_lab, topic, "scram-256"))
    assert result.returncode == 1
    assert "SASL SCRAM-SHA-256 authentication to the source cluster" in result.stderr, result.stderr
    assert "enabled: SCRAM-SHA-512, PLAIN" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.parametrize("tamper,reason", [("signature", "server signature does not verify"),
                                           ("nonce", "server nonce does not extend the client nonce")])
def test_a_peer_that_cannot_prove_the_password_is_refused(sasl_lab, topic, tmp_path, tamper, reason):
    relay = Relay(sasl_lab["source"].upstream, ["SCRAM-SHA-512"], sasl_lab["logs"], "tamper-%s" % tamper, tamper=tamper)
    try:
        config = write_config(tmp_path, {"source": relay, "destination": sasl_lab["destination"]}, topic, "scram-512")
        result = run_offsets(config)
    finally:
        relay.stop()
    assert result.returncode == 1
    assert "SASL SCRAM-SHA-512 authentication to the source cluster" in result.stderr, result.stderr
    assert reason in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def metric_value(port, name, **labels):
    """The sample `name{labels}` from exporterd's /metrics, None while absent or unreachable."""
    import urllib.request
    from exporter_lab import parse_metrics
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return None
    assert PASSWORD not in text and WRONG not in text
    return parse_metrics(text).get((name, frozenset(labels.items())))


def start_run(tmp_path, lab, topic, source_password=PASSWORD, log_format="text"):
    """`exporterd run` polling every second, both clusters over SASL (source SCRAM-SHA-512);
    returns the process, its HTTP port and its log path."""
    port = free_port()
    config = write_config(tmp_path, lab, topic, "scram-512")
    with open(config, "a") as file:
        file.write("listen_address: 127.0.0.1:%d\npoll_interval: 1s\ndata_dir: %s\n" % (port, tmp_path / "data")
                   + "proxy_metrics: {targets: [http://127.0.0.1:%d/metrics], timeout: 1s}\n" % free_port()
                   + "migration_state: {file: %s}\n" % (tmp_path / "state.json"))
    (tmp_path / "state.json").write_text('{"topics": [{"topic": "%s", "state": "PROXY", "since": "2026-11-24T10:00:00Z"}]}' % topic)
    env = {**os.environ, "KAFKA_SOURCE_USER": USERNAME, "KAFKA_SOURCE_PASSWORD": source_password,
           "KAFKA_DESTINATION_USER": USERNAME, "KAFKA_DESTINATION_PASSWORD": PASSWORD}
    log_path = tmp_path / "exporterd.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([_exporterd(), "run", "--config", config, "--log-level", "debug", "--log-format", log_format],
                                   stdout=log, stderr=subprocess.STDOUT, env=env)
    return process, port, log_path


@pytest.mark.parametrize("source_password,up,log_format", [(PASSWORD, 1.0, "text"), (WRONG, 0.0, "text"), (WRONG, 0.0, "json")])
def test_run_shows_the_cluster_up_only_with_the_right_password(sasl_lab, topic, tmp_path, source_password, up, log_format):
    relay = sasl_lab["source"].relay
    failures_before = relay.output().count("authentication failed")
    started = time.monotonic()
    process, port, log_path = start_run(tmp_path, sasl_lab, topic, source_password, log_format)
    answers = ""
    try:
        # Both start at 0 before the first poll: wait for the destination to be up, then the
        # source must show `up`.
        wait_until(lambda: process.poll() is not None
                   or metric_value(port, "kafka_migration_cluster_up", cluster="destination") == 1.0,
                   60, 0.5, "cluster_up{destination} == 1")
        assert process.poll() is None, log_path.read_text()
        wait_until(lambda: metric_value(port, "kafka_migration_cluster_up", cluster="source") == up,
                   30, 0.5, "cluster_up{source} == %s" % up)
        if up:
            wait_until(lambda: metric_value(port, "kafka_migration_replication_offset_lag", topic=topic) == 3.0,
                       30, 0.5, "offset lag 3 read through SASL")
        else:
            time.sleep(3)  # a few more polls against the wrong password
        for path in ("/metrics", "/api/v1/status", "/api/v1/events"):
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as response:
                answers += response.read().decode()
    finally:
        stop_pid(process)
    elapsed = time.monotonic() - started
    output = log_path.read_text()
    assert PASSWORD not in output and WRONG not in output
    assert PASSWORD not in answers and WRONG not in answers
    if log_format == "json":
        for line in output.splitlines():
            json.loads(line)  # every line one valid JSON object, secrets or not
    if not up:
        assert "SASL SCRAM-SHA-512 authentication to the source cluster" in output, output[-2000:]
        # Backed off, not hammered: a few attempts per 1 s poll at most (each read of a poll
        # may try once), never a retry loop.
        attempts = relay.output().count("authentication failed") - failures_before
        print("wrong password: %d authentication attempts in %.1f s of polling" % (attempts, elapsed))
        assert 1 <= attempts <= 4 * (elapsed + 1), (attempts, elapsed)


def test_run_replaces_connections_before_the_sasl_session_expires(sasl_lab, topic, tmp_path):
    """The relay answers a 2.5 s session lifetime and, like Kafka, closes a connection that
    sends a request after it. exporterd must open a fresh authenticated connection before
    that, so no connection is ever cut and the source stays up every poll."""
    broker = SaslBroker("reauth", ["SCRAM-SHA-512"], sasl_lab["logs"], lifetime_ms=2500)
    try:
        create_and_produce(broker, topic, 3, [5, 0, 9])
        process, port, log_path = start_run(tmp_path, {"source": broker, "destination": sasl_lab["destination"]}, topic)
        try:
            wait_until(lambda: process.poll() is not None
                       or metric_value(port, "kafka_migration_replication_offset_lag", topic=topic) == 3.0,
                       60, 0.5, "offset lag 3 read through SASL")
            assert process.poll() is None, log_path.read_text()
            samples = []
            for _ in range(16):  # 8 s: over three lifetimes
                samples.append(metric_value(port, "kafka_migration_cluster_up", cluster="source"))
                time.sleep(0.5)
        finally:
            stop_pid(process)
        output = broker.relay.output()
    finally:
        broker.stop()
    assert samples == [1.0] * len(samples), samples
    assert "request after the session expired" not in output, output
    # The first connection plus at least two renewals for each broker address used.
    assert output.count("authenticated SCRAM-SHA-512") >= 4, output
