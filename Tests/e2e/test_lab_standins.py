"""The lab's migration stand-ins (scripts/proxy_agent.py, replicator.py, rogue_producer.py,
migration_state.py) against private Tansu brokers: exporterd's own end-to-end tests trust
these, so they are checked here against the brokers' offsets. The last test drives the proxy
stand-in through a cutover with exporterd watching (the demo's story, issue 10).

Needs only the venv (no scripts/test environment): the brokers come from `private_lab`; the
cutover test also needs EXPORTERD_BIN (skipped without it).
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from private_brokers import (SCRIPTS, Proc, create_topics, free_port, high_watermarks, port_open,  # noqa: F401
                             private_lab, read_records, wait_until)

DELAY_MAX = 1.0


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def run_script(script, *args, timeout=60):
    return subprocess.run([sys.executable, os.path.join(SCRIPTS, script), *args],
                          capture_output=True, text=True, timeout=timeout)


def scrape(agent):
    """{(metric, topic label): value} from the agent's /metrics page."""
    values = {}
    for line in agent.get("/metrics").splitlines():
        match = re.match(r'^(kafka_proxy_produced_\w+)\{topic="([^"]*)"\} (\d+)$', line)
        if match:
            values[(match.group(1), match.group(2))] = int(match.group(3))
    return values


def total_lag(lab, source_topic, destination_topic):
    source = high_watermarks(lab["source"], source_topic)
    destination = high_watermarks(lab["destination"], destination_topic)
    return sum(max(0, high - destination.get(p, 0)) for p, high in source.items())


@pytest.mark.parametrize("script", ["proxy_agent.py", "replicator.py", "rogue_producer.py", "migration_state.py"])
def test_help(script):
    result = run_script(script, "--help", timeout=20)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout and "--" in result.stdout


def test_agent_publishes_only_acked_records_late_but_completely(private_lab, tmp_path):
    orders, payments = unique("orders"), unique("payments")
    create_topics(private_lab["source"], "%s:3" % orders, "%s:2" % payments)
    agent = Proc("proxy_agent.py", "--bootstrap", private_lab["source"], "--topic", "%s:60" % orders,
                 "--topic", "%s:20" % payments, "--topic-map", "%s:%s.v2" % (payments, payments),
                 "--publish-delay-max", str(DELAY_MAX), log_dir=str(tmp_path))
    labels = {orders: orders, payments: payments + ".v2"}
    try:
        behind_seen = False
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            page = scrape(agent)        # read the page first: acked can only grow afterwards
            state = agent.get_json("/state")
            for topic, label in labels.items():
                assert page[("kafka_proxy_produced_records_total", label)] <= state["acked"][topic]
                assert page[("kafka_proxy_produced_bytes_total", label)] <= state["acked_bytes"][topic]
                assert state["published"][topic] <= state["acked"][topic]
                behind_seen |= state["published"][topic] < state["acked"][topic]
            time.sleep(0.05)
        assert behind_seen, "publish delays never showed"

        assert agent.post("/pause") == {"paused": True}
        # In-flight deliveries land, then every delayed increment falls due.
        def settled():
            first = agent.get_json("/state")
            time.sleep(0.3)
            second = agent.get_json("/state")
            return second if first["acked"] == second["acked"] and second["published"] == second["acked"] else None
        state = wait_until(settled, DELAY_MAX + 5, message="published == acked after pause")
        assert state["paused"] is True and state["failed"] == {orders: 0, payments: 0}
        assert state["acked"][orders] > 60 and state["acked"][payments] > 20
        assert state["topic_map"] == labels

        page = scrape(agent)
        text = agent.get("/metrics")
        for metric in ("kafka_proxy_produced_records_total", "kafka_proxy_produced_bytes_total"):
            assert "# TYPE %s counter" % metric in text and "# HELP %s " % metric in text
        for topic, label in labels.items():
            assert page[("kafka_proxy_produced_records_total", label)] == state["acked"][topic]
            assert page[("kafka_proxy_produced_bytes_total", label)] == state["acked_bytes"][topic]
            # Every acknowledged record is one offset on the source, and nothing else wrote.
            hwms = high_watermarks(private_lab["source"], topic)
            assert sum(hwms.values()) == state["acked"][topic]
            assert max(hwms.values()) - min(hwms.values()) <= 1  # spread over the partitions

        # Paused: nothing more is produced.
        time.sleep(0.5)
        assert agent.get_json("/state")["acked"] == state["acked"]
        assert agent.stop() == 0
    finally:
        agent.stop()

    # A restarted agent counts from 0 again.
    restarted = Proc("proxy_agent.py", "--bootstrap", private_lab["source"], "--topic", "%s:50" % orders,
                     "--paused", log_dir=str(tmp_path))
    try:
        assert scrape(restarted) == {("kafka_proxy_produced_records_total", orders): 0,
                                     ("kafka_proxy_produced_bytes_total", orders): 0}
        assert restarted.get_json("/state")["paused"] is True
        restarted.post("/resume")
        wait_until(lambda: restarted.get_json("/state")["published"][orders] >= 5, 5, message="restarted agent counts")
    finally:
        assert restarted.stop() == 0


