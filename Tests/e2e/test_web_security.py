"""A real Prometheus (Debian's) scrapes exporterd over HTTPS with basic auth from
web_config_file: the right password makes the target up and the exporter's series arrive;
a job with a wrong password sees the target down with a 401. Certificates are made here
with openssl; the bcrypt hash with the C library's crypt (libxcrypt)."""
import json
import shutil
import subprocess
import urllib.parse
import urllib.request
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # crypt goes in Python 3.13; the lab's venv is 3.11
    import crypt

from exporter_lab import Process, free_port, wait_for


def make_pki(directory):
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=exporterd e2e ca", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    (directory / "server.ext").write_text(
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr",
            "-subj", "/CN=localhost")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "server.ext")


def bcrypt_hash(password):
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))


def prometheus_query(port, query):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": query}))
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())["data"]["result"]


def prometheus_targets(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/targets" % port, timeout=5) as response:
        return json.loads(response.read())["data"]["activeTargets"]


def test_prometheus_scrapes_over_https_with_basic_auth(lab, tmp_path):
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.skip("Debian's prometheus is not installed (scripts/lab install adds it)")
    make_pki(tmp_path)
    password, wrong = "e2e-web-secret-5d1f", "e2e-wrong-secret-77aa"
    (tmp_path / "web-config.yml").write_text(
        "tls_server_config: {cert_file: server.pem, key_file: server-key.pem}\n"
        "basic_auth_users:\n  prometheus: '%s'\n" % bcrypt_hash(password))
    (tmp_path / "state.json").write_text('{"topics": []}\n')
    port = free_port()
    source_host, source_port = lab["source"].rsplit(":", 1)
    dest_host, dest_port = lab["destination"].rsplit(":", 1)
    (tmp_path / "exporterd.yaml").write_text("\n".join([
        "listen_address: 127.0.0.1:%d" % port,
        "web_config_file: web-config.yml",
        "poll_interval: 1s",
        "data_dir: ./data",
        "source: {bootstrap_brokers: [{hostname: %s, port: %s}]}" % (source_host, source_port),
        "destination: {bootstrap_brokers: [{hostname: %s, port: %s}]}" % (dest_host, dest_port),
        "proxy_metrics: {targets: ['http://127.0.0.1:1/metrics']}",
        "migration_state: {file: state.json}",
    ]) + "\n")
    (tmp_path / "right.pass").write_text(password)
    (tmp_path / "wrong.pass").write_text(wrong)
    prometheus_port = free_port()
    job = ("  - job_name: %s\n    scheme: https\n    scrape_interval: 1s\n"
           "    tls_config: {ca_file: %s}\n    basic_auth: {username: prometheus, password_file: %s}\n"
           "    static_configs: [{targets: ['127.0.0.1:%d']}]\n")
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n"
        + job % ("exporterd", tmp_path / "ca.pem", tmp_path / "right.pass", port)
        + job % ("exporterd_wrong_password", tmp_path / "ca.pem", tmp_path / "wrong.pass", port))

    exporterd = Process([lab["exporterd"], "run", "--config", str(tmp_path / "exporterd.yaml"),
                         "--log-level", "debug"], str(tmp_path / "exporterd.log"))
    server = None
    try:
        server = Process([prometheus, "--config.file=%s" % (tmp_path / "prometheus.yml"),
                          "--storage.tsdb.path=%s" % (tmp_path / "tsdb"),
                          "--web.listen-address=127.0.0.1:%d" % prometheus_port],
                         str(tmp_path / "prometheus.log"))

        def scraped():
            try:
                up = prometheus_query(prometheus_port, 'up{job="exporterd"}')
                info = prometheus_query(prometheus_port, 'kafka_migration_exporter_build_info{job="exporterd"}')
            except OSError:
                return None
            return up and up[0]["value"][1] == "1" and info
        wait_for(scraped, 60, message="Prometheus scraping exporterd over HTTPS")

        def refused():
            try:
                targets = prometheus_targets(prometheus_port)
            except OSError:
                return None
            wrong_job = [t for t in targets if t["labels"]["job"] == "exporterd_wrong_password"]
            return wrong_job and wrong_job[0]["health"] == "down" and "401" in wrong_job[0]["lastError"] and wrong_job[0]
        target = wait_for(refused, 60, message="the wrong-password job refused with 401")
        print("wrong password job: %s" % target["lastError"])
    finally:
        if server is not None:
            server.stop()
        exporterd.stop()
    log = (tmp_path / "exporterd.log").read_text()
    assert password not in log and wrong not in log
