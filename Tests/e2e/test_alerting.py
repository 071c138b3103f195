"""The alert rules and the dashboard against real parts (issue 10): exporterd watches a lab on
private brokers (a topic in every state, the proxy stand-in following the state file, a
replicator, a legacy direct producer on a REJECT topic); a real Prometheus (Debian
`prometheus`) scrapes it every second with alerts/exporterd.rules.yml loaded and evaluated
every second; a real Alertmanager (`prometheus-alertmanager`) routes to a webhook served here.

The rules are the shipped ones, unchanged: only the test's scrape and evaluation intervals
are short (1 s), which the rules allow (their windows assume at least one scrape in a minute).
Prometheus starts before any direct write, so `min_over_time(...[5m])` has the counter's
earlier value when it rises.

Every process is started here and stopped by PID. Needs EXPORTERD_BIN (a built exporterd) and
the Debian packages (`scripts/lab install`); skipped without them.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from exporter_lab import ExporterLab, free_port, http, wait_for
from private_brokers import SCRIPTS, create_topics, private_lab  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "alerts", "exporterd.rules.yml")
DASHBOARD = os.path.join(ROOT, "dashboards", "exporterd-migration.json")
sys.path.insert(0, os.path.join(ROOT, "dashboards"))
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
UNPROXIED_ALERT = "KafkaMigrationUnproxiedSourceWrites"
ROGUE_RECORDS = 10


def answers(url):
    try:
        return http("GET", url, timeout=2)[0] == 200
    except OSError:
        return False


class Webhook:
    """Alertmanager's webhook receiver: keeps (monotonic time, alert) for every alert of every
    notification."""

    def __init__(self):
        self.received = []
        self.lock = threading.Condition()
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                now = time.monotonic()
                with webhook.lock:
                    for alert in body.get("alerts", []):
                        webhook.received.append((now, alert))
                    webhook.lock.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/alerts" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def alerts(self):
        with self.lock:
            return list(self.received)

    def wait_page(self, alertname, topic, timeout):
        """The time the first firing `alertname` for `topic` arrived."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for at, alert in self.received:
                    labels = alert["labels"]
                    if alert["status"] == "firing" and labels.get("alertname") == alertname and labels.get("topic") == topic:
                        return at
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("no %s page for %s within %ss; received %r"
                                         % (alertname, topic, timeout, self.received))
                self.lock.wait(remaining)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Prometheus:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def get(self, path, **params):
        url = "%s%s?%s" % (self.base, path, urllib.parse.urlencode(params))
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr):
        return self.get("/api/v1/query", query=expr)

    def query_range(self, expr, seconds=30):
        now = time.time()
        return self.get("/api/v1/query_range", query=expr, start=now - seconds, end=now, step=1)


def values(data):
    """Every sample value of an instant or range query result, as floats."""
    kind, result = data["resultType"], data["result"]
    if kind == "scalar":
        return [float(result[1])]
    if kind == "vector":
        return [float(s["value"][1]) for s in result]
    if kind == "matrix":
        return [float(v[1]) for s in result for v in s["values"]]
    raise AssertionError("unexpected result type %s" % kind)


def has_data(data):
    """Non-empty and at least one number (a panel of NaNs shows nothing)."""
    return any(v == v for v in values(data))


