"""Private Tansu brokers and lab stand-in processes for end-to-end tests that must not share
the lab's brokers (scripts/lab) with other suites.

`private_lab` (module scope) starts a source and a destination broker on free loopback
ports with in-memory storage and stops exactly those two processes (by PID) at teardown.
`Proc` runs one of the scripts/ stand-ins and stops it by PID with SIGTERM (SIGKILL after
10 s). Import the fixture into a test module: `from private_brokers import private_lab`.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, "scripts")
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)
from labcommon import find_tansu, free_port, port_open  # noqa: E402,F401  (re-exported to the test modules)


def tansu_binary():
    path = find_tansu()
    if path:
        return path
    pytest.skip("no tansu binary (run scripts/lab install)")


def wait_until(predicate, timeout, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("%s not met within %.1fs" % (message, timeout))
        time.sleep(interval)


def stop_pid(process, timeout=10):
    """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode


class Broker:
    def __init__(self, name, log_dir):
        self.port = free_port()
        self.address = "127.0.0.1:%d" % self.port
        cluster = "%s-%s" % (name, uuid.uuid4().hex[:6])
        self.log = open(os.path.join(log_dir, "%s.log" % name), "w")
        self.process = subprocess.Popen(
            [tansu_binary(), "broker", "--cluster-id", cluster,
             "--listener-url", "tcp://%s" % self.address, "--advertised-listener-url", "tcp://%s" % self.address,
             "--storage-engine", "memory://%s/" % cluster],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.process.poll() is not None or port_open(self.port), 10, 0.05, "%s listening" % name)
        assert self.process.poll() is None, "tansu %s exited" % name

    def stop(self):
        stop_pid(self.process, 5)
        self.log.close()


@pytest.fixture(scope="module")
def private_lab(tmp_path_factory):
    log_dir = str(tmp_path_factory.mktemp("private-brokers"))
    source = Broker("source", log_dir)
    try:
        destination = Broker("destination", log_dir)
    except BaseException:
        source.stop()
        raise
    try:
        yield {"source": source.address, "destination": destination.address, "logs": log_dir}
    finally:
        source.stop()
        destination.stop()


class Proc:
    """A scripts/ stand-in as a subprocess, with HTTP helpers when it has `--listen`."""

    def __init__(self, script, *args, listen=True, log_dir=None):
        self.port = free_port() if listen else None
        argv = [sys.executable, os.path.join(SCRIPTS, script), *args]
        if listen:
            argv += ["--listen", "127.0.0.1:%d" % self.port]
        # The basename: joined as given, an absolute script path would replace log_dir and
        # leave the log beside the script, in the source tree.
        name = os.path.basename(script)
        self.log_path = os.path.join(log_dir, "%s-%d.log" % (name, time.monotonic_ns())) if log_dir else os.devnull
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        if listen:
            wait_until(lambda: self.process.poll() is not None or port_open(self.port), 15, 0.05, "%s listening" % script)
            assert self.process.poll() is None, "%s exited: %s" % (script, self.output())

    def output(self):
        self.log.flush()
        return open(self.log_path).read() if self.log_path != os.devnull else ""

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def get(self, path):
        with urllib.request.urlopen(self.url(path), timeout=5) as response:
            return response.read().decode()

    def get_json(self, path):
        return json.loads(self.get(path))

    def post(self, path):
        request = urllib.request.Request(self.url(path), data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read().decode())

    def stop(self):
        code = stop_pid(self.process)
        self.log.close()
        return code


def create_topics(bootstrap, *specs):
    import argparse
    import labctl
    labctl.create_topics(argparse.Namespace(bootstrap=bootstrap, topics=list(specs)))


def high_watermarks(bootstrap, topic):
    """{partition: HWM} read with a fresh librdkafka consumer."""
    from confluent_kafka import Consumer
    from labcommon import watermarks
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "test-probe"})
    try:
        return {p: high for p, (low, high) in watermarks(consumer, topic).items()}
    finally:
        consumer.close()


def read_records(bootstrap, topic, partition, count):
    """The first `count` records of a partition as (offset, key, value, timestamp)."""
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "test-reader", "enable.auto.commit": False,
                         "fetch.wait.max.ms": 100})
    consumer.assign([TopicPartition(topic, partition, 0)])
    records, deadline = [], time.monotonic() + 10
    try:
        while len(records) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                records.append((message.offset(), message.key(), message.value(), message.timestamp()[1]))
    finally:
        consumer.close()
    return records
