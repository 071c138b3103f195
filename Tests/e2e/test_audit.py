"""The pre-decommission audit (issue 11 item 2) on real Tansu brokers, beside a running daemon.

On private brokers (the unmapped-topics check sees every source topic, and the shared lab's
source holds other suites' fresh topics): `safe` COMPLETE and replicated, `post` COMPLETE with 3
records written to the source after the cutover, `proxy` still PROXY, `read` COMPLETE and
replicated but still read from the source by a live consumer group, and `loose`, a source
topic no mapping covers, with fresh records. `exporterd audit` exits 1 and names each problem
in JSON, Markdown and HTML alike, and `GET /api/v1/audit` agrees; the HTML report opened in
headless Chromium shows every topic and verdict, without console errors. After the fix-ups
(`proxy` replicated and cut over; the consumer of `read` gone; `loose` replicated, mapped and
COMPLETE; `post`'s three
records taken care of by hand and the topic retired from the mappings, its records older than
`--since`) the audit exits 0. A frozen source broker (SIGSTOP) makes it exit 2 with nothing SAFE.

Needs EXPORTERD_BIN (and Debian's chromium for the HTML test)."""
import base64
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

import headless_chromium
from conftest import labctl
from exporter_lab import ExporterLab, free_port, http, wait_for
from private_brokers import Broker, create_topics, private_lab  # noqa: F401

SAFE, POST, PROXY, LOOSE, READ = "audit-safe", "audit-post", "audit-proxy", "audit-loose", "audit-read"
GROUP = "audit-billing"
CHECKS = ["topic_complete", "no_post_migration_records", "all_records_on_destination", "no_source_consumers",
          "no_idempotent_producers"]


