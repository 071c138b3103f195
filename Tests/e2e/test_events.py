"""Migration events end to end (issue 5): a topic driven through the state file
REJECT → PROXY → MIGRATING → PROXY (abort) → MIGRATING → COMPLETE gives ENABLED, INITIATED,
ABORTED, INITIATED, COMPLETED in /api/v1/events and on an SSE client connected throughout;
kill -9 between a transition and the next poll leaves no gap and no duplicate; an SSE client
resuming with Last-Event-ID gets exactly the events it missed."""
import json
import threading
import time
import urllib.request

import pytest

from conftest import labctl
from exporter_lab import ExporterLab, http, wait_for

EXPECTED = ["ENABLED", "INITIATED", "ABORTED", "INITIATED", "COMPLETED"]


class SSEClient(threading.Thread):
    """Reads /api/v1/events/stream in the background and keeps (id, data) pairs."""

    def __init__(self, url, last_event_id=None):
        super().__init__(daemon=True)
        self.url = url
        self.last_event_id = last_event_id
        self.events = []
        self.error = None

    def run(self):
        request = urllib.request.Request(self.url)
        if self.last_event_id is not None:
            request.add_header("Last-Event-ID", str(self.last_event_id))
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                assert response.headers["Content-Type"].startswith("text/event-stream")
                event_id, data = None, None
                for raw in response:
                    line = raw.decode().rstrip("\n")
                    if line.startswith("id:"):
                        event_id = int(line[3:].strip())
                    elif line.startswith("data:"):
                        data = json.loads(line[5:].strip())
                    elif line == "" and data is not None:
                        self.events.append((event_id, data))
                        event_id, data = None, None
        except Exception as error:  # the server going away ends the stream
            self.error = error


def topic_events(scenario, topic):
    status, body = http("GET", "http://127.0.0.1:%d/api/v1/events?topic=%s&limit=1000" % (scenario.port, topic))
    assert status == 200
    return json.loads(body)["events"]


@pytest.fixture
def scenario(lab, tmp_path):
    lab_scenario = ExporterLab(lab, tmp_path)
    yield lab_scenario
    lab_scenario.close()


def test_transitions_give_events_without_gaps_or_duplicates(lab, unique, scenario):
    topic = unique("events")
    for cluster in (lab["source"], lab["destination"]):
        labctl(lab, "create-topics", "--bootstrap", cluster, "%s:1" % topic)
    agent_port = scenario.port + 1
    scenario.start_agent("agent", agent_port, [(topic, 1)], paused=True)
    scenario.write_config([topic], [agent_port])
    # A document that does not list the topic: exporterd sees it in REJECT first, so the move
    # to PROXY is a transition it witnessed (ENABLED), not a first sighting.
    (scenario.dir / "state.json").write_text('{"topics": []}')
    scenario.start_exporterd()
    stream = SSEClient("http://127.0.0.1:%d/api/v1/events/stream?topic=%s" % (scenario.port, topic))
    stream.start()
    time.sleep(2)

    def step(state, expected_count):
        scenario.set_state(topic, state)
        wait_for(lambda: len(topic_events(scenario, topic)) >= expected_count, 15,
                 message="%d events after %s" % (expected_count, state))
        time.sleep(2)  # at least one more poll sees the state before the next change

    step("PROXY", 1)
    step("MIGRATING", 2)
    step("PROXY", 3)
    # kill -9 right after the transition is written, before exporterd's next poll commits it.
    scenario.set_state(topic, "MIGRATING")
    scenario.kill_exporterd()
    scenario.start_exporterd()
    wait_for(lambda: len(topic_events(scenario, topic)) >= 4, 15, message="INITIATED after restart")
    time.sleep(2)
    resumed_from = topic_events(scenario, topic)[1]["seq"]
    resumed = SSEClient("http://127.0.0.1:%d/api/v1/events/stream?topic=%s" % (scenario.port, topic),
                        last_event_id=resumed_from)
    resumed.start()
    step("COMPLETE", 5)

    events = topic_events(scenario, topic)
    assert [e["type"] for e in events] == EXPECTED
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)), "strictly increasing, no duplicate"
    assert [(e["from"], e["to"]) for e in events] == [
        ("REJECT", "PROXY"), ("PROXY", "MIGRATING"), ("MIGRATING", "PROXY"), ("PROXY", "MIGRATING"), ("MIGRATING", "COMPLETE")]
    assert events[2]["details"], "ABORTED carries details (seconds spent MIGRATING, lag)"

    # The first client saw the stream until the kill -9 ended it: a prefix, in order.
    stream.join(1)
    seen = [data["seq"] for _, data in stream.events]
    assert seen == seqs[:len(seen)] and len(seen) >= 3
    # The client resuming with Last-Event-ID gets exactly what came after it.
    wait_for(lambda: len(resumed.events) >= len(seqs) - 2, 10, message="resumed SSE client")
    assert [event_id for event_id, _ in resumed.events] == seqs[2:]
    assert [data for _, data in resumed.events] == events[2:]