def test_replicator_preserves_offsets_and_follows_pause_resume(private_lab, tmp_path):
    topic = unique("replicated")
    destination_topic = topic + ".dst"
    create_topics(private_lab["source"], "%s:3" % topic)
    # Records written before the replicator starts, directly (the rogue producer).
    rogue = run_script("rogue_producer.py", "--bootstrap", private_lab["source"], "--topic", topic, "--count", "60")
    assert rogue.returncode == 0, rogue.stderr
    assert json.loads(rogue.stdout) == {"acked": 60, "failed": 0, "topic": topic}
    assert sum(high_watermarks(private_lab["source"], topic).values()) == 60

    agent = Proc("proxy_agent.py", "--bootstrap", private_lab["source"], "--topic", "%s:100" % topic,
                 log_dir=str(tmp_path))
    replicator = Proc("replicator.py", "--source", private_lab["source"], "--destination", private_lab["destination"],
                      "--topic", topic, "--topic-map", "%s:%s" % (topic, destination_topic), log_dir=str(tmp_path))
    try:
        # Keeps up with 100 records/s: the lag stays under about a second of traffic.
        time.sleep(2.0)
        lags = []
        for _ in range(3):
            lags.append(total_lag(private_lab, topic, destination_topic))
            time.sleep(0.3)
        assert min(lags) < 100, lags
        agent.post("/pause")
        wait_until(lambda: total_lag(private_lab, topic, destination_topic) == 0, 10, 0.2, "replicator caught up")

        source = high_watermarks(private_lab["source"], topic)
        destination = high_watermarks(private_lab["destination"], destination_topic)
        assert source == destination and sum(source.values()) > 200
        copied = {topic: {str(p): n for p, n in source.items()}}
        state = wait_until(lambda: (lambda s: s if s["copied"] == copied else None)(replicator.get_json("/state")),
                           2, message="/state shows every acknowledged copy")
        assert state["offset_mismatches"] == 0 and state["errors"] == 0
        # Same records at the same offsets: keys, values and timestamps.
        for partition in source:
            original = read_records(private_lab["source"], topic, partition, 25)
            copy = read_records(private_lab["destination"], destination_topic, partition, 25)
            assert len(original) == 25 and original == copy

        # Paused: the lag grows by exactly what is written and stays.
        assert replicator.post("/pause") == {"paused": True}
        time.sleep(0.3)
        rogue = run_script("rogue_producer.py", "--bootstrap", private_lab["source"], "--topic", topic, "--count", "30")
        assert json.loads(rogue.stdout)["acked"] == 30
        time.sleep(1.0)
        assert total_lag(private_lab, topic, destination_topic) == 30
        assert replicator.get_json("/state")["paused"] is True

        # Resumed: back to 0, offsets equal again.
        assert replicator.post("/resume") == {"paused": False}
        wait_until(lambda: total_lag(private_lab, topic, destination_topic) == 0, 10, 0.2, "lag back to 0")
        assert high_watermarks(private_lab["source"], topic) == high_watermarks(private_lab["destination"], destination_topic)
        assert replicator.stop() == 0
        assert agent.stop() == 0
    finally:
        replicator.stop()
        agent.stop()


