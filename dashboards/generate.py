"""The Grafana dashboard for a migration (dashboards/exporterd-migration.json), built with
grafana-foundation-sdk so the JSON follows the current dashboard schema and cannot drift by
hand. Run `python dashboards/generate.py` to rewrite the JSON; `--check` exits 1 when the
committed file differs from what this code builds. `panel_queries()` lists every panel query
with the dashboard variables replaced, for tests that evaluate them against a real Prometheus.

Every query is filtered by the `job` variable, and by `topic` where the metric has that label.

Replicas (docs/high-availability.md): two exporterd of one job export the same series, told
apart only by `instance`, and agree on them once quiet. Panels never add replicas up: per-topic
values are `max by (topic)` over them (the replica that counted further is the truer lower
bound), totals sum those maxima per job, and health panels take the worst replica (`min`), as
the alerts do. Only "Time since last successful poll" shows each replica.
"""
import json
import os
import sys

from grafana_foundation_sdk.builders import bargauge, dashboard, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus as prometheus_model

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "exporterd-migration.json")
UID = "exporterd-migration"

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
JOB = 'job=~"$job"'
JOB_TOPIC = 'job=~"$job",topic=~"$topic"'

# What the variables stand for when a query is run outside Grafana: every job, every topic.
SUBSTITUTIONS = {
    "$__rate_interval": "1m",
    "$__range": "1h",
    "$job": ".*",
    "$topic": ".*",
}

# The migration states in the order a topic passes through them, with the badge colours of
# the status page's Migration tab.
STATE_COLOURS = {"REJECT": "red", "PROXY": "blue", "MIGRATING": "orange", "COMPLETE": "green"}


def _query(ref_id, expr, legend=None, instant=False, table_format=False):
    q = prometheus.Dataquery().ref_id(ref_id).expr(expr).datasource(DATASOURCE)
    if legend is not None:
        q = q.legend_format(legend)
    if instant:
        q = q.instant()
    else:
        q = q.range()
    if table_format:
        q = q.format(prometheus_model.PromQueryFormat.TABLE)
    return q


def _thresholds(*steps):
    return (dashboard.ThresholdsConfig()
            .mode(model.ThresholdsMode.ABSOLUTE)
            .steps([model.Threshold(value=v, color=c) for v, c in steps]))


def _value_map(mapping):
    return model.ValueMap(options={k: model.ValueMappingResult(text=t, color=c, index=i)
                                   for i, (k, (t, c)) in enumerate(mapping.items())})


UP_DOWN = _value_map({"0": ("down", "red"), "1": ("up", "green")})


def _pos(x, y, w, h):
    return model.GridPos(x=x, y=y, w=w, h=h)


def _timeseries(title, description, unit, queries, pos, bars=False):
    panel = (timeseries.Panel().title(title).description(description).datasource(DATASOURCE)
             .unit(unit).grid_pos(pos)
             .legend(common_builders.VizLegendOptions()
                     .display_mode(common.LegendDisplayMode.TABLE)
                     .placement(common.LegendPlacement.RIGHT).show_legend(True)
                     .calcs(["lastNotNull", "max"]))
             .tooltip(common_builders.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI)
                      .sort(common.SortOrder.DESCENDING)))
    if bars:
        panel = (panel.draw_style(common.GraphDrawStyle.BARS).fill_opacity(80)
                 .stacking(common_builders.StackingConfig().mode(common.StackingMode.NORMAL)))
    for q in queries:
        panel = panel.with_target(q)
    return panel


def _stat(title, description, queries, pos, unit="short", mappings=None, thresholds=None,
          color_mode=common.BigValueColorMode.VALUE):
    panel = (stat.Panel().title(title).description(description).datasource(DATASOURCE)
             .unit(unit).grid_pos(pos).color_mode(color_mode)
             .graph_mode(common.BigValueGraphMode.NONE)
             .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
             .thresholds(thresholds or _thresholds((None, "green"))))
    if mappings:
        panel = panel.mappings(mappings)
    for q in queries:
        panel = panel.with_target(q)
    return panel


