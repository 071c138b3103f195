"""`exporterd check` against the lab's Tansu brokers, proxy-agent stand-ins and a state file
(CONTRACT §8): every line ✓ when all answer (Tansu lacks DescribeProducers: that one line is a
warning, not a failure); an agent down, the destination on an HTTP port and on a port that
never answers each fail their line, exit 1, within request_timeout plus a margin; a bad config
exits 2."""
import contextlib
import socket
import threading
import time

from conftest import exporterd, labctl
from exporter_lab import ExporterLab, free_port

REQUEST_TIMEOUT = 2.0
# Process start, the other checks and a loaded machine; a hang would take far longer.
MARGIN = 5.0


@contextlib.contextmanager
def lab_around(lab, tmp_path, unique, agents=1):
    """Topics on both clusters, `agents` agent stand-ins counting them, a state file listing them."""
    scenario = ExporterLab(lab, tmp_path)
    topics = [unique("check-orders"), unique("check-payments")]
    for cluster in (lab["source"], lab["destination"]):
        labctl(lab, "create-topics", "--bootstrap", cluster, "%s:3" % topics[0], "%s:2" % topics[1])
    ports = [free_port() for _ in range(agents)]
    try:
        for index, port in enumerate(ports):
            scenario.start_agent("agent%d" % index, port, [(t, 0) for t in topics])
        scenario.set_state(topics[0], "PROXY")
        scenario.set_state(topics[1], "COMPLETE")
        yield scenario, topics, ports
    finally:
        for process in scenario.processes.values():
            process.stop()


def write_config(scenario, topics, ports, destination=None):
    source_host, source_port = scenario.lab["source"].rsplit(":", 1)
    dest_host, dest_port = (destination or scenario.lab["destination"]).rsplit(":", 1)
    text = "\n".join([
        "source: {bootstrap_brokers: [{hostname: %s, port: %s}], request_timeout: %gs}" % (source_host, source_port, REQUEST_TIMEOUT),
        "destination: {bootstrap_brokers: [{hostname: %s, port: %s}], request_timeout: %gs}" % (dest_host, dest_port, REQUEST_TIMEOUT),
        "topic_mappings:",
    ] + ["  - {source_topic: %s}" % t for t in topics] + [
        "proxy_metrics: {targets: [%s], timeout: 1s}" % ", ".join("http://127.0.0.1:%d/metrics" % p for p in ports),
        "migration_state: {file: state.json, timeout: 2s}",
    ]) + "\n"
    path = scenario.dir / "exporterd.yaml"
    path.write_text(text)
    return str(path)


def run_check(lab, config):
    started = time.monotonic()
    result = exporterd(lab, "check", "--config", config, timeout=60)
    elapsed = time.monotonic() - started
    print("exporterd check took %.2f s, exit %d\n%s" % (elapsed, result.returncode, result.stdout))
    return result, elapsed


def lines(result, mark):
    return [line for line in result.stdout.splitlines() if line.startswith(mark + " ")]


def test_everything_answering_passes(lab, unique, tmp_path):
    with lab_around(lab, tmp_path, unique, agents=2) as (scenario, topics, ports):
        result, _ = run_check(lab, write_config(scenario, topics, ports))
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines(result, "✗") == []
    # Tansu 0.6 offers no DescribeProducers; nothing else may warn.
    warnings = lines(result, "⚠")
    assert warnings and all("DescribeProducers not offered → direct-producer check disabled" in w for w in warnings), warnings
    passed = lines(result, "✓")
    for topic, partitions in zip(topics, (3, 2)):
        assert "✓ topic %s → %s: %d partitions on both clusters" % (topic, topic, partitions) in passed
    for port in ports:
        agent = [line for line in passed if line.startswith("✓ agent http://127.0.0.1:%d/metrics: " % port)]
        assert agent and "2 of 2 watched topics on the page" in agent[0], passed
    assert any(line.startswith("✓ source broker ") and "ListOffsets v" in line for line in passed)
    assert any(line.startswith("✓ destination broker ") for line in passed)
    assert any(line.startswith("✓ migration state ") and "(1 PROXY, 1 COMPLETE)" in line for line in passed)
    assert result.stdout.splitlines()[-1].startswith("check passed: ")


def test_one_agent_down_fails_naming_it(lab, unique, tmp_path):
    with lab_around(lab, tmp_path, unique, agents=2) as (scenario, topics, ports):
        scenario.processes.pop("agent1").stop()
        result, _ = run_check(lab, write_config(scenario, topics, ports))
    assert result.returncode == 1
    failed = lines(result, "✗")
    assert len(failed) == 1, failed
    assert failed[0].startswith("✗ agent http://127.0.0.1:%d/metrics: unreachable" % ports[1]), failed
    assert any(line.startswith("✓ agent http://127.0.0.1:%d/metrics: " % ports[0]) for line in lines(result, "✓"))


def test_destination_on_an_http_port_fails_within_the_timeout(lab, unique, tmp_path):
    with lab_around(lab, tmp_path, unique) as (scenario, topics, ports):
        # The agent's own HTTP port: it answers, but not in Kafka.
        result, elapsed = run_check(lab, write_config(scenario, topics, ports, destination="127.0.0.1:%d" % ports[0]))
    assert result.returncode == 1
    destination = [line for line in lines(result, "✗") if line.startswith("✗ destination cluster: ")]
    assert destination and "is this port really Kafka?" in destination[0], result.stdout
    assert any(line.startswith("✓ source cluster: ") for line in lines(result, "✓"))
    assert elapsed < REQUEST_TIMEOUT + MARGIN, elapsed


@contextlib.contextmanager
def silent_port():
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for connection in accepted:
            connection.close()
        listener.close()


def test_destination_that_never_answers_fails_within_the_timeout(lab, unique, tmp_path):
    with lab_around(lab, tmp_path, unique) as (scenario, topics, ports), silent_port() as port:
        result, elapsed = run_check(lab, write_config(scenario, topics, ports, destination="127.0.0.1:%d" % port))
    assert result.returncode == 1
    destination = [line for line in lines(result, "✗") if line.startswith("✗ destination cluster: ")]
    assert destination and "timed out after 2000 ms" in destination[0], result.stdout
    # The other checks still ran and passed.
    assert any(line.startswith("✓ agent ") for line in lines(result, "✓"))
    assert any(line.startswith("✓ migration state ") for line in lines(result, "✓"))
    assert REQUEST_TIMEOUT <= elapsed < REQUEST_TIMEOUT + MARGIN, elapsed


def test_bad_config_exits_2(lab, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("source: {bootstrap_brokers: [{hostname: 127.0.0.1, port: 70000}]}\n")
    result = exporterd(lab, "check", "--config", str(config))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("exporterd: config error: source.bootstrap_brokers[0].port: "), result.stderr
