"""TLS and mTLS to real Tansu brokers behind stunnel (issue 9 item 1): `exporterd offsets`
reads real offsets through TLS with the CA from an env var, and fails clearly, naming the
cluster, the broker and the cause, without the CA, on a certificate for another host, and
without the client certificate a broker requires. Bad PEM in an env var is a config error
(exit 2) naming the key and the variable, never the PEM.

Certificates are made here with `openssl`: a CA, a server certificate for 127.0.0.1 and
localhost, one for kafka.test only, and a client certificate. Two private Tansu brokers:
`plain_tls` advertises a stunnel port that asks for no client certificate, `mutual_tls` one
that requires a client certificate signed by the CA (stunnel `verify = 2`), so every
connection exporterd makes after bootstrap (to the broker from metadata) goes through the
same kind of TLS. A third stunnel port in front of `plain_tls` presents the kafka.test
certificate. stunnel4 and openssl come from `scripts/lab install`."""
import json
import os
import shutil
import subprocess
import time

import pytest

from private_brokers import free_port, port_open, stop_pid, tansu_binary, wait_until


def _tool(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


STUNNEL = _tool("stunnel4", "stunnel")
OPENSSL = _tool("openssl")


def openssl(*args, cwd):
    result = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def make_certificates(directory):
    """CA, server certificates and a client certificate, EC P-256, valid for two days."""
    d = str(directory)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=exporterd test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)

    def leaf(name, subject, extensions):
        openssl("req", *ec, "-keyout", "%s.key" % name, "-out", "%s.csr" % name, "-subj", subject, cwd=d)
        with open(os.path.join(d, "%s.ext" % name), "w") as f:
            f.write(extensions)
        openssl("x509", "-req", "-in", "%s.csr" % name, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-out", "%s.pem" % name, "-extfile", "%s.ext" % name, cwd=d)

    leaf("server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    leaf("otherhost", "/CN=kafka.test", "subjectAltName=DNS:kafka.test\nextendedKeyUsage=serverAuth\n")
    leaf("client", "/CN=exporterd", "extendedKeyUsage=clientAuth\n")
    # A client certificate the CA never signed.
    openssl("req", "-x509", *ec, "-keyout", "stranger.key", "-out", "stranger.pem", "-days", "2",
            "-subj", "/CN=stranger", cwd=d)
    return {name: open(os.path.join(d, name)).read()
            for name in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key", "otherhost.pem",
                         "stranger.pem", "stranger.key")}


class Tansu:
    def __init__(self, name, advertised_port, log_dir):
        self.port = free_port()
        self.log = open(os.path.join(log_dir, "%s.log" % name), "w")
        cluster = "%s-%d" % (name, self.port)
        self.process = subprocess.Popen(
            [tansu_binary(), "broker", "--cluster-id", cluster,
             "--listener-url", "tcp://127.0.0.1:%d" % self.port,
             "--advertised-listener-url", "tcp://127.0.0.1:%d" % advertised_port,
             "--storage-engine", "memory://%s/" % cluster],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.process.poll() is not None or port_open(self.port), 10, 0.05, "%s listening" % name)
        assert self.process.poll() is None, "tansu %s exited" % name

    def stop(self):
        stop_pid(self.process, 5)
        self.log.close()


class Stunnel:
    """One stunnel process in server mode with a service per entry of `services`:
    (accept port, Tansu port, certificate file, key file, require a client certificate)."""

    def __init__(self, directory, services):
        d = str(directory)
        lines = ["foreground = yes", "pid =", "debug = 5", "output = %s" % os.path.join(d, "stunnel.log")]
        for index, (accept, target, cert, key, mutual) in enumerate(services):
            lines += ["[service%d]" % index, "accept = 127.0.0.1:%d" % accept, "connect = 127.0.0.1:%d" % target,
                      "cert = %s" % os.path.join(d, cert), "key = %s" % os.path.join(d, key)]
            if mutual:
                lines += ["verify = 2", "CAfile = %s" % os.path.join(d, "ca.pem")]
        path = os.path.join(d, "stunnel.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.process = subprocess.Popen([STUNNEL, path], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        for accept, *_ in services:
            wait_until(lambda: self.process.poll() is not None or port_open(accept), 10, 0.05, "stunnel on %d" % accept)
            assert self.process.poll() is None, "stunnel exited: see %s" % os.path.join(d, "stunnel.log")

    def stop(self):
        stop_pid(self.process, 5)


@pytest.fixture(scope="module")
def tls_lab(tmp_path_factory):
    if STUNNEL is None or OPENSSL is None:
        pytest.skip("TLS tests need stunnel4 and openssl (installed by scripts/lab install); missing: %s"
                    % ", ".join(n for n, p in (("stunnel4", STUNNEL), ("openssl", OPENSSL)) if p is None))
    directory = tmp_path_factory.mktemp("tls")
    pem = make_certificates(directory)
    ports = {"plain": free_port(), "mutual": free_port(), "otherhost": free_port()}
    started = []
    try:
        plain = Tansu("plain-tls", ports["plain"], str(directory))
        started.append(plain)
        mutual = Tansu("mutual-tls", ports["mutual"], str(directory))
        started.append(mutual)
        started.append(Stunnel(directory, [
            (ports["plain"], plain.port, "server.pem", "server.key", False),
            (ports["mutual"], mutual.port, "server.pem", "server.key", True),
            (ports["otherhost"], plain.port, "otherhost.pem", "otherhost.key", False),
        ]))
        client_tls = {"security.protocol": "SSL", "ssl.ca.location": os.path.join(str(directory), "ca.pem"),
                      "ssl.certificate.location": os.path.join(str(directory), "client.pem"),
                      "ssl.key.location": os.path.join(str(directory), "client.key")}
        yield {"dir": str(directory), "pem": pem, "ports": ports, "client_tls": client_tls}
    finally:
        for process in reversed(started):
            process.stop()


def create_and_produce(lab, bootstrap, topic, partitions, counts):
    """Creates `topic` and writes counts[p] records to partition p with librdkafka over TLS."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap, **lab["client_tls"]})
    for future in admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=30).values():
        future.result(30)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "batch.num.messages": 1,
                         "enable.idempotence": False, "acks": "all", **lab["client_tls"]})
    failures = []
    for partition, count in enumerate(counts):
        for i in range(count):
            producer.produce(topic, value=b"r%d" % i, partition=partition,
                             on_delivery=lambda error, _: error and failures.append(str(error)))
    assert producer.flush(60) == 0 and not failures, failures[:3]


def config(tmp_path, source, destination, topic):
    """`source`/`destination`: (hostname, port, credentials as YAML flow mapping)."""
    text = "\n".join([
        "source:",
        "  bootstrap_brokers: [{hostname: %s, port: %d}]" % source[:2],
        "  credentials: %s" % source[2],
        "  request_timeout: 5s",
        "destination:",
        "  bootstrap_brokers: [{hostname: %s, port: %d}]" % destination[:2],
        "  credentials: %s" % destination[2],
        "  request_timeout: 5s",
        "topic_mappings:",
        "  - {source_topic: %s, destination_topic: %s}" % (topic, topic),
    ]) + "\n"
    path = tmp_path / "exporterd.yaml"
    path.write_text(text)
    return str(path)


CA_ONLY = "{use_tls: true, tls_ca_cert_env: TEST_CA_PEM}"
MUTUAL = ("{use_tls: true, tls_ca_cert_env: TEST_CA_PEM, mtls_client_cert_env: TEST_CLIENT_PEM,"
          " mtls_client_key_env: TEST_CLIENT_KEY}")
SYSTEM_TRUST = "{use_tls: true}"


def offsets(binary, path, pem, **overrides):
    env = dict(os.environ, TEST_CA_PEM=pem["ca.pem"], TEST_CLIENT_PEM=pem["client.pem"],
               TEST_CLIENT_KEY=pem["client.key"])
    env.update(overrides)
    result = subprocess.run([binary, "offsets", "--config", path, "--format", "json"],
                            capture_output=True, text=True, timeout=120, env=env)
    # Never a line of PEM or key material in anything exporterd prints.
    for secret in (pem["client.key"], pem["server.key"], pem["ca.pem"], pem["client.pem"]):
        for line in secret.splitlines():
            if line and not line.startswith("-----"):
                assert line not in result.stdout + result.stderr
    return result


@pytest.fixture
def binary():
    value = os.environ.get("EXPORTERD_BIN")
    if not value:
        pytest.skip("EXPORTERD_BIN is not set: run through scripts/test")
    return value


@pytest.fixture(scope="module")
def topics(tls_lab):
    """One topic on each broker, with records, written once for the module."""
    plain, mutual = "tls-%d" % time.time_ns(), "mtls-%d" % time.time_ns()
    create_and_produce(tls_lab, "127.0.0.1:%d" % tls_lab["ports"]["plain"], plain, 3, [4, 0, 7])
    create_and_produce(tls_lab, "127.0.0.1:%d" % tls_lab["ports"]["mutual"], mutual, 2, [5, 2])
    return {"plain": plain, "mutual": mutual}


def test_offsets_through_tls_with_the_ca_from_env(tls_lab, topics, binary, tmp_path):
    port = tls_lab["ports"]["plain"]
    # localhost checks the DNS SAN (and sends SNI); 127.0.0.1 checks the IP SAN. Metadata then
    # names 127.0.0.1 for both, so the connection to the broker from metadata is TLS too.
    path = config(tmp_path, ("localhost", port, CA_ONLY), ("127.0.0.1", port, CA_ONLY), topics["plain"])
    result = offsets(binary, path, tls_lab["pem"])
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["topics"][0]["partitions"]
    assert [r["source_high_watermark"] for r in rows] == [4, 0, 7]
    assert [r["destination_high_watermark"] for r in rows] == [4, 0, 7]
    assert [r["offset_lag"] for r in rows] == [0, 0, 0]


def test_without_the_ca_the_system_store_does_not_trust_the_broker(tls_lab, topics, binary, tmp_path):
    port = tls_lab["ports"]["plain"]
    path = config(tmp_path, ("127.0.0.1", port, SYSTEM_TRUST), ("127.0.0.1", port, CA_ONLY), topics["plain"])
    result = offsets(binary, path, tls_lab["pem"])
    assert result.returncode == 1
    assert "TLS to 127.0.0.1:%d of the source cluster failed: the broker's certificate is not trusted by " \
           "the system trust store" % port in result.stderr, result.stderr
    # The destination, with the CA, answered.
    rows = json.loads(result.stdout)["topics"][0]["partitions"]
    assert [r["destination_high_watermark"] for r in rows] == [4, 0, 7]
    assert all(r["source_high_watermark"] is None for r in rows)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])  # the IP SAN check and the DNS SAN check
def test_a_certificate_for_another_host_fails_hostname_verification(tls_lab, topics, binary, tmp_path, host):
    # Trusted (signed by the CA) but issued to kafka.test only.
    wrong, good = tls_lab["ports"]["otherhost"], tls_lab["ports"]["plain"]
    path = config(tmp_path, ("127.0.0.1", good, CA_ONLY), (host, wrong, CA_ONLY), topics["plain"])
    result = offsets(binary, path, tls_lab["pem"])
    assert result.returncode == 1
    assert "TLS to %s:%d of the destination cluster failed: the broker's certificate is not valid for " \
           "%s (hostname verification)" % (host, wrong, host) in result.stderr, result.stderr
    rows = json.loads(result.stdout)["topics"][0]["partitions"]
    assert [r["source_high_watermark"] for r in rows] == [4, 0, 7]


def test_mtls_with_the_client_certificate_reads_offsets(tls_lab, topics, binary, tmp_path):
    mutual, plain = tls_lab["ports"]["mutual"], tls_lab["ports"]["plain"]
    path = config(tmp_path, ("localhost", mutual, MUTUAL), ("127.0.0.1", plain, CA_ONLY), topics["mutual"])
    result = offsets(binary, path, tls_lab["pem"])
    # The destination has no such topic (it lives on the other broker): exit 1, but the
    # source, reached only through mTLS, answered every partition.
    assert result.returncode == 1
    assert "TLS" not in result.stderr, result.stderr
    rows = json.loads(result.stdout)["topics"][0]["partitions"]
    assert [r["source_high_watermark"] for r in rows] == [5, 2]


def test_mtls_without_a_client_certificate_is_refused_clearly(tls_lab, topics, binary, tmp_path):
    mutual = tls_lab["ports"]["mutual"]
    path = config(tmp_path, ("127.0.0.1", mutual, CA_ONLY), ("127.0.0.1", mutual, MUTUAL), topics["mutual"])
    result = offsets(binary, path, tls_lab["pem"])
    assert result.returncode == 1
    assert "TLS to 127.0.0.1:%d of the source cluster failed: the broker requires a client certificate (mTLS) " \
           "and none is configured" % mutual in result.stderr, result.stderr
    rows = json.loads(result.stdout)["topics"][0]["partitions"]
    assert [r["destination_high_watermark"] for r in rows] == [5, 2]
    assert all(r["source_high_watermark"] is None for r in rows)


def test_mtls_with_a_certificate_the_ca_never_signed_is_refused_clearly(tls_lab, topics, binary, tmp_path):
    mutual = tls_lab["ports"]["mutual"]
    path = config(tmp_path, ("127.0.0.1", mutual, MUTUAL), ("127.0.0.1", mutual, MUTUAL), topics["mutual"])
    pem = tls_lab["pem"]
    result = offsets(binary, path, pem, TEST_CLIENT_PEM=pem["stranger.pem"], TEST_CLIENT_KEY=pem["stranger.key"])
    assert result.returncode == 1
    assert "TLS to 127.0.0.1:%d of the source cluster failed: the broker refused the client certificate" % mutual \
        in result.stderr, result.stderr
    assert pem["stranger.key"].splitlines()[1] not in result.stderr


@pytest.mark.parametrize("variable, value, message", [
    ("TEST_CA_PEM", "not a certificate",
     "source.credentials.tls_ca_cert_env: environment variable TEST_CA_PEM holds no PEM certificate"),
    ("TEST_CA_PEM", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
     "source.credentials.tls_ca_cert_env: environment variable TEST_CA_PEM holds a PEM block that is not a valid X.509 certificate"),
    ("TEST_CLIENT_KEY", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
     "source.credentials.mtls_client_key_env: environment variable TEST_CLIENT_KEY is not an unencrypted PEM private key"),
    ("TEST_CLIENT_KEY", "server.key",
     "source.credentials.mtls_client_key_env: environment variable TEST_CLIENT_KEY is not the private key of the client certificate"),
])
def test_bad_pem_in_env_is_a_config_error_naming_key_and_variable(tls_lab, binary, tmp_path, variable, value, message):
    if value == "server.key":  # a valid key, but not the client certificate's
        value = tls_lab["pem"]["server.key"]
    path = config(tmp_path, ("127.0.0.1", 1, MUTUAL), ("127.0.0.1", 1, CA_ONLY), "t")
    result = offsets(binary, path, tls_lab["pem"], **{variable: value})
    assert result.returncode == 2, result.stderr
    assert message in result.stderr, result.stderr
    assert "AAAA" not in result.stderr


def test_run_shows_a_tls_failure_as_cluster_down_and_mtls_as_up(tls_lab, topics, binary, tmp_path):
    """`run`: the source reaches the mTLS broker with its client certificate (cluster_up 1);
    the destination, same broker without one, is down (cluster_up 0) and the log says why."""
    from exporter_lab import free_port as http_port, http, parse_metrics, wait_for
    mutual = tls_lab["ports"]["mutual"]
    listen = http_port()
    (tmp_path / "state.json").write_text('{"topics": []}')
    (tmp_path / "exporterd.yaml").write_text("\n".join([
        "listen_address: 127.0.0.1:%d" % listen,
        "poll_interval: 1s",
        "data_dir: ./data",
        "source:",
        "  bootstrap_brokers: [{hostname: localhost, port: %d}]" % mutual,
        "  credentials: %s" % MUTUAL,
        "destination:",
        "  bootstrap_brokers: [{hostname: 127.0.0.1, port: %d}]" % mutual,
        "  credentials: %s" % CA_ONLY,
        "topic_mappings: [{source_topic: %s}]" % topics["mutual"],
        "proxy_metrics: {targets: [http://127.0.0.1:%d/metrics], publish_delay: 1s, timeout: 1s}" % http_port(),
        "migration_state: {file: state.json}",
    ]) + "\n")
    pem = tls_lab["pem"]
    env = dict(os.environ, TEST_CA_PEM=pem["ca.pem"], TEST_CLIENT_PEM=pem["client.pem"], TEST_CLIENT_KEY=pem["client.key"])
    log_path = tmp_path / "exporterd.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([binary, "run", "--config", str(tmp_path / "exporterd.yaml")],
                                   stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(tmp_path))
    try:
        def cluster_up():
            try:
                samples = parse_metrics(http("GET", "http://127.0.0.1:%d/metrics" % listen, timeout=2)[1])
            except OSError:
                return None
            up = {c: samples.get(("kafka_migration_cluster_up", frozenset({("cluster", c)})))
                  for c in ("source", "destination")}
            return up if up["source"] == 1 and up["destination"] == 0 else None
        wait_for(cluster_up, 60, message="source up through mTLS, destination down")
        text = log_path.read_text()
        assert "TLS to 127.0.0.1:%d of the destination cluster failed: the broker requires a client certificate" % mutual \
            in text, text[-3000:]
        for secret in (pem["client.key"], pem["client.pem"], pem["ca.pem"]):
            for line in secret.splitlines():
                if line and not line.startswith("-----"):
                    assert line not in text
    finally:
        stop_pid(process)