def _topics_per_state(y):
    return (bargauge.Panel().title("Topics per state")
            .description("Watched topics in each migration state (kafka_migration_topics).")
            .datasource(DATASOURCE).grid_pos(_pos(0, y, 12, 5)).unit("short").min(0)
            .orientation(common.VizOrientation.VERTICAL)
            .display_mode(common.BarGaugeDisplayMode.BASIC)
            .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
            .thresholds(_thresholds((None, "text")))
            .overrides([dashboard.DashboardFieldConfigSourceOverrides()
                        .matcher(model.MatcherConfig(id_val="byName", options=state))
                        .properties([model.DynamicConfigValue(
                            id_val="color", value={"mode": "fixed", "fixedColor": colour})])
                        for state, colour in STATE_COLOURS.items()])
            .with_target(_query("A", 'sum by (state) (max by (job, state) (kafka_migration_topics{%s}))' % JOB,
                                legend="{{state}}", instant=True)))


def _topic_table(y):
    sel = "{%s}" % JOB_TOPIC
    columns = [
        # (refId, query, column title)
        ("A", 'max by (topic, state) (kafka_migration_topic_state%s == 1)' % sel, None),
        ("B", 'max by (topic) (kafka_migration_topic_state_since_timestamp_seconds%s) * 1000' % sel,
         "Since"),
        ("C", 'max by (topic) (kafka_migration_replication_offset_lag%s)' % sel, "Offset lag"),
        ("D", 'max by (topic) (kafka_migration_replication_time_lag_seconds%s)' % sel, "Time lag"),
        ("E", 'max by (topic) (rate(kafka_migration_proxied_records_total%s[$__rate_interval]))' % sel,
         "Proxied rate"),
        ("F", 'sum by (topic) (max by (topic, diagnostic) (kafka_migration_diagnostic_active%s))' % sel,
         "Active diagnostics"),
        ("G", 'max by (topic) (kafka_migration_cutover_ready%s)' % sel, "Cutover ready"),
    ]
    rename = {"topic": "Topic", "state": "State"}
    rename.update({"Value #%s" % ref: title for ref, _, title in columns if title})
    order = ["topic", "state"] + ["Value #%s" % ref for ref, _, title in columns if title]

    def override(name, *props):
        return (dashboard.DashboardFieldConfigSourceOverrides()
                .matcher(model.MatcherConfig(id_val="byName", options=name))
                .properties([model.DynamicConfigValue(id_val=k, value=v) for k, v in props]))

    panel = (table.Panel().title("Topics")
             .description("One row per watched topic: state, when it was entered, replication "
                          "lags (absent once COMPLETE), records per second through the proxy, "
                          "number of diagnostics firing, and whether a PROXY topic is ready for "
                          "cutover (absent unless PROXY).")
             .datasource(DATASOURCE).grid_pos(_pos(0, y, 24, 9)).filterable(True)
             .sort_by([common_builders.TableSortByFieldState().display_name("Topic")])
             .with_transformation(model.DataTransformerConfig(id_val="merge", options={}))
             .with_transformation(model.DataTransformerConfig(id_val="organize", options={
                 "excludeByName": {"Time": True, "Value #A": True},
                 "indexByName": {name: i for i, name in enumerate(order)},
                 "renameByName": rename,
             }))
             .overrides([
                 override("State", ("mappings", [
                     {"type": "value", "options": {s: {"text": s, "color": c, "index": i}
                                                   for i, (s, c) in enumerate(STATE_COLOURS.items())}}]),
                          ("custom.cellOptions", {"type": "color-background"})),
                 override("Since", ("unit", "dateTimeFromNow")),
                 override("Offset lag", ("unit", "short")),
                 override("Time lag", ("unit", "s")),
                 override("Proxied rate", ("unit", "rps")),
                 override("Active diagnostics", ("unit", "short"),
                          ("thresholds", {"mode": "absolute", "steps": [
                              {"value": None, "color": "green"}, {"value": 1, "color": "red"}]}),
                          ("custom.cellOptions", {"type": "color-text"})),
                 override("Cutover ready", ("mappings", [
                     {"type": "value", "options": {"0": {"text": "no", "color": "orange", "index": 0},
                                                   "1": {"text": "yes", "color": "green", "index": 1}}}]),
                          ("custom.cellOptions", {"type": "color-text"})),
             ]))
    for ref, expr, _ in columns:
        panel = panel.with_target(_query(ref, expr, instant=True, table_format=True))
    return panel