@pytest.fixture(scope="module")
def alerting_lab(private_lab, tmp_path_factory):
    binary = os.environ.get("EXPORTERD_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.skip("EXPORTERD_BIN is not set to a built exporterd")
    if not shutil.which("prometheus") or not ALERTMANAGER:
        pytest.skip("prometheus / prometheus-alertmanager not installed (scripts/lab install)")
    tmp = tmp_path_factory.mktemp("alerting")
    lab = ExporterLab({"source": private_lab["source"], "destination": private_lab["destination"],
                       "exporterd": binary, "python": sys.executable}, tmp)
    webhook = Webhook()
    topics = {
        "clean": "clean-orders",          # PROXY, produced through the proxy only
        "rogue": ["bypassed-%d" % i for i in range(3)],   # PROXY; one direct write each, in turn
        "migrating": "payments-eu",       # PROXY -> MIGRATING, stays there
        "complete": "audit",              # PROXY -> MIGRATING -> COMPLETE, still produced to
        "reject": "clicks",               # unlisted: legacy producers write to the source
    }
    watched = [topics["clean"], *topics["rogue"], topics["migrating"], topics["complete"], topics["reject"]]
    try:
        for cluster in ("source", "destination"):
            create_topics(private_lab[cluster], *("%s:2" % t for t in watched))
        # History from before the migration, written directly (REJECT).
        for topic in watched:
            subprocess.run([sys.executable, os.path.join(SCRIPTS, "rogue_producer.py"), "--bootstrap",
                            private_lab["source"], "--topic", topic, "--count", "20"], check=True, capture_output=True)
        for topic in watched:
            if topic != topics["reject"]:
                lab.set_state(topic, "PROXY")
        state_file = str(tmp / "state.json")

        lab.start_replicator(free_port(), watched)
        agent_port = free_port()
        agent = [sys.executable, os.path.join(SCRIPTS, "proxy_agent.py"), "--bootstrap", private_lab["source"],
                 "--destination-bootstrap", private_lab["destination"], "--state-file", state_file,
                 "--listen", "127.0.0.1:%d" % agent_port, "--publish-delay-max", "1.9",
                 "--topic", "%s:5" % topics["clean"], "--topic", "%s:2" % topics["migrating"],
                 "--topic", "%s:2" % topics["complete"]] + sum((["--topic", "%s:1" % t] for t in topics["rogue"]), [])
        lab.start("agent", agent)
        wait_for(lambda: answers("http://127.0.0.1:%d/healthz" % agent_port), 20, message="agent")
        lab.start("legacy", [sys.executable, os.path.join(SCRIPTS, "rogue_producer.py"), "--bootstrap",
                             private_lab["source"], "--topic", topics["reject"], "--rate", "2",
                             "--value-prefix", "legacy"])
        lab.write_config(watched, [agent_port])
        lab.start_exporterd()

        am_port, prom_port = free_port(), free_port()
        (tmp / "alertmanager.yml").write_text("\n".join([
            "route:",
            "  receiver: webhook",
            "  group_by: [alertname, topic]",
            "  group_wait: 1s",
            "  group_interval: 1s",
            "  repeat_interval: 1h",
            "receivers:",
            "  - name: webhook",
            "    webhook_configs:",
            "      - url: %s" % webhook.url,
            "        send_resolved: true",
        ]) + "\n")
        lab.start("alertmanager", [ALERTMANAGER, "--config.file=%s" % (tmp / "alertmanager.yml"),
                                   "--storage.path=%s" % (tmp / "alertmanager-data"),
                                   "--web.listen-address=127.0.0.1:%d" % am_port, "--cluster.listen-address="])
        wait_for(lambda: answers("http://127.0.0.1:%d/-/ready" % am_port), 30, message="alertmanager ready")
        (tmp / "prometheus.yml").write_text("\n".join([
            "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}",
            "rule_files: [%s]" % json.dumps(RULES),
            "alerting:",
            "  alertmanagers: [{static_configs: [{targets: ['127.0.0.1:%d']}]}]" % am_port,
            "scrape_configs:",
            "  - job_name: exporterd",
            "    static_configs: [{targets: ['127.0.0.1:%d']}]" % lab.port,
        ]) + "\n")
        lab.start("prometheus", ["prometheus", "--config.file=%s" % (tmp / "prometheus.yml"),
                                 "--storage.tsdb.path=%s" % (tmp / "prometheus-data"),
                                 "--web.listen-address=127.0.0.1:%d" % prom_port])
        wait_for(lambda: answers("http://127.0.0.1:%d/-/ready" % prom_port), 30, message="prometheus ready")
        prometheus = Prometheus(prom_port)
        wait_for(lambda: values(prometheus.query('up{job="exporterd"}')) == [1.0], 30, message="exporterd scraped")

        # The cutovers, while Prometheus watches: no alert may come of them.
        lab.set_state(topics["migrating"], "MIGRATING")
        lab.set_state(topics["complete"], "MIGRATING")
        wait_for(lambda: lab.value("kafka_migration_topic_state", topic=topics["complete"], state="MIGRATING") == 1,
                 15, message="MIGRATING seen")
        wait_for(lambda: lab.value("kafka_migration_replication_offset_lag", topic=topics["complete"]) == 0, 20,
                 message="lag drained")
        lab.set_state(topics["complete"], "COMPLETE")
        wait_for(lambda: lab.value("kafka_migration_topic_state", topic=topics["complete"], state="COMPLETE") == 1,
                 15, message="COMPLETE seen")
        # Every state is on the page, and Prometheus has a few samples of each topic's counters.
        wait_for(lambda: len(values(prometheus.query(
            'count_over_time(kafka_migration_unproxied_source_records_total{job="exporterd"}[1m]) >= 5'))) == len(watched),
            30, message="5 scrapes of every topic")
        yield {"lab": lab, "prometheus": prometheus, "webhook": webhook, "topics": topics, "watched": watched}
    finally:
        lab.close()
        webhook.close()


def rules_from_file():
    """(alert names, number of recording rules) as written in alerts/exporterd.rules.yml."""
    with open(RULES, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"^\s*- alert:\s*(\S+)", text, re.M), len(re.findall(r"^\s*- record:", text, re.M))


def test_a_direct_write_pages_for_its_topic_and_nothing_else(alerting_lab):
    """A direct write to each of three PROXY topics in turn pages once each, for that topic
    only; the clean PROXY topic, the cutovers to MIGRATING and COMPLETE (still produced to
    through the proxy stand-in) and the legacy writes to the REJECT topic page nothing."""
    lab, webhook, topics = alerting_lab["lab"], alerting_lab["webhook"], alerting_lab["topics"]
    prometheus = alerting_lab["prometheus"]
    assert webhook.alerts() == [], "a page before any direct write: %r" % webhook.alerts()
    seconds = []
    for number, topic in enumerate(topics["rogue"]):
        result = subprocess.run([sys.executable, os.path.join(SCRIPTS, "rogue_producer.py"), "--bootstrap",
                                 lab.lab["source"], "--topic", topic, "--count", str(ROGUE_RECORDS)],
                                capture_output=True, text=True, timeout=60)
        acknowledged = time.monotonic()
        assert json.loads(result.stdout)["acked"] == ROGUE_RECORDS, result.stderr
        paged = webhook.wait_page(UNPROXIED_ALERT, topic, 120)
        seconds.append(paged - acknowledged)
        print("write-to-page: %s paged %.1f s after its %d direct records were acknowledged"
              % (topic, paged - acknowledged, ROGUE_RECORDS))
        written = set(topics["rogue"][:number + 1])
        for _, alert in webhook.alerts():
            labels = alert["labels"]
            assert labels.get("alertname") == UNPROXIED_ALERT and labels.get("topic") in written, (
                "a page that is not the unproxied alert of a written topic: %r" % labels)
            assert labels["severity"] == "critical" and alert["annotations"]["runbook"].endswith(
                "#kafkamigrationunproxiedsourcewrites"), alert
        # Never above the truth (CONTRACT §5 (1)).
        assert 0 < lab.value("kafka_migration_unproxied_source_records_total", topic=topic) <= ROGUE_RECORDS

    # A few more evaluations: still nothing else pages, and nothing else fires or is pending
    # except alerts whose `for` covers exporterd's start (none of them may be firing).
    time.sleep(5)
    paged = {(a["labels"]["alertname"], a["labels"].get("topic")) for _, a in webhook.alerts()}
    assert paged == {(UNPROXIED_ALERT, t) for t in topics["rogue"]}, paged
    firing = {(a["labels"]["alertname"], a["labels"].get("topic"))
              for a in prometheus.get("/api/v1/alerts")["alerts"] if a["state"] == "firing"}
    assert firing == paged, firing
    print("write-to-page seconds: %s (mean %.1f)" % (", ".join("%.1f" % s for s in seconds), sum(seconds) / len(seconds)))


def condition_operand(expr):
    """An alert's expression without what makes it empty while healthy: the `unless ...` that
    silences it, the outer parentheses, a top-level comparison with a number (`> 0`, `== 1`),
    and `absent(...)` (whose argument is what must exist)."""
    def top_level(text, token):
        depth = 0
        for i in range(len(text)):
            depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(text[i], 0)
            if depth == 0 and text.startswith(token, i):
                return i
        return -1

    def unwrap(text):
        text = text.strip()
        # The first closing parenthesis at depth 0 of "(...)" is the one matching the opening one.
        while text.startswith("(") and top_level(text, ")") == len(text) - 1:
            text = text[1:-1].strip()
        return text

    e = unwrap(expr)
    cut = top_level(e, " unless ")
    if cut >= 0:
        e = unwrap(e[:cut])
    match = re.search(r"\s(==|!=|>=|<=|>|<)\s*-?[0-9.]+$", e)
    if match and top_level(e, match.group(0)) == match.start():
        e = unwrap(e[:match.start()])
    if e.startswith("absent(") and top_level(e, ")") == len(e) - 1:
        e = unwrap(e[len("absent("):-1])
    return e


def test_condition_operand():
    assert condition_operand("x - min_over_time(x[5m]) > 0") == "x - min_over_time(x[5m])"
    assert condition_operand('(min_over_time(a[1m]) > 0) unless on(job) (max_over_time(b[1m]) == 0)') == "min_over_time(a[1m])"
    assert condition_operand('absent(up{job="exporterd"})') == 'up{job="exporterd"}'
    assert condition_operand("(time() - max_over_time(t[1m]) > 120) unless on(c) (u == 0)") == "time() - max_over_time(t[1m])"
    assert condition_operand("(a > 0) + (b > 0)") == "(a > 0) + (b > 0)"


PROMQL_WORDS = {"by", "on", "unless", "and", "or", "ignoring", "group_left", "group_right", "without", "bool",
                "offset", "time", "absent", "rate", "increase", "min_over_time", "max_over_time", "sum", "max",
                "min", "count", "histogram_quantile", "count_over_time"}


def metric_names(expr):
    """The series names an expression selects (label names inside braces excluded)."""
    without_matchers = re.sub(r"\{[^}]*\}", "{}", expr)
    without_groupings = re.sub(r"\b(by|on|without|ignoring)\s*\([^)]*\)", "", without_matchers)
    names = set()
    for match in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", without_groupings):
        name = match.group(1)
        after = without_groupings[match.end():match.end() + 1]
        if name in PROMQL_WORDS or after == "(" or re.fullmatch(r"\d+[smhdwy]?", name):
            continue
        if "_" in name or ":" in name or name == "up":
            names.add(name)
    return names


def test_every_panel_query_and_rule_expression_returns_data(alerting_lab):
    """Every dashboard panel query (variables substituted by dashboards/generate.py) and every
    recording and alerting expression of alerts/exporterd.rules.yml, as the lab's Prometheus
    loaded them, returns data.

    The lab has a topic in every state, a proxy agent, a replicator, state changes and events,
    so nothing is empty for want of something to show. Panel queries are run as Grafana runs
    them (instant ones with /api/v1/query, the others over the last 30 s with query_range) and
    must give at least one number. Recording expressions are run as they are. An alert
    expression is empty while things are healthy by design (`... > 0`), so two checks: (1) its
    condition operand — the expression without the `unless` clause that silences it, without
    its top-level comparison with a number and inside `absent(...)` — returns data; and (2)
    every series name it selects exists in the TSDB. Together they catch a misspelt or
    undocumented metric, a wrong label or a selector that matches nothing."""
    import generate  # dashboards/generate.py

    prometheus = alerting_lab["prometheus"]
    watched = alerting_lab["watched"]
    per_state = {s["metric"]["state"]: float(s["value"][1])
                 for s in prometheus.query('sum by (state) (kafka_migration_topics{job="exporterd"})')["result"]}
    assert per_state == {"REJECT": 1, "PROXY": 4, "MIGRATING": 1, "COMPLETE": 1}, per_state

    with open(DASHBOARD, encoding="utf-8") as f:
        queries = generate.panel_queries(json.load(f), substituted=True)
    empty = []
    for title, ref, instant, expr in queries:
        data = prometheus.query(expr) if instant else prometheus.query_range(expr)
        if not has_data(data):
            empty.append((title, ref, expr))
    topic_rows = prometheus.query(next(e for t, r, _, e in queries if t == "Topics" and r == "A"))["result"]
    assert sorted(s["metric"]["topic"] for s in topic_rows) == sorted(watched)

    groups = prometheus.get("/api/v1/rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    alert_names, records = rules_from_file()
    assert sorted(r["name"] for r in rules if r["type"] == "alerting") == sorted(alert_names)
    assert len([r for r in rules if r["type"] == "recording"]) == records
    for rule in rules:
        assert rule["health"] == "ok", rule
    missing_metrics = set()
    for rule in rules:
        expr = rule["query"]
        operand = condition_operand(expr) if rule["type"] == "alerting" else expr
        if rule["type"] == "alerting":
            assert operand != expr, "%s: nothing stripped from %s" % (rule["name"], expr)
        if not has_data(prometheus.query(operand)):
            empty.append((rule["name"], rule["type"], operand))
        for name in metric_names(expr):
            if not values(prometheus.query('count({__name__="%s"})' % name)):
                missing_metrics.add((rule["name"], name))
    print("evaluated %d panel queries and %d rule expressions (%d alerting, %d recording): %d empty"
          % (len(queries), len(rules), len(alert_names), records, len(empty)))
    assert not missing_metrics, "rules name series the TSDB does not have: %r" % sorted(missing_metrics)
    assert not empty, "queries that return no data: %r" % empty
