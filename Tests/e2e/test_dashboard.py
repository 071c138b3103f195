"""The Grafana dashboard: the committed JSON is exactly what dashboards/generate.py builds, every
panel query names only documented metrics and is filtered by the dashboard's variables, and
every query parses as PromQL. Needs no lab."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "dashboards"))

import generate  # noqa: E402  (dashboards/generate.py)

COMMITTED = os.path.join(ROOT, "dashboards", "exporterd-migration.json")
METRICS_DOC = os.path.join(ROOT, "docs", "metrics.md")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
SELECTOR = re.compile(r"\b(kafka_migration_[a-z_]+)\b(\{[^}]*\})?")


def documented_metrics():
    """metric name -> its labels, from the tables of docs/metrics.md."""
    metrics = {}
    with open(METRICS_DOC, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\|\s*`(kafka_migration_[a-z_]+)`\s*\|[^|]*\|([^|]*)\|", line)
            if m:
                metrics[m.group(1)] = set(re.findall(r"`([a-z_]+)`", m.group(2)))
    assert len(metrics) > 20, "docs/metrics.md tables were not found"
    return metrics


@pytest.fixture(scope="module")
def dashboard():
    with open(COMMITTED, encoding="utf-8") as f:
        return json.load(f)


def test_committed_json_is_what_the_generator_builds():
    with open(COMMITTED, encoding="utf-8") as f:
        committed = f.read()
    assert committed == generate.render(), (
        "dashboards/exporterd-migration.json differs from dashboards/generate.py; "
        "run `.venv/bin/python dashboards/generate.py` and commit both")


def test_check_mode_reports_a_hand_edit(tmp_path, monkeypatch):
    edited = tmp_path / "exporterd-migration.json"
    edited.write_text(generate.render().replace('"Offset lag"', '"Offset lag (edited)"', 1))
    monkeypatch.setattr(generate, "OUTPUT", str(edited))
    assert generate.main(["generate.py", "--check"]) == 1
    edited.write_text(generate.render())
    assert generate.main(["generate.py", "--check"]) == 0


def test_current_schema_and_variables(dashboard):
    assert dashboard["schemaVersion"] >= 39
    assert dashboard["uid"] == "exporterd-migration"
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert set(variables) == {"datasource", "job", "topic"}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["job"]["type"] == "query"
    assert variables["topic"]["type"] == "query"
    assert variables["topic"]["multi"] is True
    assert variables["topic"]["query"] == 'label_values(kafka_migration_topic_info{job=~"$job"}, topic)'
    for name in ("job", "topic"):
        assert variables[name]["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_every_panel_and_query_uses_the_datasource_variable(dashboard):
    panels = [p for p in generate._panels(dashboard) if p["type"] != "row"]
    assert panels
    for panel in panels:
        assert panel["targets"], "panel %r has no query" % panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]


def test_every_query_names_documented_metrics_filtered_by_job_and_topic(dashboard):
    docs = documented_metrics()
    used = set()
    for title, ref, _, expr in generate.panel_queries(dashboard, substituted=False):
        selectors = SELECTOR.findall(expr)
        assert selectors, "%s/%s names no exporterd metric: %s" % (title, ref, expr)
        for name, matchers in selectors:
            base = name
            for suffix in HISTOGRAM_SUFFIXES:
                if name.endswith(suffix) and name[: -len(suffix)] in docs:
                    base = name[: -len(suffix)]
            assert base in docs, "%s/%s: %s is not in docs/metrics.md" % (title, ref, name)
            used.add(base)
            assert 'job=~"$job"' in matchers, "%s/%s: %s is not filtered by job" % (title, ref, name)
            if "topic" in docs[base]:
                assert 'topic=~"$topic"' in matchers, "%s/%s: %s is not filtered by topic" % (title, ref, name)
            else:
                assert "$topic" not in matchers, "%s/%s: %s has no topic label" % (title, ref, name)
        for variable in re.findall(r"\$\{?(\w+)", expr):
            assert variable in ("job", "topic") or variable.startswith("__"), (title, ref, variable)
    # The Migration tab's content (issue 10): these are all on the dashboard.
    required = {
        "kafka_migration_topics", "kafka_migration_topic_state",
        "kafka_migration_topic_state_since_timestamp_seconds",
        "kafka_migration_replication_offset_lag", "kafka_migration_replication_time_lag_seconds",
        "kafka_migration_source_offsets_total", "kafka_migration_destination_offsets_total",
        "kafka_migration_proxied_records_total", "kafka_migration_proxied_bytes_total",
        "kafka_migration_unproxied_source_records_total",
        "kafka_migration_post_migration_source_records_total",
        "kafka_migration_diagnostic_active", "kafka_migration_cutover_ready",
        "kafka_migration_events_total", "kafka_migration_cluster_up", "kafka_migration_partitions",
        "kafka_migration_partitions_answered", "kafka_migration_proxy_target_up",
        "kafka_migration_state_source_up", "kafka_migration_poll_duration_seconds",
    }
    assert required <= used, "missing from the dashboard: %s" % sorted(required - used)


def test_both_variables_are_used_by_panel_queries(dashboard):
    exprs = [expr for _, _, _, expr in generate.panel_queries(dashboard, substituted=False)]
    assert any("$job" in e for e in exprs)
    assert any("$topic" in e for e in exprs)


def test_topic_table_merges_instant_queries_by_topic(dashboard):
    table = next(p for p in dashboard["panels"] if p["type"] == "table")
    assert [t["id"] for t in table["transformations"]][0] == "merge"
    for target in table["targets"]:
        assert target["instant"] is True and target["format"] == "table", target["refId"]
        assert re.search(r"\bby \(topic\b", target["expr"]), target["expr"]
    renamed = set(table["transformations"][1]["options"]["renameByName"].values())
    assert {"Topic", "State", "Since", "Offset lag", "Time lag", "Proxied rate",
            "Active diagnostics", "Cutover ready"} <= renamed


def test_panel_ids_are_unique(dashboard):
    ids = [p.get("id") for p in generate._panels(dashboard)]
    assert all(isinstance(i, int) and i > 0 for i in ids), ids
    assert len(set(ids)) == len(ids), ids


def test_panels_do_not_overlap(dashboard):
    taken = {}
    for panel in dashboard["panels"]:
        g = panel["gridPos"]
        assert g["x"] + g["w"] <= 24, panel["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in taken, "%r overlaps %r" % (panel["title"], taken[(x, y)])
                taken[(x, y)] = panel["title"]


def test_substituted_queries_have_no_variables_left(dashboard):
    queries = generate.panel_queries(dashboard)
    assert len(queries) == sum(len(p.get("targets", [])) for p in generate._panels(dashboard))
    for title, ref, _, expr in queries:
        assert "$" not in expr, (title, ref, expr)
        assert 'job=~".*"' in expr, (title, ref, expr)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (scripts/lab install)")
def test_every_substituted_query_is_valid_promql(tmp_path):
    # promtool parses every expression of a rules file: each panel query becomes a rule.
    rules = ["groups:", "  - name: dashboard", "    rules:"]
    for i, (_, _, _, expr) in enumerate(generate.panel_queries()):
        rules += ["      - record: dashboard_query_%d" % i, "        expr: %s" % json.dumps(expr)]
    path = tmp_path / "queries.rules.yml"
    path.write_text("\n".join(rules) + "\n")
    result = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