def build():
    """The dashboard as the SDK's model object."""
    sel = "{%s}" % JOB_TOPIC
    job = "{%s}" % JOB
    rate = "[$__rate_interval]"
    y = 0
    d = (dashboard.Dashboard("exporterd: Kafka migration").uid(UID)
         .description("A proxy-based Kafka producer migration as exporterd sees it: topic "
                      "states, replication lag, throughput, writes that bypass the proxy, "
                      "events and the exporter's own health.")
         .tags(["exporterd", "kafka", "migration"]).editable().timezone("browser")
         .time("now-6h", "now").refresh("30s")
         .tooltip(model.DashboardCursorSync.CROSSHAIR)
         .with_variable(dashboard.DatasourceVariable("datasource").label("Data source")
                        .type("prometheus"))
         .with_variable(dashboard.QueryVariable("job").label("Job").datasource(DATASOURCE)
                        .query("label_values(kafka_migration_exporter_build_info, job)")
                        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
                        .sort(model.VariableSort.ALPHABETICAL_ASC)
                        .multi(True).include_all(True))
         .with_variable(dashboard.QueryVariable("topic").label("Topic").datasource(DATASOURCE)
                        .query('label_values(kafka_migration_topic_info{job=~"$job"}, topic)')
                        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
                        .sort(model.VariableSort.ALPHABETICAL_ASC)
                        .multi(True).include_all(True)))

    d = d.with_row(dashboard.Row("Migration").grid_pos(_pos(0, y, 24, 1)))
    y += 1
    d = d.with_panel(_topics_per_state(y))
    d = d.with_panel(_stat(
        "Unproxied source records", "Confirmed records written to the source without the proxy "
        "while PROXY or MIGRATING; any is a producer to find.",
        [_query("A", "sum(max by (job, topic) (kafka_migration_unproxied_source_records_total%s))" % sel, instant=True)],
        _pos(12, y, 4, 5), thresholds=_thresholds((None, "green"), (1, "red")),
        color_mode=common.BigValueColorMode.BACKGROUND))
    d = d.with_panel(_stat(
        "Post-migration source records", "Records appended to the source after their topic "
        "became COMPLETE: never replicated, lost when the source is switched off.",
        [_query("A", "sum(max by (job, topic) (kafka_migration_post_migration_source_records_total%s))" % sel, instant=True)],
        _pos(16, y, 4, 5), thresholds=_thresholds((None, "green"), (1, "red")),
        color_mode=common.BigValueColorMode.BACKGROUND))
    d = d.with_panel(_stat(
        "Diagnostics firing", "Diagnostics active over the selected topics (see the table).",
        [_query("A", "sum(max by (job, topic, diagnostic) (kafka_migration_diagnostic_active%s))" % sel, instant=True)],
        _pos(20, y, 4, 5), thresholds=_thresholds((None, "green"), (1, "red")),
        color_mode=common.BigValueColorMode.BACKGROUND))
    y += 5
    d = d.with_panel(_topic_table(y))
    y += 9

    d = d.with_row(dashboard.Row("Replication lag").grid_pos(_pos(0, y, 24, 1)))
    y += 1
    d = d.with_panel(_timeseries(
        "Offset lag", "Source records not yet on the destination, summed over partitions.",
        "short", [_query("A", "max by (topic) (kafka_migration_replication_offset_lag%s)" % sel,
                         legend="{{topic}}")], _pos(0, y, 12, 8)))
    d = d.with_panel(_timeseries(
        "Time lag", "Age of the oldest source record not yet on the destination.",
        "s", [_query("A", "max by (topic) (kafka_migration_replication_time_lag_seconds%s)" % sel,
                     legend="{{topic}}")], _pos(12, y, 12, 8)))
    y += 8

    d = d.with_row(dashboard.Row("Throughput").grid_pos(_pos(0, y, 24, 1)))
    y += 1
    d = d.with_panel(_timeseries(
        "Source vs destination produce rate", "Records appended per second on each cluster.",
        "rps", [
            _query("A", "max by (topic) (rate(kafka_migration_source_offsets_total%s%s))" % (sel, rate),
                   legend="{{topic}} source"),
            _query("B", "max by (topic) (rate(kafka_migration_destination_offsets_total%s%s))" % (sel, rate),
                   legend="{{topic}} destination"),
        ], _pos(0, y, 12, 8)))
    d = d.with_panel(_timeseries(
        "Proxied vs source rate", "Records per second the proxy forwarded against all records "
        "appended to the source: a gap while PROXY or MIGRATING is a producer that bypasses the proxy.",
        "rps", [
            _query("A", "max by (topic) (rate(kafka_migration_proxied_records_total%s%s))" % (sel, rate),
                   legend="{{topic}} proxied"),
            _query("B", "max by (topic) (rate(kafka_migration_source_offsets_total%s%s))" % (sel, rate),
                   legend="{{topic}} source"),
        ], _pos(12, y, 12, 8)))
    y += 8
    d = d.with_panel(_timeseries(
        "Proxied bytes rate", "Bytes per second the proxy forwarded.",
        "Bps", [_query("A", "max by (topic) (rate(kafka_migration_proxied_bytes_total%s%s))" % (sel, rate),
                       legend="{{topic}}")], _pos(0, y, 24, 7)))
    y += 7

    d = d.with_row(dashboard.Row("Source writes outside the proxy").grid_pos(_pos(0, y, 24, 1)))
    y += 1
    d = d.with_panel(_timeseries(
        "Unproxied source records", "Confirmed records that reached the source without the proxy "
        "while the topic was PROXY or MIGRATING.",
        "short", [_query("A", "max by (topic) (kafka_migration_unproxied_source_records_total%s)" % sel,
                         legend="{{topic}}")], _pos(0, y, 12, 8)))
    d = d.with_panel(_timeseries(
        "Post-migration source records", "Records appended to the source after the topic became COMPLETE.",
        "short", [_query("A", "max by (topic) (kafka_migration_post_migration_source_records_total%s)" % sel,
                         legend="{{topic}}")], _pos(12, y, 12, 8)))
    y += 8

    d = d.with_row(dashboard.Row("Events").grid_pos(_pos(0, y, 24, 1)))
    y += 1
    d = d.with_panel(_timeseries(
        "Events per type", "Migration events recorded, by type.",
        "short", [_query("A", "sum by (type) (max by (job, type) (increase(kafka_migration_events_total%s%s)))" % (job, rate),
                         legend="{{type}}")], _pos(0, y, 16, 8), bars=True))
    d = d.with_panel(
        bargauge.Panel().title("Events in range").description("Events of each type over the dashboard's time range.")
        .datasource(DATASOURCE).grid_pos(_pos(16, y, 8, 8)).unit("short").min(0)
        .orientation(common.VizOrientation.HORIZONTAL).display_mode(common.BarGaugeDisplayMode.BASIC)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(_thresholds((None, "blue")))
        .with_target(_query("A", "sum by (type) (max by (job, type) (increase(kafka_migration_events_total%s[$__range])))" % job,
                            legend="{{type}}", instant=True)))
    y += 8

    d = d.with_row(dashboard.Row("Exporter health").grid_pos(_pos(0, y, 24, 1)))
    y += 1
    d = d.with_panel(_stat(
        "Clusters up", "Whether the last poll of each cluster succeeded (on every replica).",
        [_query("A", "min by (cluster) (kafka_migration_cluster_up%s)" % job, legend="{{cluster}}", instant=True)],
        _pos(0, y, 6, 5), mappings=[UP_DOWN], thresholds=_thresholds((None, "red"), (1, "green")),
        color_mode=common.BigValueColorMode.BACKGROUND))
    d = d.with_panel(_stat(
        "Partitions answered / total", "Partitions whose offsets the last poll read, of those watched; "
        "fewer answered means some sums kept their previous value (the replica that read fewest).",
        [_query("A", "sum by (cluster) (min by (job, cluster) (kafka_migration_partitions_answered%s))" % job,
                legend="{{cluster}} answered", instant=True),
         _query("B", "sum by (cluster) (max by (job, cluster) (kafka_migration_partitions%s))" % job,
                legend="{{cluster}} total", instant=True)],
        _pos(6, y, 6, 5)))
    d = d.with_panel(_stat(
        "Proxy agents up", "Whether the last scrape of each proxy agent gave usable counters; "
        "while one is down, unproxied-write accounting is suspended (down when any replica cannot read it).",
        [_query("A", "min by (target) (kafka_migration_proxy_target_up%s)" % job, legend="{{target}}", instant=True)],
        _pos(12, y, 6, 5), mappings=[UP_DOWN], thresholds=_thresholds((None, "red"), (1, "green")),
        color_mode=common.BigValueColorMode.BACKGROUND))
    d = d.with_panel(_stat(
        "State source up", "Whether the last read of the migration state document succeeded; "
        "on down the last good states stay in force (down when any replica cannot read it).",
        [_query("A", "min(kafka_migration_state_source_up%s)" % job, instant=True)],
        _pos(18, y, 6, 5), mappings=[UP_DOWN], thresholds=_thresholds((None, "red"), (1, "green")),
        color_mode=common.BigValueColorMode.BACKGROUND))
    y += 5
    d = d.with_panel(_timeseries(
        "Poll duration", "Time of one poll cycle per cluster, 50th and 99th percentile.",
        "s", [
            _query("A", "histogram_quantile(0.5, sum by (cluster, le) "
                        "(rate(kafka_migration_poll_duration_seconds_bucket%s%s)))" % (job, rate),
                   legend="{{cluster}} p50"),
            _query("B", "histogram_quantile(0.99, sum by (cluster, le) "
                        "(rate(kafka_migration_poll_duration_seconds_bucket%s%s)))" % (job, rate),
                   legend="{{cluster}} p99"),
        ], _pos(0, y, 12, 8)))
    d = d.with_panel(_timeseries(
        "Time since last successful poll", "Seconds since each replica last polled each cluster successfully.",
        "s", [_query("A", "time() - max by (instance, cluster) (kafka_migration_last_poll_timestamp_seconds%s)" % job,
                     legend="{{instance}} {{cluster}}")], _pos(12, y, 12, 8)))
    built = d.build()
    # Stable ids in layout order, so links to a panel (`viewPanel=`) survive regeneration.
    for number, panel in enumerate(built.panels, start=1):
        panel.id_val = number
    return built


