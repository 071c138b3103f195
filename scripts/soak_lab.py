"""The processes of one soak run (scripts/soak): two private Tansu brokers on free ports, the
replicator and proxy-agent stand-ins, and exporterd itself. Every process is started here and
stopped by its own PID (SIGTERM, SIGKILL after a timeout); nothing binds the shared lab's ports.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "scripts")


sys.path.insert(0, SCRIPTS)
from labcommon import find_tansu, free_port, port_open  # noqa: E402,F401  (free_port, port_open: used by the soak modules)


class SoakSetupError(Exception):
    """A process of the soak's lab did not start or answer."""


def http(method, url, timeout=5):
    """(status, body text); raises OSError (urllib's URLError included) when unreachable."""
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def answers(url, timeout=2):
    try:
        return http("GET", url, timeout)[0] == 200
    except OSError:
        return False


def wait_until(predicate, timeout, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise SoakSetupError("%s not met within %.0f s" % (what, timeout))
        time.sleep(interval)


def tansu_binary():
    path = find_tansu()
    if path:
        return path
    raise SoakSetupError("no tansu binary: set LAB_TANSU or run scripts/lab install")


class Process:
    """One child process with its log file; stopped only through its own PID."""

    def __init__(self, name, argv, log_dir, cwd=None):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(log_dir, "%s.log" % name)
        self.log = open(self.log_path, "a")
        self.log.write("--- start %s: %s\n" % (time.strftime("%H:%M:%S"), " ".join(argv)))
        self.log.flush()
        self.popen = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Sends `sig` and waits; SIGKILL after `timeout`. Returns (exit code, seconds to exit)."""
        started = time.monotonic()
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self.log.close()
        return self.popen.returncode, time.monotonic() - started


class Broker:
    def __init__(self, name, log_dir):
        self.port = free_port()
        self.address = "127.0.0.1:%d" % self.port
        cluster = "soak-%s-%s" % (name, uuid.uuid4().hex[:6])
        self.process = Process("tansu-%s" % name, [
            tansu_binary(), "broker", "--cluster-id", cluster,
            "--listener-url", "tcp://%s" % self.address, "--advertised-listener-url", "tcp://%s" % self.address,
            "--storage-engine", "memory://%s/" % cluster], log_dir)
        wait_until(lambda: not self.process.alive() or port_open(self.port), 15, 0.05, "tansu %s listening" % name)
        if not self.process.alive():
            raise SoakSetupError("tansu %s exited, see %s" % (name, self.process.log_path))


def create_topics(bootstrap, partitions_by_topic):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(t, n, 1) for t, n in partitions_by_topic.items()], operation_timeout=60)
    for future in futures.values():
        future.result(60)


class Agent:
    """A proxy_agent.py stand-in following the state file; `generation` counts its restarts."""

    def __init__(self, name, lab, rates, publish_delay_max, state_file, log_dir):
        self.name = name
        self.lab = lab
        self.rates = rates
        self.publish_delay_max = publish_delay_max
        self.state_file = state_file
        self.log_dir = log_dir
        self.port = free_port()
        self.process = None
        self.generation = 0

    @property
    def metrics_url(self):
        return "http://127.0.0.1:%d/metrics" % self.port

    def start(self, paused):
        argv = [sys.executable, os.path.join(SCRIPTS, "proxy_agent.py"), "--bootstrap", self.lab["source"],
                "--destination-bootstrap", self.lab["destination"], "--listen", "127.0.0.1:%d" % self.port,
                "--publish-delay-max", str(self.publish_delay_max), "--state-file", self.state_file]
        for topic, rate in sorted(self.rates.items()):
            argv += ["--topic", "%s:%s" % (topic, rate)]
        if paused:
            argv.append("--paused")
        self.generation += 1
        self.process = Process("agent-%s" % self.name, argv, self.log_dir)
        wait_until(lambda: not self.process.alive() or answers("http://127.0.0.1:%d/healthz" % self.port), 30,
                   what="agent %s answering" % self.name)
        if not self.process.alive():
            raise SoakSetupError("agent %s exited, see %s" % (self.name, self.process.log_path))

    def state(self):
        return json.loads(http("GET", "http://127.0.0.1:%d/state" % self.port)[1])

    def post(self, path):
        return http("POST", "http://127.0.0.1:%d%s" % (self.port, path))

    def settle(self, timeout=30):
        """Waits (the agent paused) until nothing is in flight and every acknowledged record is
        on its page: two reads 0.3 s apart agree and published == acked. Returns that state."""
        def settled():
            first = self.state()
            time.sleep(0.3)
            second = self.state()
            if first["acked"] == second["acked"] and second["published"] == second["acked"]:
                return second
            return None
        return wait_until(settled, timeout, 0.1, "agent %s settled" % self.name)


class Exporterd:
    def __init__(self, binary, config_path, workdir, log_dir):
        self.binary = binary
        self.config_path = config_path
        self.workdir = workdir
        self.log_dir = log_dir
        self.process = None
        self.starts = 0

    def start(self, port, timeout=90, probe=None):
        """Starts exporterd and waits for /readyz; `probe()` runs every 0.1 s meanwhile (the soak
        scrapes /metrics then: a page served before the first poll must not go backwards)."""
        self.starts += 1
        self.process = Process("exporterd", [self.binary, "run", "--config", self.config_path], self.log_dir,
                               cwd=self.workdir)

        def ready():
            if probe is not None:
                probe()
            return not self.process.alive() or answers("http://127.0.0.1:%d/readyz" % port)
        wait_until(ready, timeout, 0.1, "exporterd /readyz")
        if not self.process.alive():
            raise SoakSetupError("exporterd exited, see %s" % self.process.log_path)

    def rss_kib(self):
        """VmRSS of the running process in KiB, or None."""
        if self.process is None or not self.process.alive():
            return None
        try:
            with open("/proc/%d/status" % self.process.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None


def write_config(path, port, lab, agents, topics, poll_interval, publish_delay, confirm_polls):
    source_host, source_port = lab["source"].rsplit(":", 1)
    dest_host, dest_port = lab["destination"].rsplit(":", 1)
    lines = [
        "listen_address: 127.0.0.1:%d" % port,
        "poll_interval: %ds" % poll_interval,
        "data_dir: ./data",
        "source: {bootstrap_brokers: [{hostname: %s, port: %s}], request_timeout: 3s}" % (source_host, source_port),
        "destination: {bootstrap_brokers: [{hostname: %s, port: %s}], request_timeout: 3s}" % (dest_host, dest_port),
        "topic_mappings:",
    ] + ["  - {source_topic: %s}" % t for t in topics] + [
        "proxy_metrics: {targets: [%s], publish_delay: %ss, timeout: 2s}" % (
            ", ".join(a.metrics_url for a in agents), publish_delay),
        "migration_state: {file: state.json, default_migration_timeout: 3600s}",
        "diagnostics: {confirm_polls: %d}" % confirm_polls,
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
