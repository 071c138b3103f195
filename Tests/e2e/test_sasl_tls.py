"""SASL over TLS (SASL_SSL, what MSK and Confluent Cloud listen on), end to end through both
independent implementations: stunnel4 terminates TLS, the scramp relay (sasl_relay.py)
authenticates SCRAM-SHA-512, and a real Tansu broker behind them advertises the stunnel port.
`exporterd offsets` reads the real offsets only with the CA and the right password; a wrong
password fails as SASL, a missing CA fails as TLS, and no secret reaches the output."""
import os
import subprocess
import uuid

import pytest

from private_brokers import free_port, port_open, stop_pid, tansu_binary, wait_until
from test_sasl import PASSWORD, USERNAME, Relay, _exporterd
from test_tls import OPENSSL, STUNNEL, Stunnel, make_certificates


@pytest.fixture(scope="module")
def sasl_ssl_broker(tmp_path_factory):
    if STUNNEL is None or OPENSSL is None:
        pytest.skip("SASL over TLS needs stunnel4 and openssl (installed by scripts/lab install)")
    directory = tmp_path_factory.mktemp("sasl-ssl")
    pem = make_certificates(directory)
    tls_port, tansu_port = free_port(), free_port()
    cluster = "sasl-ssl-%s" % uuid.uuid4().hex[:6]
    log = open(os.path.join(str(directory), "tansu.log"), "w")
    tansu = subprocess.Popen(
        [tansu_binary(), "broker", "--cluster-id", cluster,
         "--listener-url", "tcp://127.0.0.1:%d" % tansu_port,
         "--advertised-listener-url", "tcp://127.0.0.1:%d" % tls_port,
         "--storage-engine", "memory://%s/" % cluster],
        stdout=log, stderr=subprocess.STDOUT)
    started = []
    try:
        wait_until(lambda: tansu.poll() is not None or port_open(tansu_port), 10, 0.05, "tansu listening")
        relay = Relay("127.0.0.1:%d" % tansu_port, ["SCRAM-SHA-512"], str(directory), "sasl-ssl")
        started.append(relay)
        started.append(Stunnel(directory, [(tls_port, relay.port, "server.pem", "server.key", False)]))
        client = {"bootstrap.servers": "127.0.0.1:%d" % tls_port, "security.protocol": "SASL_SSL",
                  "ssl.ca.location": os.path.join(str(directory), "ca.pem"), "sasl.mechanism": "SCRAM-SHA-512",
                  "sasl.username": USERNAME, "sasl.password": PASSWORD}
        yield {"port": tls_port, "pem": pem, "client": client, "relay": relay}
    finally:
        for process in reversed(started):
            process.stop()
        stop_pid(tansu, 5)
        log.close()


def produce(client, topic, counts):
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient(client)  # kept referenced until the futures resolve
    for future in admin.create_topics([NewTopic(topic, len(counts), 1)], operation_timeout=30).values():
        future.result(30)
    # One record per batch: Tansu's ListOffsets is only exact for those (scripts/labctl.py).
    producer = Producer({**client, "linger.ms": 0, "batch.num.messages": 1, "enable.idempotence": False, "acks": "all"})
    failures = []
    for partition, count in enumerate(counts):
        for i in range(count):
            producer.produce(topic, value=b"r%d" % i, partition=partition,
                             on_delivery=lambda error, _: error and failures.append(str(error)))
    assert producer.flush(60) == 0 and not failures, failures[:3]


def offsets(tmp_path, port, topic, password, ca):
    path = tmp_path / "exporterd.yaml"
    cluster = ("{bootstrap_brokers: [{hostname: 127.0.0.1, port: %d}], request_timeout: 10s, credentials: "
               "{use_tls: true, tls_ca_cert_env: KAFKA_CA_PEM, sasl_mechanism: scram-512, "
               "sasl_username_env: KAFKA_USER, sasl_password_env: KAFKA_PASSWORD}}" % port)
    path.write_text("source: %s\ndestination: %s\ntopic_mappings: [{source_topic: %s}]\n" % (cluster, cluster, topic))
    env = {**os.environ, "KAFKA_USER": USERNAME, "KAFKA_PASSWORD": password, "KAFKA_CA_PEM": ca}
    return subprocess.run([_exporterd(), "offsets", "--config", str(path), "--format", "json"],
                          capture_output=True, text=True, timeout=120, env=env)


def test_offsets_through_scram_over_tls(sasl_ssl_broker, tmp_path):
    import json
    lab = sasl_ssl_broker
    topic = "sasl-ssl-%s" % uuid.uuid4().hex[:8]
    produce(lab["client"], topic, [4, 0, 7])

    result = offsets(tmp_path, lab["port"], topic, PASSWORD, lab["pem"]["ca.pem"])
    assert result.returncode == 0, result.stderr
    partitions = json.loads(result.stdout)["topics"][0]["partitions"]
    assert [p["source_high_watermark"] for p in partitions] == [4, 0, 7]

    wrong = offsets(tmp_path, lab["port"], topic, "not-" + PASSWORD, lab["pem"]["ca.pem"])
    assert wrong.returncode == 1
    assert "SCRAM-SHA-512" in wrong.stderr and "source" in wrong.stderr, wrong.stderr

    # A self-signed CA of another deployment: TLS fails before any credential is sent.
    other_ca = lab["pem"]["stranger.pem"]
    untrusted = offsets(tmp_path, lab["port"], topic, PASSWORD, other_ca)
    assert untrusted.returncode == 1
    assert "TLS" in untrusted.stderr, untrusted.stderr

    for output in (result.stdout + result.stderr, wrong.stderr, untrusted.stderr):
        assert PASSWORD not in output
        assert "PRIVATE KEY" not in output and "BEGIN CERTIFICATE" not in output
