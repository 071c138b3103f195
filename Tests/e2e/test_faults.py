"""Faults against a running exporterd on real Tansu brokers (issue 8 items 2 and 6): each fault
must show its documented signal within request_timeout (or the scrape/read timeout) plus
poll_interval, recover within a poll or two after it is lifted, and never produce a count.

The lab: private source and destination brokers (they are frozen and killed here), a proxy
agent stand-in producing to a PROXY topic all the time, a replicator, and a fault relay in
front of the agent's page and the state document (Tests/e2e/fault_relay.py). data_dir is a
small tmpfs when this runs as root (CI does), so the disk can really fill up.

Prints a table: fault, signal, seconds until the signal showed, seconds until it cleared, and
the false counts seen at any scrape (must be 0). The per-fault bounds asserted are generous
(three times the documented bound): the figures, not the bounds, are the measurement."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from conftest import ROOT
from exporter_lab import parse_metrics
from private_brokers import Proc, create_topics, free_port, port_open, stop_pid, tansu_binary, wait_until

POLL = 1.0
REQUEST_TIMEOUT = 1.0
READ_TIMEOUT = 1.0  # proxy_metrics.timeout and migration_state.timeout
UNPROXIED = "kafka_migration_unproxied_source_records_total"
POST = "kafka_migration_post_migration_source_records_total"


class RestartableBroker:
    """A Tansu broker on a fixed port: frozen with SIGSTOP, killed and started again empty."""

    def __init__(self, name, log_dir):
        self.name = name
        self.port = free_port()
        self.address = "127.0.0.1:%d" % self.port
        self.log_dir = log_dir
        self.process = None
        self.start()

    def start(self):
        cluster = "%s-%s" % (self.name, uuid.uuid4().hex[:6])
        log = open(os.path.join(self.log_dir, "%s-%s.log" % (self.name, cluster)), "w")
        self.process = subprocess.Popen(
            [tansu_binary(), "broker", "--cluster-id", cluster,
             "--listener-url", "tcp://%s" % self.address, "--advertised-listener-url", "tcp://%s" % self.address,
             "--storage-engine", "memory://%s/" % cluster],
            stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.process.poll() is not None or port_open(self.port), 10, 0.05, "%s listening" % self.name)
        assert self.process.poll() is None, "tansu %s exited" % self.name

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def kill(self):
        self.process.send_signal(signal.SIGCONT)
        self.process.kill()
        self.process.wait(5)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            stop_pid(self.process, 5)


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def http_post(url):
    request = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()


class Watch:
    """Scrapes exporterd every 100 ms while a fault runs; remembers every value of the counters
    that must stay 0, so a count that appears and is never 'undone' cannot slip by."""

    def __init__(self, port, topic):
        self.port = port
        self.topic = topic
        self.false_counts = 0

    def page(self):
        try:
            page = parse_metrics(http_get("http://127.0.0.1:%d/metrics" % self.port, timeout=2))
        except OSError:
            return {}
        for name in (UNPROXIED, POST):
            value = page.get((name, frozenset({("topic", self.topic)})), 0)
            self.false_counts = max(self.false_counts, int(value))
        return page

    def until(self, predicate, limit, what):
        started = time.monotonic()
        while True:
            page = self.page()
            if page and predicate(page):
                return time.monotonic() - started
            if time.monotonic() - started > limit:
                shown = sorted("%s%s %s" % (name, dict(labels), v) for (name, labels), v in page.items()
                               if ("topic", self.topic) in labels or not labels or name.endswith("_up"))
                raise AssertionError("%s not seen within %.1f s; the page had:\n%s" % (what, limit, "\n".join(shown)))
            time.sleep(0.1)


def value(page, name, **labels):
    return page.get((name, frozenset(labels.items())))


@pytest.fixture
def fault_lab(tmp_path):
    log_dir = str(tmp_path)
    brokers, procs, mounted = [], [], []
    try:
        source = RestartableBroker("source", log_dir)
        brokers.append(source)
        destination = RestartableBroker("destination", log_dir)
        brokers.append(destination)
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        # A small tmpfs so the disk can be filled for real; root only (CI runs as root).
        if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(data_dir)],
                                                capture_output=True).returncode == 0:
            mounted.append(str(data_dir))
        yield {"source": source, "destination": destination, "procs": procs, "dir": tmp_path,
               "data_dir": data_dir, "tmpfs": bool(mounted), "log_dir": log_dir}
    finally:
        for proc in reversed(procs):
            proc.stop()
        for broker in brokers:
            broker.stop()
        for path in mounted:
            subprocess.run(["umount", "-l", path], capture_output=True)


def test_faults_show_their_signal_recover_and_never_count(fault_lab):
    lab = fault_lab
    source, destination = lab["source"], lab["destination"]
    topic = "steady-%s" % uuid.uuid4().hex[:6]
    for broker in (source, destination):
        create_topics(broker.address, "%s:3" % topic)

    agent = Proc("proxy_agent.py", "--bootstrap", source.address, "--topic", "%s:20" % topic,
                 "--publish-delay-max", "1.5", log_dir=lab["log_dir"])
    lab["procs"].append(agent)
    replicator = Proc("replicator.py", "--source", source.address, "--destination", destination.address,
                      "--topic", topic, log_dir=lab["log_dir"])
    lab["procs"].append(replicator)
    state_file = lab["dir"] / "state.json"
    state_file.write_text(json.dumps({"topics": [{"topic": topic, "state": "PROXY", "since": "2026-11-24T10:00:00Z"}]}))
    relay = Proc(os.path.join(ROOT, "Tests", "e2e", "fault_relay.py"), "--agent", agent.url("/metrics"),
                 "--state-file", str(state_file), log_dir=lab["log_dir"])
    lab["procs"].append(relay)

    port = free_port()
    config = lab["dir"] / "exporterd.yaml"
    config.write_text("\n".join([
        "listen_address: 127.0.0.1:%d" % port,
        "poll_interval: %gs" % POLL,
        "data_dir: %s" % lab["data_dir"],
        "source: {bootstrap_brokers: [{hostname: 127.0.0.1, port: %d}], request_timeout: %gs}" % (source.port, REQUEST_TIMEOUT),
        "destination: {bootstrap_brokers: [{hostname: 127.0.0.1, port: %d}], request_timeout: %gs}" % (destination.port, REQUEST_TIMEOUT),
        "topic_mappings: [{source_topic: %s}]" % topic,
        "proxy_metrics: {targets: ['%s'], publish_delay: 2s, timeout: %gs}" % (relay.url("/metrics"), READ_TIMEOUT),
        "migration_state: {url: '%s', timeout: %gs}" % (relay.url("/state"), READ_TIMEOUT),
        "diagnostics: {confirm_polls: 3}",
    ]) + "\n")
    log = open(lab["dir"] / "exporterd.log", "w")
    exporterd = subprocess.Popen([os.environ.get("EXPORTERD_BIN") or pytest.skip("EXPORTERD_BIN is not set"),
                                  "run", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        _run_faults(lab, topic, port, agent, relay, source, destination)
    finally:
        stop_pid(exporterd, 10)
        log.close()


def _run_faults(lab, topic, port, agent, relay, source, destination):
    watch = Watch(port, topic)
    watch.until(lambda p: value(p, "kafka_migration_cluster_up", cluster="source") == 1
                and value(p, "kafka_migration_cluster_up", cluster="destination") == 1
                and value(p, "kafka_migration_state_source_up") == 1
                and value(p, "kafka_migration_proxy_target_up", target=relay.url("/metrics")) == 1, 60, "exporterd up")
    time.sleep(4)  # a few polls of steady proxied traffic: the baseline is taken
    rows = []
    target = relay.url("/metrics")
    cluster_bound = REQUEST_TIMEOUT + POLL
    read_bound = READ_TIMEOUT + POLL

    def row(fault, signal_name, shown, cleared):
        rows.append((fault, signal_name, shown, cleared, watch.false_counts))

    # Brokers frozen and resumed (SIGSTOP lands at a random point of the 1 s poll cycle).
    for name, broker in (("source", source), ("destination", destination)):
        broker.freeze()
        shown = watch.until(lambda p: value(p, "kafka_migration_cluster_up", cluster=name) == 0, 3 * cluster_bound + 2,
                            "%s down" % name)
        page = watch.page()
        assert value(page, "kafka_migration_partitions_answered", cluster=name) < value(page, "kafka_migration_partitions", cluster=name)
        broker.thaw()
        cleared = watch.until(lambda p: value(p, "kafka_migration_cluster_up", cluster=name) == 1, 3 * cluster_bound + 5,
                              "%s back" % name)
        row("%s broker frozen (SIGSTOP)" % name, 'cluster_up{cluster="%s"} 0' % name, shown, cleared)
        time.sleep(3)

    # The agent's page broken in every way an agent or what stands before it breaks it.
    for mode in ("500", "html", "truncated", "endless", "hang"):
        http_post(relay.url("/fault/metrics/%s" % mode))
        shown = watch.until(lambda p: value(p, "kafka_migration_proxy_target_up", target=target) == 0
                            and value(p, "kafka_migration_diagnostic_active", topic=topic,
                                      diagnostic="proxy_counters_incomplete") == 1, 3 * read_bound + 2, "agent %s" % mode)
        http_post(relay.url("/fault/metrics/ok"))
        cleared = watch.until(lambda p: value(p, "kafka_migration_proxy_target_up", target=target) == 1
                              and value(p, "kafka_migration_diagnostic_active", topic=topic,
                                        diagnostic="proxy_counters_incomplete") == 0, 3 * read_bound + 5, "agent back")
        row("agent page: %s" % mode, "proxy_target_up 0 + proxy_counters_incomplete", shown, cleared)
        time.sleep(2)

    # The state source: an error, a document cut mid-body, a read that never answers.
    for mode in ("500", "truncated", "hang"):
        http_post(relay.url("/fault/state/%s" % mode))
        shown = watch.until(lambda p: value(p, "kafka_migration_state_source_up") == 0, 3 * read_bound + 2, "state %s" % mode)
        http_post(relay.url("/fault/state/ok"))
        cleared = watch.until(lambda p: value(p, "kafka_migration_state_source_up") == 1, 3 * read_bound + 5, "state back")
        row("state URL: %s" % mode, "state_source_up 0", shown, cleared)
        time.sleep(2)

    # data_dir full: the commit fails, nothing is lost, the next commit after space returns stores it.
    if lab["tmpfs"]:
        filler = os.path.join(str(lab["data_dir"]), "filler")
        subprocess.run(["dd", "if=/dev/zero", "of=%s" % filler, "bs=64k"], capture_output=True)
        shown = watch.until(lambda p: value(p, "kafka_migration_store_up") == 0, 30, "store down")
        os.remove(filler)
        cleared = watch.until(lambda p: value(p, "kafka_migration_store_up") == 1, 10, "store back")
        row("data_dir full (tmpfs)", "store_up 0", shown, cleared)
    else:
        print("data_dir full: not run (needs root to mount a tmpfs)")

    # The source killed and started again empty, the topic created anew: source_topic_reset.
    # The agent pauses first, so the fresh baseline taken at the reset is a quiet one and the
    # rogue count below must be exact (CONTRACT §5 guarantee 2; under traffic it may trail by
    # the records proxied within publish_delay before the baseline).
    http_post(agent.url("/pause"))
    time.sleep(3)
    source.kill()
    source.start()
    create_topics(source.address, "%s:3" % topic)
    shown = watch.until(lambda p: value(p, "kafka_migration_diagnostic_active", topic=topic,
                                        diagnostic="source_topic_reset") == 1, 60, "source_topic_reset")
    row("source killed, restarted empty", "source_topic_reset 1", shown, float("nan"))

    # Not blind afterwards: a rogue writes 7 records, exactly 7 are counted.
    time.sleep(4)
    assert watch.false_counts == 0, "a fault produced a count"
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "rogue_producer.py"), "--bootstrap", source.address,
                    "--topic", topic, "--count", "7"], check=True, capture_output=True)
    watch.until(lambda p: value(p, UNPROXIED, topic=topic) == 7, 30, "the 7 rogue records counted")
    time.sleep(3)
    assert value(watch.page(), UNPROXIED, topic=topic) == 7

    events = json.loads(http_get("http://127.0.0.1:%d/api/v1/events?limit=1000" % watch.port))["events"]
    types = [event["type"] for event in events]
    assert "DISABLED" not in types and "INVALID_TRANSITION" not in types, types
    assert types.count("UNPROXIED_WRITES_DETECTED") == 1, types

    print("\n%-34s %-46s %8s %8s %6s" % ("fault", "signal", "shown s", "clear s", "false"))
    for fault, signal_name, shown, cleared, false in rows:
        print("%-36s %-46s %8.1f %8.1f %6d" % (fault, signal_name, shown, cleared, false))
    print("documented bound: request_timeout + poll_interval = %.1f s (clusters), read timeout + poll_interval = %.1f s"
          % (cluster_bound, read_bound))