def exporterd_binary():
    binary = os.environ.get("EXPORTERD_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.skip("EXPORTERD_BIN is not set to a built exporterd")
    return binary


def lab_dict(brokers):
    return {"source": brokers["source"], "destination": brokers["destination"], "exporterd": exporterd_binary(),
            "python": sys.executable}


def audit(lab, config, *args, timeout=120):
    return subprocess.run([lab.lab["exporterd"], "audit", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=str(lab.dir))


def md_escape(text):
    """AuditMarkdown.escape, for comparing details."""
    out = []
    for char in text:
        if char in "\\`*_[]|<>~":
            out.append("\\" + char)
        elif char in "\r\n":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def events_of(lab, topic):
    status, body = http("GET", "http://127.0.0.1:%d/api/v1/events?topic=%s&limit=100" % (lab.port, topic))
    assert status == 200
    return [e["type"] for e in json.loads(body)["events"]]


def cut_over(lab, topic):
    """PROXY → MIGRATING → COMPLETE while the daemon watches: INITIATED and COMPLETED stored."""
    lab.set_state(topic, "MIGRATING")
    wait_for(lambda: "INITIATED" in events_of(lab, topic), 20, message="%s INITIATED" % topic)
    lab.set_state(topic, "COMPLETE")
    wait_for(lambda: "COMPLETED" in events_of(lab, topic), 20, message="%s COMPLETED" % topic)


def by_topic(report):
    return {t["topic"]: t for t in report["topics"]}


def reason(topic, check):
    return next(r for r in topic["reasons"] if r["check"] == check)


@pytest.fixture(scope="module")
def audit_lab(private_lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit")
    lab = ExporterLab(lab_dict(private_lab), tmp)
    source, destination = private_lab["source"], private_lab["destination"]
    try:
        create_topics(source, "%s:2" % SAFE, "%s:1" % POST, "%s:1" % PROXY, "%s:1" % LOOSE, "%s:2" % READ)
        create_topics(destination, "%s:2" % SAFE, "%s:1" % POST, "%s:1" % PROXY, "%s:2" % READ)
        for topic, count, partitions in ((SAFE, 6, 2), (POST, 4, 1), (PROXY, 5, 1), (LOOSE, 3, 1), (READ, 4, 2)):
            labctl(lab.lab, "produce", "--bootstrap", source, "--topic", topic, "--count", str(count),
                   "--partitions", str(partitions))
        for topic in (SAFE, POST, PROXY, READ):
            labctl(lab.lab, "replicate", "--source", source, "--destination", destination, "--topic", topic)
            lab.set_state(topic, "PROXY")
        agent_port = free_port()
        lab.start_agent("agent", agent_port, [(SAFE, 1), (POST, 1), (PROXY, 1), (READ, 1)], paused=True)
        lab.write_config([SAFE, POST, PROXY, READ], [agent_port])
        lab.start_exporterd()
        cut_over(lab, SAFE)
        cut_over(lab, POST)
        cut_over(lab, READ)
        # A consumer group still reading `read` from the source: it commits and stays.
        lab.consumer = subprocess.Popen(
            [sys.executable, lab.script("labctl.py"), "consume-group", "--bootstrap", source, "--topic", READ,
             "--group", GROUP, "--count", "4", "--client-id", "billing-reader", "--stay", "--stay-seconds", "300"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert json.loads(lab.consumer.stdout.readline())["committed"] == {"0": 2, "1": 2}
        time.sleep(1.5)  # the three records are stamped after the cutover's `since`
        labctl(lab.lab, "produce", "--bootstrap", source, "--topic", POST, "--count", "3", "--value-prefix", "late")
        wait_for(lambda: lab.value("kafka_migration_post_migration_source_records_total", topic=POST) == 3, 30,
                 message="the daemon counting 3 post-migration records")
        lab.agent_port = agent_port
        yield lab
    finally:
        consumer = getattr(lab, "consumer", None)
        if consumer is not None and consumer.poll() is None:
            consumer.kill()
            consumer.wait(10)
        lab.close()


def test_audit_names_every_problem_in_every_format(audit_lab):
    lab = audit_lab
    config = lab.dir / "exporterd.yaml"
    outputs = {}
    for fmt in ("json", "markdown", "html"):
        path = lab.dir / ("audit.%s" % {"json": "json", "markdown": "md", "html": "html"}[fmt])
        result = audit(lab, config, "--format", fmt, "--output", str(path))
        assert result.returncode == 1, (fmt, result.returncode, result.stderr)
        assert result.stdout == ""  # written to --output
        outputs[fmt] = path.read_text()
    report = json.loads(outputs["json"])
    topics = by_topic(report)
    assert report["verdict"] == "UNSAFE" and report["verified"] is True and report["exit_code"] == 1
    assert {name: t["verdict"] for name, t in topics.items()} == \
        {SAFE: "SAFE", POST: "UNSAFE", PROXY: "UNSAFE", READ: "UNSAFE"}
    for topic in topics.values():
        assert [r["check"] for r in topic["reasons"]] == CHECKS

    safe = topics[SAFE]
    assert all(r["ok"] for r in safe["reasons"]), safe["reasons"]
    assert safe["initiated_at"] and safe["completed_at"]
    assert reason(safe, "no_idempotent_producers")["detail"].startswith("not checked: the source's brokers lack DescribeProducers")
    assert [p["source_high_watermark"] for p in safe["partitions"]] == [3, 3]

    post = topics[POST]
    assert [r["check"] for r in post["reasons"] if not r["ok"]] == ["no_post_migration_records", "all_records_on_destination"]
    detail = reason(post, "no_post_migration_records")["detail"]
    assert detail.startswith("3 records reached the source after the cutover"), detail
    assert "partition 0 offsets 4–6" in detail
    post_detail = detail
    assert post["post_migration_records"] == 3
    assert post["partitions"][0]["first_post_migration_offset"] == 4
    assert "destination high watermark 4 < source 7" in reason(post, "all_records_on_destination")["detail"]

    proxy = topics[PROXY]
    assert [r["check"] for r in proxy["reasons"] if not r["ok"]] == ["topic_complete", "no_post_migration_records"]
    assert reason(proxy, "topic_complete")["detail"].startswith("PROXY since ")

    read = topics[READ]
    assert [r["check"] for r in read["reasons"] if not r["ok"]] == ["no_source_consumers"]
    detail = reason(read, "no_source_consumers")["detail"]
    assert detail.startswith("group %s (Stable)" % GROUP), detail
    assert "lag 0 (p0: 0, p1: 0)" in detail
    assert [g["group_id"] for g in read["consumer_groups"]["groups"]] == [GROUP]
    assert read["consumer_groups"]["groups"][0]["committed_offsets"] == [{"partition": 0, "offset": 2},
                                                                        {"partition": 1, "offset": 2}]

    assert [u["topic"] for u in report["unmigrated_topics"]] == [LOOSE]
    loose = report["unmigrated_topics"][0]
    assert loose["verdict"] == "UNSAFE" and loose["recent_records"] == 3
    assert loose["reasons"][0]["check"] == "unmigrated_topic"
    assert "no mapping covers it, yet it has 3 records since" in loose["reasons"][0]["detail"]

    # Markdown and HTML carry the same verdicts and every reason.
    markdown, html = outputs["markdown"], outputs["html"]
    assert markdown.startswith("# Pre-decommission audit: UNSAFE")
    for name, topic in topics.items():
        assert "## %s → %s: %s" % (md_escape(name), md_escape(topic["destination_topic"]), topic["verdict"]) in markdown
        assert 'data-topic="%s" data-verdict="%s"' % (name, topic["verdict"]) in html
        for item in topic["reasons"]:
            assert "`%s`: %s" % (item["check"], md_escape(item["detail"])) in markdown, item
            assert "<code>%s</code> " % item["check"] in html
            assert html_escape(item["detail"]) in html, item
    assert "### %s: UNSAFE" % md_escape(LOOSE) in markdown
    assert "`unmigrated_topic`: no mapping covers it, yet it has 3 records since" in markdown
    assert 'data-topic="%s" data-verdict="UNSAFE"' % LOOSE in html

    # The daemon's /api/v1/audit answers the same verdicts and checks.
    status, body = http("GET", "http://127.0.0.1:%d/api/v1/audit" % lab.port, timeout=60)
    assert status == 200
    served = json.loads(body)
    assert served["verdict"] == "UNSAFE"
    assert {t["topic"]: (t["verdict"], [(r["check"], r["ok"]) for r in t["reasons"]]) for t in served["topics"]} == \
        {t["topic"]: (t["verdict"], [(r["check"], r["ok"]) for r in t["reasons"]]) for t in report["topics"]}
    assert [u["topic"] for u in served["unmigrated_topics"]] == [LOOSE]
    assert reason(by_topic(served)[POST], "no_post_migration_records")["detail"] == post_detail
    # … while /metrics keeps answering.
    assert http("GET", "http://127.0.0.1:%d/metrics" % lab.port)[0] == 200

    # Markdown for the change ticket, kept with the test's output.
    print("\n" + markdown)
    (lab.dir / "report-for-ticket.md").write_text(markdown)


def html_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#39;"))


def test_html_report_in_headless_chromium(audit_lab):
    if headless_chromium.browser_binary() is None:
        pytest.skip("chromium is not installed (scripts/lab install)")
    lab = audit_lab
    path = lab.dir / "browser.html"
    result = audit(lab, lab.dir / "exporterd.yaml", "--format", "html", "--output", str(path))
    assert result.returncode == 1, result.stderr
    page = headless_chromium.open("file://%s" % path, 1280, 900)
    try:
        shot = page.screenshot(str(lab.dir / "audit-report.png"), full_page=True)
        verdicts = page.evaluate("""(function(){var out={};document.querySelectorAll('section.topic[data-topic]')
            .forEach(function(s){out[s.getAttribute('data-topic')]=s.getAttribute('data-verdict');});return out;})()""")
        assert verdicts == {SAFE: "SAFE", POST: "UNSAFE", PROXY: "UNSAFE", READ: "UNSAFE", LOOSE: "UNSAFE"}
        checks = page.evaluate("""(function(){var out={};document.querySelectorAll('section.topic[data-topic]')
            .forEach(function(s){out[s.getAttribute('data-topic')]=Array.from(s.querySelectorAll('li[data-check]'))
            .map(function(l){return l.getAttribute('data-check');});});return out;})()""")
        for topic in (SAFE, POST, PROXY, READ):
            assert checks[topic] == CHECKS
        assert checks[LOOSE] == ["unmigrated_topic"]
        assert page.evaluate("document.getElementById('verdict').textContent") == "UNSAFE"
        assert page.evaluate("document.getElementById('exit-code').textContent") == "1"
        # Nothing fetched from anywhere else: no image, style sheet, font or script.
        assert page.evaluate("performance.getEntriesByType('resource').length") == 0
        assert page.console_errors() == []
        assert os.path.getsize(shot) > 10_000
        # It prints: A4 pages through the print style sheet, every verdict still in the text.
        page.send("Emulation.setEmulatedMedia", media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('section.topic')).breakInside") == "avoid"
        pdf = base64.b64decode(page.send("Page.printToPDF", preferCSSPageSize=True)["data"])
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= 2
        (lab.dir / "audit-report.pdf").write_bytes(pdf)
        shown = os.environ.get("AUDIT_SCREENSHOT")
        if shown:  # scripts/docs refresh: docs/audit-report.png
            page.screenshot(shown, full_page=True)
    finally:
        page.close()


def test_after_the_fix_ups_the_audit_is_safe(audit_lab):
    lab = audit_lab
    source, destination = lab.lab["source"], lab.lab["destination"]
    # proxy: its records are all on the destination; cut it over.
    cut_over(lab, PROXY)
    # read: its consumer moves to the destination (it leaves the source's group).
    lab.consumer.stdin.close()
    assert lab.consumer.wait(30) == 0
    # loose: replicate it, map it, mark it COMPLETE.
    create_topics(destination, "%s:1" % LOOSE)
    labctl(lab.lab, "replicate", "--source", source, "--destination", destination, "--topic", LOOSE)
    lab.set_state(LOOSE, "COMPLETE")
    # post: its three late records are handled by hand and the topic leaves the mappings; the
    # unmigrated-topic check still vouches that nothing newer than --since landed on it.
    text = (lab.dir / "exporterd.yaml").read_text()
    fixed = re.sub(r"  - \{source_topic: %s\}\n" % POST, "", text).replace(
        "  - {source_topic: %s}\n" % PROXY, "  - {source_topic: %s}\n  - {source_topic: %s}\n" % (PROXY, LOOSE))
    (lab.dir / "fixed.yaml").write_text(fixed)
    time.sleep(3)
    result = audit(lab, lab.dir / "fixed.yaml", "--format", "json", "--since", "2s")
    report = json.loads(result.stdout)
    assert result.returncode == 0, (result.returncode, json.dumps(report, indent=1), result.stderr)
    assert report["verdict"] == "SAFE" and report["unmigrated_topics"] == []
    assert {t["topic"]: t["verdict"] for t in report["topics"]} == {SAFE: "SAFE", PROXY: "SAFE", READ: "SAFE", LOOSE: "SAFE"}
    # The group is still there, Empty, with its commits: named, not reading.
    assert GROUP in reason(by_topic(report)[READ], "no_source_consumers")["detail"]
    # With the default window the retired topic's recent records are named again.
    again = audit(lab, lab.dir / "fixed.yaml", "--format", "json")
    assert again.returncode == 1
    assert [u["topic"] for u in json.loads(again.stdout)["unmigrated_topics"]] == [POST]


def test_frozen_source_broker_is_never_safe(tmp_path):
    binary = exporterd_binary()
    source = Broker("frozen-source", str(tmp_path))
    destination = Broker("frozen-destination", str(tmp_path))
    lab = ExporterLab({"source": source.address, "destination": destination.address, "exporterd": binary,
                       "python": sys.executable}, tmp_path)
    frozen = False
    try:
        create_topics(source.address, "frozen:2")
        create_topics(destination.address, "frozen:2")
        labctl(lab.lab, "produce", "--bootstrap", source.address, "--topic", "frozen", "--count", "4", "--partitions", "2")
        labctl(lab.lab, "replicate", "--source", source.address, "--destination", destination.address, "--topic", "frozen")
        lab.set_state("frozen", "COMPLETE")
        agent_port = free_port()
        lab.start_agent("agent", agent_port, [("frozen", 1)], paused=True)
        lab.write_config(["frozen"], [agent_port])
        text = (tmp_path / "exporterd.yaml").read_text().replace(
            "source: {bootstrap_brokers:", "source: {request_timeout: 2s, bootstrap_brokers:")
        (tmp_path / "exporterd.yaml").write_text(text)
        lab.start_exporterd()
        healthy = audit(lab, tmp_path / "exporterd.yaml", "--format", "json")
        assert json.loads(healthy.stdout)["topics"][0]["reasons"][2]["ok"] is True, healthy.stdout

        os.kill(source.process.pid, signal.SIGSTOP)
        frozen = True
        started = time.monotonic()
        result = audit(lab, tmp_path / "exporterd.yaml", "--format", "json", timeout=90)
        elapsed = time.monotonic() - started
        assert result.returncode == 2, (result.returncode, result.stderr)
        report = json.loads(result.stdout)
        assert report["verdict"] == "UNSAFE" and report["verified"] is False
        assert all(t["verdict"] == "UNSAFE" for t in report["topics"])
        assert report["reasons"][0]["detail"].startswith("not verified:")
        assert any(r["detail"].startswith("not verified:") for r in report["topics"][0]["reasons"])
        print("audit against a frozen source: exit %d in %.1fs" % (result.returncode, elapsed))
        # The daemon's audit, three requests at once, while /metrics is scraped: the scrapes
        # answer from the last poll whatever the audit waits for.
        answers, scrapes = [], []

        def ask():
            answers.append(http("GET", "http://127.0.0.1:%d/api/v1/audit" % lab.port, timeout=90))

        askers = [threading.Thread(target=ask) for _ in range(3)]
        for asker in askers:
            asker.start()
        while any(asker.is_alive() for asker in askers):
            scrapes.append(http("GET", "http://127.0.0.1:%d/metrics" % lab.port, timeout=5)[0])
            time.sleep(0.2)
        for asker in askers:
            asker.join()
        assert scrapes and set(scrapes) == {200}
        assert len(answers) == 3
        for status, body in answers:
            assert status == 200 and json.loads(body)["verdict"] == "UNSAFE"
            assert all(t["verdict"] == "UNSAFE" for t in json.loads(body)["topics"])
    finally:
        if frozen:
            os.kill(source.process.pid, signal.SIGCONT)
        lab.close()
        source.stop()
        destination.stop()
