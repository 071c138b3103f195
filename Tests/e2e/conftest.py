"""Shared fixtures for the end-to-end tests: the lab's brokers (started by scripts/test via
scripts/lab), the built exporterd binary, and real Kafka clients from scripts/labctl.py."""
import json
import os
import subprocess
import sys
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))


def _require(name):
    value = os.environ.get(name)
    if not value:
        pytest.skip("%s is not set: run through scripts/test, which starts the lab" % name)
    return value


@pytest.fixture(scope="session")
def lab():
    return {
        "source": _require("LAB_SOURCE"),
        "destination": _require("LAB_DESTINATION"),
        "exporterd": _require("EXPORTERD_BIN"),
        "python": os.environ.get("LAB_PYTHON", sys.executable),
    }


@pytest.fixture
def unique():
    return lambda prefix: "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def labctl(lab, *args):
    result = subprocess.run([lab["python"], os.path.join(ROOT, "scripts", "labctl.py"), *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def kafka_python_offsets(lab, bootstrap, topics):
    """end_offsets / beginning_offsets as kafka-python reads them."""
    return json.loads(labctl(lab, "offsets", "--bootstrap", bootstrap, *topics))


def write_config(tmp_path, lab, mappings, extra=""):
    source_host, source_port = lab["source"].rsplit(":", 1)
    dest_host, dest_port = lab["destination"].rsplit(":", 1)
    lines = [
        "source:",
        "  bootstrap_brokers: [{hostname: %s, port: %s}]" % (source_host, source_port),
        "destination:",
        "  bootstrap_brokers: [{hostname: %s, port: %s}]" % (dest_host, dest_port),
        "topic_mappings:",
    ] + ["  - {source_topic: %s, destination_topic: %s}" % m for m in mappings]
    path = tmp_path / "exporterd.yaml"
    path.write_text("\n".join(lines) + "\n" + extra)
    return str(path)


def exporterd(lab, *args, timeout=120):
    return subprocess.run([lab["exporterd"], *args], capture_output=True, text=True, timeout=timeout)
