"""The status page (`GET /`) in headless Chromium (issue 10), served by an exporterd that
watches a lab on private brokers with a topic in every state: screenshots at desktop and
phone width in the test's tmp dir, every watched topic with its state in the DOM, a state
change written to the state file shown on the open page without a reload, and no console
errors. Needs EXPORTERD_BIN and Debian's chromium; skipped without them."""
import os
import subprocess
import sys
import time

import pytest

import headless_chromium
from exporter_lab import ExporterLab, free_port, http, wait_for
from private_brokers import SCRIPTS, create_topics, private_lab  # noqa: F401

STATES = {"orders": "PROXY", "payments.us": "PROXY", "payments.eu": "MIGRATING", "audit": "COMPLETE", "clicks": "REJECT"}
# Direct writes exporterd must show: to a PROXY topic (unproxied) and to a COMPLETE one (post-migration).
DIRECT_WRITES = {"payments.us": 6, "audit": 5}

BADGES = """(function(){var out={};document.querySelectorAll('#topics tbody tr[data-topic]').forEach(function(r){
out[r.getAttribute('data-topic')]=r.querySelector('.badge').textContent.trim();});return out;})()"""


def answers(url):
    try:
        return http("GET", url, timeout=2)[0] == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def page_lab(private_lab, tmp_path_factory):
    binary = os.environ.get("EXPORTERD_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.skip("EXPORTERD_BIN is not set to a built exporterd")
    if headless_chromium.browser_binary() is None:
        pytest.skip("chromium is not installed (scripts/lab install)")
    tmp = tmp_path_factory.mktemp("status-page")
    lab = ExporterLab({"source": private_lab["source"], "destination": private_lab["destination"],
                       "exporterd": binary, "python": sys.executable}, tmp)
    topics = list(STATES)
    try:
        for cluster in ("source", "destination"):
            create_topics(private_lab[cluster], *("%s:2" % t for t in topics))
        for topic, state in STATES.items():
            if state != "REJECT":
                lab.set_state(topic, "PROXY" if state == "MIGRATING" else state)
        lab.start_replicator(free_port(), topics)
        agent_port = free_port()
        lab.start("agent", [sys.executable, os.path.join(SCRIPTS, "proxy_agent.py"), "--bootstrap", private_lab["source"],
                            "--destination-bootstrap", private_lab["destination"], "--state-file", str(tmp / "state.json"),
                            "--listen", "127.0.0.1:%d" % agent_port, "--publish-delay-max", "1.9",
                            "--topic", "orders:4", "--topic", "payments.us:0.5", "--topic", "payments.eu:1",
                            "--topic", "audit:1"])
        wait_for(lambda: answers("http://127.0.0.1:%d/healthz" % agent_port), 20, message="agent")
        lab.start("legacy", [sys.executable, os.path.join(SCRIPTS, "rogue_producer.py"), "--bootstrap",
                             private_lab["source"], "--topic", "clicks", "--rate", "1", "--value-prefix", "legacy"])
        lab.write_config(topics, [agent_port])
        lab.start_exporterd()
        # payments.eu goes PROXY -> MIGRATING while exporterd watches: an event for the feed.
        lab.set_state("payments.eu", "MIGRATING")
        wait_for(lambda: lab.value("kafka_migration_topic_state", topic="payments.eu", state="MIGRATING") == 1, 15,
                 message="payments.eu MIGRATING")
        wait_for(lambda: (lab.value("kafka_migration_proxied_records_total", topic="orders") or 0) > 0, 20,
                 message="proxied records")
        for topic, count in DIRECT_WRITES.items():
            subprocess.run([sys.executable, os.path.join(SCRIPTS, "rogue_producer.py"), "--bootstrap",
                            private_lab["source"], "--topic", topic, "--count", str(count)], check=True, capture_output=True)
        wait_for(lambda: lab.value("kafka_migration_post_migration_source_records_total", topic="audit") == 5, 30,
                 message="post-migration writes counted")
        wait_for(lambda: (lab.value("kafka_migration_unproxied_source_records_total", topic="payments.us") or 0) > 0, 30,
                 message="unproxied writes counted")
        yield lab
    finally:
        lab.close()


def test_status_page_desktop_live_update(page_lab, tmp_path):
    url = "http://127.0.0.1:%d/" % page_lab.port
    page = headless_chromium.open(url, 1280, 800)
    try:
        page.wait_for("document.querySelectorAll('#topics tbody tr').length === %d" % len(STATES), 10)
        path = page.screenshot(str(tmp_path / "status-page-desktop.png"))
        page.screenshot(str(tmp_path / "status-page-desktop-full.png"), full_page=True)
        print("desktop screenshot: %s" % path)
        assert page.evaluate(BADGES) == STATES
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # The summary bar counts one topic per state.
        tiles = page.evaluate("Array.prototype.map.call(document.querySelectorAll('.summary .tile'),"
                              "function(t){return t.textContent.replace(/\\s+/g,' ').trim();})")
        counts = {s: list(STATES.values()).count(s) for s in ("REJECT", "PROXY", "MIGRATING", "COMPLETE")}
        assert sorted(tiles) == sorted("%d %s" % (n, s) for s, n in counts.items()), tiles
        # The direct writes show as counts and diagnostics on their rows, and nowhere else.
        diagnostics = page.evaluate("""(function(){var out={};document.querySelectorAll('#topics tbody tr').forEach(function(r){
            out[r.getAttribute('data-topic')]=Array.prototype.map.call(r.querySelectorAll('.diag'),function(d){return d.textContent;});});
            return out;})()""")
        assert diagnostics == {"orders": [], "payments.us": ["unproxied_source_writes"], "payments.eu": [],
                               "audit": ["post_migration_source_writes"], "clicks": []}, diagnostics
        # The page listens to the event stream, and fetches nothing from elsewhere (air-gapped).
        wait_for(lambda: url + "api/v1/events/stream" in page.requests(), 10, 0.2, "the page opens the event stream")
        assert all(u.startswith((url, "data:")) for u in page.requests()), page.requests()

        # Sorting: a click on "Topic" sorts ascending, a second one descending.
        order = "Array.prototype.map.call(document.querySelectorAll('#topics tbody tr'),function(r){return r.getAttribute('data-topic');})"
        page.evaluate("document.querySelector('#topics th[data-col=\"0\"]').click()")
        assert page.evaluate(order) == sorted(STATES)
        page.evaluate("document.querySelector('#topics th[data-col=\"0\"]').click()")
        assert page.evaluate(order) == sorted(STATES, reverse=True)

        # A state change in the state file shows on the open page, without a reload, and the
        # chosen sort survives the update.
        page.evaluate("window.__sameDocument = true")
        # Stop the page's slow fallback timer: only the event stream can bring the change.
        page.evaluate("(function(){var last=setInterval(function(){},1e9);for(var i=1;i<=last;i++)clearInterval(i);})()")
        changed = time.monotonic()
        page_lab.set_state("orders", "MIGRATING")
        page.wait_for("(%s)['orders'] === 'MIGRATING'" % BADGES, 30)
        print("the open page showed orders MIGRATING %.1f s after the state file changed" % (time.monotonic() - changed))
        assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
        assert page.evaluate(BADGES) == dict(STATES, orders="MIGRATING")
        assert page.evaluate(order) == sorted(STATES, reverse=True)
        assert "INITIATED" in page.evaluate("document.querySelector('.events').textContent")
        page.screenshot(str(tmp_path / "status-page-desktop-after-update.png"))
        assert page.console_errors() == []
    finally:
        page.close()


def test_status_page_phone_width(page_lab, tmp_path):
    page = headless_chromium.open("http://127.0.0.1:%d/" % page_lab.port, 390, 844)
    try:
        page.wait_for("document.querySelectorAll('#topics tbody tr').length === %d" % len(STATES), 10)
        path = page.screenshot(str(tmp_path / "status-page-phone.png"))
        page.screenshot(str(tmp_path / "status-page-phone-full.png"), full_page=True)
        print("phone screenshot: %s" % path)
        assert page.evaluate("window.innerWidth") == 390
        # Nothing wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
            page.evaluate("document.documentElement.scrollWidth")
        badges = page.evaluate(BADGES)
        assert set(badges) == set(STATES)
        # Each row is a card whose cells carry their column name.
        assert page.evaluate("getComputedStyle(document.querySelector('#topics thead')).display") == "none"
        assert page.evaluate("getComputedStyle(document.querySelector('#topics td'), '::before').content") == '"Topic"'
        assert page.console_errors() == []
    finally:
        page.close()