def render():
    """The dashboard JSON exactly as committed."""
    return json.dumps(build(), cls=JSONEncoder, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _panels(doc):
    for panel in doc.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def substitute(expr):
    """A panel query with the dashboard variables replaced by values for every job and topic."""
    # Longest names first, so `$__range` never eats the head of a longer variable name.
    for name in sorted(SUBSTITUTIONS, key=len, reverse=True):
        expr = expr.replace(name, SUBSTITUTIONS[name])
    return expr


def panel_queries(doc=None, substituted=True):
    """Every panel query as (panel title, refId, instant?, expr), variables substituted."""
    if doc is None:
        doc = json.loads(render())
    result = []
    for panel in _panels(doc):
        for target in panel.get("targets", []):
            expr = target["expr"]
            result.append((panel["title"], target["refId"], bool(target.get("instant")),
                           substitute(expr) if substituted else expr))
    return result


def main(argv):
    text = render()
    if argv[1:] == ["--check"]:
        with open(OUTPUT, encoding="utf-8") as f:
            if f.read() != text:
                print("%s differs from dashboards/generate.py: run python dashboards/generate.py"
                      % os.path.relpath(OUTPUT), file=sys.stderr)
                return 1
        return 0
    if argv[1:]:
        print("usage: generate.py [--check]", file=sys.stderr)
        return 2
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
