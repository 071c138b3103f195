"""A running exporterd with its lab around it, for the end-to-end tests: proxy-agent
stand-ins, a replicator, a state file, and ways to read /metrics. Every process is started
here and stopped by PID at teardown."""
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

from conftest import ROOT
from labcommon import free_port  # noqa: F401  (re-exported to the test modules)

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels)): value} from a Prometheus text page."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, "unparsable line: %r" % line
        labels = frozenset(LABEL.findall(match.group(3) or ""))
        samples[(match.group(1), labels)] = float(match.group(4))
    return samples


class Process:
    def __init__(self, args, log_path):
        self.log = open(log_path, "w")
        self.args = args
        self.popen = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log.close()


def http(method, url, timeout=5):
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read().decode()


def wait_for(predicate, timeout, interval=0.5, message="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, message, last))


class ExporterLab:
    """Owns the processes of one scenario."""

    def __init__(self, lab, tmp_path):
        self.lab = lab
        self.dir = tmp_path
        self.python = lab["python"]
        self.processes = {}
        self.port = free_port()

    def script(self, name):
        return os.path.join(ROOT, "scripts", name)

    def start(self, key, args):
        self.processes[key] = Process(args, str(self.dir / ("%s.log" % key)))
        return self.processes[key]

    def start_agent(self, key, port, topics, paused=False, delay_max=1.9):
        args = [self.python, self.script("proxy_agent.py"), "--bootstrap", self.lab["source"],
                "--listen", "127.0.0.1:%d" % port, "--publish-delay-max", str(delay_max)]
        for topic, rate in topics:
            args += ["--topic", "%s:%s" % (topic, rate)]
        if paused:
            args.append("--paused")
        self.start(key, args)
        wait_for(lambda: self._answers("http://127.0.0.1:%d/healthz" % port), 20, message="agent %s" % key)

    def start_replicator(self, port, topics):
        args = [self.python, self.script("replicator.py"), "--source", self.lab["source"],
                "--destination", self.lab["destination"], "--listen", "127.0.0.1:%d" % port]
        for topic in topics:
            args += ["--topic", topic]
        self.start("replicator", args)
        wait_for(lambda: self._answers("http://127.0.0.1:%d/healthz" % port), 20, message="replicator")

    def set_state(self, topic, state):
        subprocess.run([self.python, self.script("migration_state.py"), "set", topic, state,
                        "--file", str(self.dir / "state.json")], check=True, capture_output=True)

    def write_config(self, mappings, agent_ports, extra=""):
        source_host, source_port = self.lab["source"].rsplit(":", 1)
        dest_host, dest_port = self.lab["destination"].rsplit(":", 1)
        targets = ", ".join("http://127.0.0.1:%d/metrics" % p for p in agent_ports)
        text = "\n".join([
            "listen_address: 127.0.0.1:%d" % self.port,
            "poll_interval: 1s",
            "data_dir: ./data",
            "source: {bootstrap_brokers: [{hostname: %s, port: %s}]}" % (source_host, source_port),
            "destination: {bootstrap_brokers: [{hostname: %s, port: %s}]}" % (dest_host, dest_port),
            "topic_mappings:",
        ] + ["  - {source_topic: %s}" % t for t in mappings] + [
            "proxy_metrics: {targets: [%s], publish_delay: 2s, timeout: 1s}" % targets,
            "migration_state: {file: state.json}",
            "diagnostics: {confirm_polls: 3}",
        ]) + "\n" + extra
        (self.dir / "exporterd.yaml").write_text(text)

    def start_exporterd(self):
        self.start("exporterd", [self.lab["exporterd"], "run", "--config", str(self.dir / "exporterd.yaml")])
        wait_for(lambda: self._answers("http://127.0.0.1:%d/readyz" % self.port), 60, message="exporterd /readyz")

    def kill_exporterd(self):
        self.processes.pop("exporterd").stop(signal.SIGKILL)

    def metrics_text(self):
        return http("GET", "http://127.0.0.1:%d/metrics" % self.port)[1]

    def metrics(self):
        return parse_metrics(self.metrics_text())

    def value(self, name, **labels):
        return self.metrics().get((name, frozenset(labels.items())))

    def _answers(self, url):
        try:
            return http("GET", url, timeout=2)[0] == 200
        except OSError:
            return False

    def close(self):
        for process in reversed(list(self.processes.values())):
            process.stop()
