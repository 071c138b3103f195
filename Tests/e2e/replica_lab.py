"""Two or more exporterd replicas watching one lab, for Tests/e2e/test_replicas.py: each replica
with its own data_dir and port and the shared rest of the config, the lab around them (state
file, proxy agents, rogue writes and their ledger), and the quiet-period comparison that prints
the per-topic table. Every process is started here and stopped by PID."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

from exporter_lab import Process, free_port, http, parse_metrics
from private_brokers import SCRIPTS, Proc, high_watermarks, wait_until

POLL_INTERVAL, PUBLISH_DELAY, CONFIRM_POLLS = 1, 2, 3
AGENT_DELAY_MAX = 1.9   # below publish_delay, as CONTRACT §5 requires of agents
QUIET_SECONDS = PUBLISH_DELAY + CONFIRM_POLLS * POLL_INTERVAL   # the quiet period must exceed this
COUNTERS = ("unproxied", "post_migration", "proxied_records", "proxied_bytes", "source_offsets",
            "destination_offsets")
METRIC = {
    "unproxied": "kafka_migration_unproxied_source_records_total",
    "post_migration": "kafka_migration_post_migration_source_records_total",
    "proxied_records": "kafka_migration_proxied_records_total",
    "proxied_bytes": "kafka_migration_proxied_bytes_total",
    "source_offsets": "kafka_migration_source_offsets_total",
    "destination_offsets": "kafka_migration_destination_offsets_total",
}


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:6])


class Replica:
    """One exporterd with its own data_dir and port; the rest of the config is shared."""

    def __init__(self, name, binary, directory, shared_config):
        self.name, self.binary, self.dir = name, binary, directory
        self.port = free_port()
        os.makedirs(directory, exist_ok=True)
        self.config = os.path.join(directory, "exporterd.yaml")
        with open(self.config, "w") as f:
            f.write("listen_address: 127.0.0.1:%d\ndata_dir: %s\n%s"
                    % (self.port, os.path.join(directory, "data"), shared_config))
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.process = Process([self.binary, "run", "--config", self.config],
                               os.path.join(self.dir, "exporterd-%d.log" % self.starts))
        wait_until(self.ready, 60, 0.25, "%s /readyz" % self.name)

    def ready(self):
        if self.process.popen.poll() is not None:
            raise AssertionError("%s exited with %s" % (self.name, self.process.popen.returncode))
        try:
            return http("GET", "http://127.0.0.1:%d/readyz" % self.port, timeout=2)[0] == 200
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM):
        code = None
        if self.process is not None:
            self.process.stop(sig)
            code = self.process.popen.returncode
            self.process = None
        return code

    @property
    def running(self):
        return self.process is not None

    def metrics(self):
        return parse_metrics(http("GET", "http://127.0.0.1:%d/metrics" % self.port)[1])

    def complete_polls(self):
        """Polls so far, once every agent and partition answered on the last one (else None)."""
        page = self.metrics()
        if any(v != 1 for (n, _), v in page.items() if n == "kafka_migration_proxy_target_up"):
            return None
        answered = {dict(l)["cluster"]: v for (n, l), v in page.items() if n == "kafka_migration_partitions_answered"}
        total = {dict(l)["cluster"]: v for (n, l), v in page.items() if n == "kafka_migration_partitions"}
        if not total or answered != total:
            return None
        return page.get(("kafka_migration_poll_duration_seconds_count", frozenset({("cluster", "source")})))

    def wait_for_quiet_baseline(self, polls=3):
        """Lets the replica make `polls` complete polls while nothing is proxied: its first
        complete poll of each PROXY/MIGRATING topic is the unproxied baseline (CONTRACT §5),
        and only a quiet baseline makes the count exact after a quiet period."""
        start = wait_until(self.complete_polls, 30, 0.2, "%s polls completely" % self.name)
        wait_until(lambda: (self.complete_polls() or 0) >= start + polls, 30, 0.2, "%s: %d more polls" % (self.name, polls))

    def events(self):
        body = http("GET", "http://127.0.0.1:%d/api/v1/events?limit=1000" % self.port)[1]
        return json.loads(body)["events"]


def counters(metrics, topics):
    """{topic: {counter: value}} and {event type: count} from one /metrics page."""
    per_topic = {t: {c: metrics.get((METRIC[c], frozenset({("topic", t)})), 0.0) for c in COUNTERS} for t in topics}
    events = {dict(labels)["type"]: value for (name, labels), value in metrics.items()
              if name == "kafka_migration_events_total" and value}
    return per_topic, events


class Lab:
    """The shared lab: state file, agents, replicator, rogue writes and their ledger."""

    def __init__(self, brokers, directory, topics):
        self.brokers, self.dir, self.topics = brokers, directory, topics
        self.state_file = os.path.join(directory, "state.json")
        self.states = {}
        self.rogue = {t: {"unproxied": 0, "post_migration": 0} for t in topics}
        self.moves = Counter()
        self.agents = []
        self.streaming = set()   # topics a rogue stream writes to right now: truth unknown

    def set_state(self, topic, state):
        previous = self.states.get(topic)
        subprocess.run([sys.executable, os.path.join(SCRIPTS, "migration_state.py"), "set", topic, state,
                        "--file", self.state_file], check=True, capture_output=True, timeout=20)
        self.states[topic] = state
        if previous is not None:
            self.moves[(previous, state)] += 1

    def write_rogue(self, topic, count):
        result = subprocess.run([sys.executable, os.path.join(SCRIPTS, "rogue_producer.py"), "--bootstrap",
                                 self.brokers["source"], "--topic", topic, "--count", str(count)],
                                capture_output=True, text=True, timeout=60)
        report = json.loads(result.stdout)
        assert report["acked"] == count and report["failed"] == 0, result.stderr
        self.book(topic, count)

    def book(self, topic, count):
        kind = "post_migration" if self.states[topic] == "COMPLETE" else "unproxied"
        self.rogue[topic][kind] += count

    def start_agent(self, rates):
        args = ["--bootstrap", self.brokers["source"], "--destination-bootstrap", self.brokers["destination"],
                "--state-file", self.state_file, "--publish-delay-max", str(AGENT_DELAY_MAX), "--paused"]
        for topic, rate in rates:
            args += ["--topic", "%s:%s" % (topic, rate)]
        self.agents.append(Proc("proxy_agent.py", *args, log_dir=self.dir))

    def resume(self):
        for agent in self.agents:
            agent.post("/resume")

    def pause_and_settle(self):
        """Pauses every agent and waits until each published everything it acknowledged."""
        for agent in self.agents:
            agent.post("/pause")

        def settled(agent):
            first = agent.get_json("/state")
            time.sleep(0.3)
            second = agent.get_json("/state")
            done = first["acked"] == second["acked"] and second["published"] == second["acked"]
            return second if done else None
        return [wait_until(lambda: settled(agent), AGENT_DELAY_MAX + 10, 0.1, "agent settled") for agent in self.agents]

    def truth(self, agent_states):
        """What every replica must show once quiet."""
        expected = {}
        for topic in self.topics:
            expected[topic] = {
                "unproxied": float(self.rogue[topic]["unproxied"]),
                "post_migration": float(self.rogue[topic]["post_migration"]),
                "proxied_records": float(sum(s["acked"].get(topic, 0) for s in agent_states)),
                "proxied_bytes": float(sum(s["acked_bytes"].get(topic, 0) for s in agent_states)),
                "source_offsets": float(sum(high_watermarks(self.brokers["source"], topic).values())),
                "destination_offsets": float(sum(high_watermarks(self.brokers["destination"], topic).values())),
            }
        return expected


def print_table(phase, lab, expected, seen):
    names = sorted(seen)
    print("\nquiet period after %s:" % phase)
    header = "%-22s %-9s %-31s" % ("topic", "state", "counter") + "".join(" %12s" % n for n in ["truth"] + names)
    print(header)
    for topic in lab.topics:
        for counter in COUNTERS:
            row = "%-22s %-9s %-31s %12d" % (topic, lab.states[topic], counter, expected[topic][counter])
            row += "".join(" %12d" % seen[n][0][topic][counter] for n in names)
            print(row)
    types = sorted(set().union(*(seen[n][1] for n in names)))
    for t in types:
        print("%-22s %-9s %-31s %12s" % ("events_total", "", t, "") + "".join(" %12d" % seen[n][1].get(t, 0) for n in names))


def check_never_above_truth(lab, replicas, bad):
    """Guarantee (1) at any time: no count above the rogue records written so far."""
    for replica in replicas:
        if not replica.running:
            continue
        try:
            per_topic, _ = counters(replica.metrics(), lab.topics)
        except OSError:
            continue
        for topic in lab.topics:
            if topic in lab.streaming:
                continue
            for kind in ("unproxied", "post_migration"):
                if per_topic[topic][kind] > lab.rogue[topic][kind]:
                    bad.append((replica.name, topic, kind, per_topic[topic][kind], lab.rogue[topic][kind]))


def traffic(lab, replicas, seconds, bad):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        check_never_above_truth(lab, replicas, bad)
        time.sleep(0.5)


def quiet_and_compare(phase, lab, replicas, bad, timeout=45):
    """Ends the phase's traffic, then waits for every replica to show the truth (quiet period)."""
    quiet_from = time.monotonic()
    agent_states = lab.pause_and_settle()
    expected = lab.truth(agent_states)
    seen = {}

    def agreed():
        check_never_above_truth(lab, replicas, bad)
        expected.update(lab.truth(agent_states))   # the replicator may still be copying
        for replica in replicas:
            seen[replica.name] = counters(replica.metrics(), lab.topics)
        return all(seen[r.name][0] == expected for r in replicas) and \
            len({json.dumps(seen[r.name][1], sort_keys=True) for r in replicas}) == 1
    try:
        wait_until(agreed, timeout, 0.5, "replicas agree with the truth after %s" % phase)
    except AssertionError:
        for replica in replicas:   # what each replica knows, for the failure report
            status = json.loads(http("GET", "http://127.0.0.1:%d/api/v1/status" % replica.port)[1])
            print("%s /api/v1/status: %s" % (replica.name, json.dumps(status, sort_keys=True)[:6000]))
        raise
    finally:
        print_table(phase, lab, expected, seen)
    took = time.monotonic() - quiet_from
    print("agreed %.1f s after the agents paused (publish_delay + confirm_polls x poll_interval = %d s)"
          % (took, QUIET_SECONDS))
    # And they hold: two more polls change nothing.
    time.sleep(2 * POLL_INTERVAL + 0.2)
    assert agreed(), "replicas moved after agreeing (%s)" % phase
    return seen


def shared_config(brokers, topics, agents, state_file):
    """Everything but listen_address and data_dir, the same for every replica."""
    source_host, source_port = brokers["source"].rsplit(":", 1)
    dest_host, dest_port = brokers["destination"].rsplit(":", 1)
    targets = ", ".join("http://127.0.0.1:%d/metrics" % a.port for a in agents)
    return "\n".join([
        "poll_interval: %ds" % POLL_INTERVAL,
        "source: {bootstrap_brokers: [{hostname: %s, port: %s}]}" % (source_host, source_port),
        "destination: {bootstrap_brokers: [{hostname: %s, port: %s}]}" % (dest_host, dest_port),
        "topic_mappings:",
    ] + ["  - {source_topic: %s}" % t for t in topics] + [
        "proxy_metrics: {targets: [%s], publish_delay: %ds, timeout: 1s}" % (targets, PUBLISH_DELAY),
        "migration_state: {file: %s}" % state_file,
        "diagnostics: {confirm_polls: %d}" % CONFIRM_POLLS,
    ]) + "\n"