def test_rogue_producer_rate_stops_cleanly_on_sigterm(private_lab):
    topic = unique("rogue")
    create_topics(private_lab["source"], "%s:2" % topic)
    process = subprocess.Popen([sys.executable, os.path.join(SCRIPTS, "rogue_producer.py"), "--bootstrap",
                                private_lab["source"], "--topic", topic, "--rate", "20"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    process.terminate()
    out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    report = json.loads(out)
    assert report["failed"] == 0 and 10 <= report["acked"] <= 40
    assert sum(high_watermarks(private_lab["source"], topic).values()) == report["acked"]


def migration_state(*args):
    return run_script("migration_state.py", *args, timeout=20)


def read_document(path):
    sys.path.insert(0, SCRIPTS)
    import migration_state as ms
    document, fmt = ms.read(str(path))
    return document, fmt


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")


def check_document(document):
    """The CONTRACT §3 shape, checked independently of the writer's own validation."""
    assert set(document) <= {"topics", "events"} and isinstance(document["topics"], list)
    for entry in document["topics"]:
        assert set(entry) <= {"topic", "state", "since", "migration_timeout_seconds"}
        assert entry["state"] in ("REJECT", "PROXY", "MIGRATING", "COMPLETE")
        assert RFC3339.match(entry["since"]), entry
        if "migration_timeout_seconds" in entry:
            assert isinstance(entry["migration_timeout_seconds"], int)
    for event in document.get("events", []):
        assert set(event) == {"topic", "type", "at"} and RFC3339.match(event["at"])


def test_migration_state_writer_json(tmp_path):
    path = tmp_path / "state.json"
    assert migration_state("set", "orders", "PROXY", "--file", str(path)).returncode == 0
    assert migration_state("set", "payments", "MIGRATING", "--since", "2026-11-24T11:05:00+01:00",
                           "--timeout", "300", "--file", str(path)).returncode == 0
    assert migration_state("set", "audit", "complete", "--since", "2026-11-24T09:00:00Z", "--file", str(path)).returncode == 0
    assert migration_state("event", "payments", "ABORTED", "--at", "2026-11-24T10:04:00Z", "--file", str(path)).returncode == 0
    document = json.loads(path.read_text())
    check_document(document)
    assert document["topics"][1:] == [
        {"topic": "payments", "state": "MIGRATING", "since": "2026-11-24T10:05:00Z", "migration_timeout_seconds": 300},
        {"topic": "audit", "state": "COMPLETE", "since": "2026-11-24T09:00:00Z"}]
    assert document["events"] == [{"topic": "payments", "type": "ABORTED", "at": "2026-11-24T10:04:00Z"}]

    since = document["topics"][0]["since"]
    time.sleep(0.01)
    migration_state("set", "orders", "PROXY", "--file", str(path))  # same state: since unchanged
    assert json.loads(path.read_text())["topics"][0]["since"] == since
    migration_state("set", "orders", "MIGRATING", "--file", str(path))  # changed: stamped now
    assert json.loads(path.read_text())["topics"][0]["since"] > since
    assert migration_state("unset", "audit", "--file", str(path)).returncode == 0
    assert [t["topic"] for t in json.loads(path.read_text())["topics"]] == ["orders", "payments"]

    shown = migration_state("show", "--file", str(path))
    assert shown.returncode == 0 and json.loads(shown.stdout) == json.loads(path.read_text())
    # Bad input: exit 2, document untouched, no temp files left behind.
    before = path.read_text()
    assert migration_state("set", "orders", "BOGUS", "--file", str(path)).returncode == 2
    assert migration_state("set", "orders", "PROXY", "--since", "yesterday", "--file", str(path)).returncode == 2
    assert path.read_text() == before
    assert sorted(os.listdir(tmp_path)) == ["state.json", "state.json.lock"]


def test_migration_state_writer_yaml_and_concurrent_writers(tmp_path):
    path = tmp_path / "state.yaml"
    assert migration_state("set", "orders", "PROXY", "--since", "2026-11-24T10:00:00Z", "--file", str(path)).returncode == 0
    assert migration_state("set", "payments", "MIGRATING", "--timeout", "120", "--file", str(path)).returncode == 0
    text = path.read_text()
    assert text.startswith("topics:\n  - topic: \"orders\"\n    state: \"PROXY\"\n    since: \"2026-11-24T10:00:00Z\"\n")
    assert "    migration_timeout_seconds: 120\n" in text
    document, fmt = read_document(path)
    assert fmt == "yaml"
    check_document(document)
    assert [(t["topic"], t["state"]) for t in document["topics"]] == [("orders", "PROXY"), ("payments", "MIGRATING")]

    # --format overrides; the same file can switch to JSON.
    assert migration_state("set", "orders", "COMPLETE", "--format", "json", "--file", str(path)).returncode == 0
    assert json.loads(path.read_text())["topics"][0]["state"] == "COMPLETE"

    # Concurrent writers serialise on the lock: no update is lost.
    shared = tmp_path / "shared.json"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: migration_state("set", "t%d" % i, "PROXY", "--file", str(shared)), range(8)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    document = json.loads(shared.read_text())
    check_document(document)
    assert sorted(t["topic"] for t in document["topics"]) == ["t%d" % i for i in range(8)]


def test_transaction_markers_take_source_offsets_and_the_replicator_keeps_them_aligned(private_lab, tmp_path):
    topic = unique("transactional")
    create_topics(private_lab["source"], "%s:2" % topic)
    # 3 transactions over both partitions: 3 + 3 + 1 records, markers on 2 + 2 + 1 partitions.
    rogue = run_script("rogue_producer.py", "--bootstrap", private_lab["source"], "--topic", topic, "--count", "7",
                       "--transactional-id", unique("rogue-tx"), "--transaction-size", "3")
    assert rogue.returncode == 0, rogue.stderr
    assert json.loads(rogue.stdout) == {"acked": 7, "failed": 0, "topic": topic, "commits": 3}
    source = high_watermarks(private_lab["source"], topic)
    assert sum(source.values()) == 7 + 5

    replicator = Proc("replicator.py", "--source", private_lab["source"], "--destination", private_lab["destination"],
                      "--topic", topic, log_dir=str(tmp_path))
    try:
        wait_until(lambda: high_watermarks(private_lab["destination"], topic) == source, 10, 0.2,
                   "destination offsets equal the source's, markers included")
        state = wait_until(lambda: (lambda s: s if s["fillers"] == 5 else None)(replicator.get_json("/state")), 3,
                           message="5 filler records")
        assert state["offset_mismatches"] == 0
    finally:
        assert replicator.stop() == 0


# --- the proxy stand-in through a cutover, watched by exporterd ---------------------------------

def exporterd_lab(private_lab, tmp_path):
    """An ExporterLab (Tests/e2e/exporter_lab.py) on the private brokers."""
    binary = os.environ.get("EXPORTERD_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.skip("EXPORTERD_BIN is not set to a built exporterd")
    from exporter_lab import ExporterLab
    return ExporterLab({"source": private_lab["source"], "destination": private_lab["destination"],
                        "exporterd": binary, "python": sys.executable}, tmp_path)


def test_agent_honours_the_state_file(private_lab, tmp_path):
    """PROXY writes go to the source and count; MIGRATING writes are held (not sent, not
    counted); COMPLETE writes, held ones first, go to the destination and do not count;
    REJECT (unlisted) topics are refused."""
    moving, refused = unique("moving"), unique("refused")
    create_topics(private_lab["source"], "%s:2" % moving, "%s:1" % refused)
    create_topics(private_lab["destination"], "%s.dst:2" % moving)
    state_file = str(tmp_path / "state.yaml")
    assert migration_state("set", moving, "PROXY", "--file", state_file).returncode == 0
    agent = Proc("proxy_agent.py", "--bootstrap", private_lab["source"], "--destination-bootstrap",
                 private_lab["destination"], "--state-file", state_file, "--topic", "%s:40" % moving,
                 "--topic", "%s:20" % refused, "--topic-map", "%s:%s.dst" % (moving, moving), log_dir=str(tmp_path))
    try:
        wait_until(lambda: agent.get_json("/state")["acked"][moving] >= 20, 10, message="PROXY writes acked")
        state = agent.get_json("/state")
        assert state["states"] == {moving: "PROXY", refused: "REJECT"}
        assert state["acked"][refused] == 0 and state["refused"][refused] > 0

        assert migration_state("set", moving, "MIGRATING", "--file", state_file).returncode == 0
        wait_until(lambda: agent.get_json("/state")["held"][moving] >= 20, 10, message="MIGRATING writes held")
        state = agent.get_json("/state")
        assert state["states"][moving] == "MIGRATING"
        # Nothing new reaches the source while MIGRATING: every source offset is an acked PROXY write.
        assert sum(high_watermarks(private_lab["source"], moving).values()) == state["acked"][moving]
        assert state["to_destination"][moving] == 0

        assert migration_state("set", moving, "COMPLETE", "--file", state_file).returncode == 0
        held = state["held"][moving]
        state = wait_until(lambda: (lambda s: s if s["held"][moving] == 0 and s["to_destination"][moving] > held
                                    else None)(agent.get_json("/state")), 10, message="held writes sent to the destination")
        agent.post("/pause")

        def settled():
            first = agent.get_json("/state")
            time.sleep(0.5)
            second = agent.get_json("/state")
            return second if first == second else None
        state = wait_until(settled, 10, message="deliveries settled")
        # The counters (records forwarded to the source) stopped at the PROXY writes...
        assert sum(high_watermarks(private_lab["source"], moving).values()) == state["acked"][moving]
        assert scrape(agent)[("kafka_proxy_produced_records_total", moving + ".dst")] == state["acked"][moving]
        # ...and every COMPLETE write, the held ones included, is on the destination topic.
        assert sum(high_watermarks(private_lab["destination"], moving + ".dst").values()) == state["to_destination"][moving]
        assert state["failed"] == {moving: 0, refused: 0}
        assert agent.stop() == 0
    finally:
        agent.stop()


def test_cutover_with_the_stand_in_is_clean_and_a_rogue_write_is_counted(private_lab, tmp_path):
    """scripts/demo's story, on private brokers: a topic produced through the proxy stand-in
    throughout goes PROXY -> MIGRATING -> COMPLETE while exporterd watches. The proxied topic
    never shows an unproxied or post-migration record or any diagnostic (a false alarm is the
    worst bug); a direct write to another PROXY topic is counted."""
    moving, other = unique("cutover"), unique("bypassed")
    for cluster in ("source", "destination"):
        create_topics(private_lab[cluster], "%s:3" % moving, "%s:2" % other)
    scenario = exporterd_lab(private_lab, tmp_path)
    state_file = tmp_path / "state.json"
    scenario.set_state(moving, "PROXY")
    scenario.set_state(other, "PROXY")
    try:
        replicator_port = free_port()
        scenario.start_replicator(replicator_port, [moving, other])
        agent_port = free_port()
        scenario.start("agent", [sys.executable, os.path.join(SCRIPTS, "proxy_agent.py"),
                                 "--bootstrap", private_lab["source"], "--destination-bootstrap", private_lab["destination"],
                                 "--state-file", str(state_file), "--listen", "127.0.0.1:%d" % agent_port,
                                 "--publish-delay-max", "1.9", "--topic", "%s:8" % moving, "--topic", "%s:1" % other])
        agent_state = lambda: json.loads(urllib.request.urlopen("http://127.0.0.1:%d/state" % agent_port, timeout=5).read())
        wait_until(lambda: port_open(agent_port), 15, message="agent listening")
        scenario.write_config([moving, other], [agent_port])
        scenario.start_exporterd()

        bad = []

        def check(expect_state=None):
            """Reads /metrics; records any count or diagnostic on the proxied topic."""
            metrics = scenario.metrics()
            for (name, labels), value in metrics.items():
                labels = dict(labels)
                if labels.get("topic") != moving or not value:
                    continue
                if name in ("kafka_migration_unproxied_source_records_total",
                            "kafka_migration_post_migration_source_records_total",
                            "kafka_migration_diagnostic_active"):
                    bad.append((name, labels, value))
            states = {dict(l)["state"] for (n, l), v in metrics.items()
                      if n == "kafka_migration_topic_state" and dict(l).get("topic") == moving and v == 1}
            return expect_state is None or states == {expect_state}

        def watch(seconds, expect_state=None):
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                check(expect_state)
                time.sleep(0.25)

        def move_to(state):
            scenario.set_state(moving, state)
            wait_until(lambda: check(state), 15, 0.25, "exporterd sees %s %s" % (moving, state))

        wait_until(lambda: (scenario.value("kafka_migration_proxied_records_total", topic=moving) or 0) >= 20, 20, 0.25,
                   "proxied records counted")
        watch(6, "PROXY")
        move_to("MIGRATING")
        wait_until(lambda: agent_state()["held"][moving] >= 8, 10, 0.25, "agent holds MIGRATING writes")
        source_at_cutover = sum(high_watermarks(private_lab["source"], moving).values())
        watch(6, "MIGRATING")  # the replicator drains what was in flight
        wait_until(lambda: scenario.value("kafka_migration_replication_offset_lag", topic=moving) == 0, 15, 0.25,
                   "lag drained")
        move_to("COMPLETE")
        wait_until(lambda: agent_state()["to_destination"][moving] >= 8, 10, 0.25, "COMPLETE writes reach the destination")
        # confirm_polls (3) polls at 1 s plus publish_delay (2 s), three times over.
        watch(10, "COMPLETE")
        assert sum(high_watermarks(private_lab["source"], moving).values()) == source_at_cutover
        assert agent_state()["failed"][moving] == 0

        # A producer that bypasses the proxy on the other PROXY topic is counted.
        rogue = run_script("rogue_producer.py", "--bootstrap", private_lab["source"], "--topic", other, "--count", "12")
        assert json.loads(rogue.stdout)["acked"] == 12
        wait_until(lambda: (scenario.value("kafka_migration_unproxied_source_records_total", topic=other) or 0) > 0,
                   30, 0.25, "the rogue write counted")
        watch(3, "COMPLETE")
        # Never above the truth (CONTRACT §5 (1)); under 1 record/s of proxied traffic it trails by at most a few.
        assert 0 < scenario.value("kafka_migration_unproxied_source_records_total", topic=other) <= 12
        assert bad == [], "the proxied topic raised counts or diagnostics: %r" % bad[:5]

        status, body = exporter_http(scenario, "/api/v1/events?limit=1000")
        events = [(e["topic"], e["type"]) for e in json.loads(body)["events"]]
        assert [t for topic, t in events if topic == moving] == ["INITIATED", "COMPLETED"], events
        assert (other, "UNPROXIED_WRITES_DETECTED") in events
    finally:
        scenario.close()


def exporter_http(scenario, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (scenario.port, path), timeout=5) as response:
        return response.status, response.read().decode()
