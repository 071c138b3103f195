"""Two exporterd replicas watching the same lab agree (issue 12, item 7).

Two `exporterd run` processes, each with its own `data_dir` and port and otherwise the same
config (same brokers, agents and state file), watch private Tansu brokers (`private_lab`) with
the lab stand-ins: two proxy agents following the state file, a replicator, direct (rogue)
producers, and topics in PROXY, MIGRATING and COMPLETE, moved through a cutover while watched.
The run goes through phases of proxied traffic and rogue bursts; between phases the agents
pause and nothing writes for longer than `publish_delay + confirm_polls × poll_interval`
(a quiet period). After each quiet period every counter below must be identical on both
replicas, per topic, and equal to the truth:

- `unproxied_source_records_total` = the rogue records written while the topic was PROXY or
  MIGRATING. CONTRACT §5 guarantee (2): exact at the latest `confirm_polls` polls after a
  quiet poll. `post_migration_source_records_total` = the rogue records written while
  COMPLETE (S(t) − S_c, S_c taken at the last poll before COMPLETE was seen).
- `source_offsets_total` / `destination_offsets_total` = the sum of the brokers' high
  watermarks.
- `proxied_records_total` / `proxied_bytes_total` = what the agents acknowledged (summed over
  agents). CONTRACT §4: the counter "starts from the agents' values when exporterd first sees
  them, and after a restart adds what the agents counted meanwhile": the first value is the
  agent's counter itself, not 0, so replicas started at different times agree as long as no
  agent restarted between their starts (a replica that watched an agent restart adds the old
  process's count; one that first sees the new process cannot know it). Agents are not
  restarted here, so exact equality is what the contract promises, and it is asserted. A
  replica restarted from its own data_dir (SIGTERM, and kill -9) adds what the agents counted
  while it was away, so it must agree too.
- Both replicas start while the agents are paused and make a few complete polls before any
  traffic: their unproxied baselines are quiet polls. Guarantee (2) is exact only then; a
  replica whose baseline poll is not quiet (first started under traffic) trails the truth for
  good by up to the records proxied within `publish_delay` before it (the agents had
  acknowledged them, so S_b holds them, but not yet published them, so lo_b does not), which
  the contract allows and docs/high-availability.md explains. A replica restarted from its
  data_dir keeps its baseline, so restarting it under traffic is fine.
- `events_total{type}` and the events themselves (topic, type) are the same on both; each
  replica's sequence numbers run 1..n without gap or duplicate across its restarts.

Also at every sample taken during traffic: no replica's unproxied or post-migration counter
is above the rogue records written so far (guarantee (1): never above the truth).

The second test stops a replica across a cutover (PROXY under traffic when it stops, COMPLETE
when it is back) and starts a third with an empty data_dir afterwards; the third runs the
shipped rules in a real Prometheus and Alertmanager scraping both replicas (one page, kept
firing with a replica killed). Another stops a replica while its topic is MIGRATING and starts
it once the cutover was aborted (PROXY, records forwarded) and redone to COMPLETE: it must count
only the post-COMPLETE rogue writes. See docs/high-availability.md.

A table per quiet period is printed (`-s` shows it). Every process is started here and stopped
by PID. Needs EXPORTERD_BIN (skipped without it); the brokers come from `private_lab`.
"""
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from exporter_lab import Process, free_port
from private_brokers import SCRIPTS, Proc, create_topics, private_lab, wait_until  # noqa: F401
from replica_lab import (Lab, Replica, check_never_above_truth, counters, quiet_and_compare, shared_config,
                         traffic, unique)


def _stop(replicas, lab, replicator):
    """Stops what a replica test started: the replicas, the lab's agents, the replicator."""
    for replica in replicas:
        replica.stop()
    for agent in lab.agents:
        agent.stop()
    replicator.stop()


def test_two_replicas_agree_after_every_quiet_period_across_restarts(private_lab, tmp_path):
    binary = os.environ.get("EXPORTERD_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.skip("EXPORTERD_BIN is not set to a built exporterd")
    proxy_a, proxy_b = unique("orders"), unique("payments")        # PROXY throughout
    migrating = unique("ledger")                                    # PROXY -> MIGRATING, stays
    complete = unique("audit")                                      # PROXY -> MIGRATING -> COMPLETE
    topics = [proxy_a, proxy_b, migrating, complete]
    for cluster in ("source", "destination"):
        create_topics(private_lab[cluster], *("%s:3" % t for t in topics))
    lab = Lab(private_lab, str(tmp_path), topics)
    # History from before the migration (REJECT: unlisted), then every topic PROXY.
    for topic in topics:
        lab.states[topic] = "REJECT"
        lab.write_rogue(topic, 15)
        lab.rogue[topic] = {"unproxied": 0, "post_migration": 0}   # written while REJECT: not counted
    for topic in topics:
        lab.set_state(topic, "PROXY")

    replicator = Proc("replicator.py", "--source", private_lab["source"], "--destination",
                      private_lab["destination"], *sum((["--topic", t] for t in topics), []), log_dir=str(tmp_path))
    replicas = []
    bad = []
    try:
        # Two agents; the MIGRATING topic is produced by both (summed over agents).
        lab.start_agent([(proxy_a, 8), (migrating, 4), (complete, 4)])
        lab.start_agent([(proxy_b, 6), (migrating, 3)])
        shared = shared_config(private_lab, topics, lab.agents, lab.state_file)
        replicas = [Replica(name, binary, str(tmp_path / name), shared) for name in ("replica-a", "replica-b")]
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.wait_for_quiet_baseline()
        a, b = replicas

        # 1. Both up: proxied traffic, rogue bursts on PROXY topics, a cutover to MIGRATING and
        #    one through to COMPLETE, and a burst on each of those.
        lab.resume()
        traffic(lab, replicas, 3, bad)
        lab.write_rogue(proxy_a, 7)
        lab.set_state(migrating, "MIGRATING")
        lab.set_state(complete, "MIGRATING")
        traffic(lab, replicas, 3, bad)
        lab.write_rogue(migrating, 5)
        wait_until(lambda: all(r.metrics().get(("kafka_migration_replication_offset_lag",
                                                frozenset({("topic", complete)}))) == 0 for r in replicas),
                   30, 0.25, "the cutover's lag drained")
        lab.set_state(complete, "COMPLETE")
        traffic(lab, replicas, 3, bad)
        lab.write_rogue(complete, 4)
        lab.write_rogue(proxy_b, 3)
        traffic(lab, replicas, 2, bad)
        quiet_and_compare("phase 1 (both replicas up)", lab, replicas, bad)

        # 2. Replica B stopped with SIGTERM; traffic and bursts while it is away; it comes back
        #    from its data_dir and catches up.
        assert b.stop(signal.SIGTERM) == 0
        lab.resume()
        traffic(lab, replicas, 2, bad)
        lab.write_rogue(proxy_a, 6)
        lab.write_rogue(migrating, 2)
        lab.write_rogue(complete, 3)
        traffic(lab, replicas, 3, bad)
        b.start()
        traffic(lab, replicas, 3, bad)
        lab.write_rogue(proxy_b, 4)
        traffic(lab, replicas, 2, bad)
        quiet_and_compare("phase 2 (replica-b SIGTERM and restarted)", lab, replicas, bad)

        # 3. Replica A killed with SIGKILL in the middle of traffic and a rogue stream; back a
        #    few seconds later.
        lab.resume()
        rogue = subprocess.Popen([sys.executable, os.path.join(SCRIPTS, "rogue_producer.py"), "--bootstrap",
                                  private_lab["source"], "--topic", proxy_b, "--rate", "3"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lab.streaming.add(proxy_b)
        try:
            traffic(lab, replicas, 2, bad)
            a.stop(signal.SIGKILL)
            lab.write_rogue(proxy_a, 5)
            traffic(lab, replicas, 3, bad)
            a.start()
            traffic(lab, replicas, 2, bad)
        finally:
            rogue.terminate()
            out, err = rogue.communicate(timeout=20)
        report = json.loads(out)
        assert report["failed"] == 0 and report["acked"] > 0, err
        lab.book(proxy_b, report["acked"])
        lab.streaming.discard(proxy_b)
        lab.write_rogue(complete, 2)
        traffic(lab, replicas, 2, bad)
        quiet_and_compare("phase 3 (replica-a kill -9 and restarted)", lab, replicas, bad)

        # 4. Both up again: one more round of everything.
        lab.resume()
        traffic(lab, replicas, 2, bad)
        lab.write_rogue(migrating, 3)
        lab.write_rogue(proxy_a, 2)
        traffic(lab, replicas, 3, bad)
        seen = quiet_and_compare("phase 4 (both replicas up)", lab, replicas, bad)

        assert bad == [], "a count above the truth: %r" % bad[:10]
        # Every counter moved in this run, so the agreement above is not agreement on zeros.
        for topic in topics:
            assert seen["replica-a"][0][topic]["proxied_records"] > 0, topic
        assert lab.rogue[complete]["post_migration"] > 0 and lab.rogue[migrating]["unproxied"] > 0

        # The events themselves: the same (topic, type) on both; contiguous seq per replica
        # across its restart; and the cutovers recorded once each.
        listed = {}
        for replica in replicas:
            events = replica.events()
            assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), replica.name
            listed[replica.name] = Counter((e["topic"], e["type"]) for e in events)
        assert listed["replica-a"] == listed["replica-b"], listed
        events = listed["replica-a"]
        assert events[(migrating, "INITIATED")] == 1 and events[(complete, "INITIATED")] == 1
        assert events[(complete, "COMPLETED")] == 1
        for topic in (proxy_a, proxy_b, migrating):
            assert events[(topic, "UNPROXIED_WRITES_DETECTED")] == 1, (topic, events)
        assert events[(complete, "POST_MIGRATION_WRITES_DETECTED")] == 1, events
        by_type = Counter()
        for (_, kind), n in events.items():
            by_type[kind] += n
        assert seen["replica-a"][1] == {k: float(v) for k, v in by_type.items()}
        assert by_type["INITIATED"] == lab.moves[("PROXY", "MIGRATING")] == 2
        assert by_type["COMPLETED"] == lab.moves[("MIGRATING", "COMPLETE")] == 1
        print("events on each replica: %s" % dict(sorted(by_type.items())))
    finally:
        _stop(replicas, lab, replicator)


def test_dashboard_panels_never_add_replicas_up():
    """Two replicas export the same series under different `instance` labels: a panel that sums
    a counter or gauge straight over them shows twice the truth. Every `sum` in a panel query
    must sum per-replica maxima/minima (`sum(max by (job, topic) (...))`), except the poll
    duration histogram, whose buckets from both replicas are one distribution of polls."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "dashboards"))
    import generate  # dashboards/generate.py
    import re
    summing = re.compile(r"\bsum\s*(?:by\s*\([^)]*\)\s*)?\(\s*(?!max by|min by|rate\(kafka_migration_poll_duration_seconds_bucket)")
    offenders = [(title, ref, expr) for title, ref, _, expr in generate.panel_queries(substituted=False)
                 if summing.search(expr)]
    assert offenders == [], offenders
    # The check itself catches what it is for.
    assert summing.search('sum(kafka_migration_unproxied_source_records_total{job=~"$job"})')
    assert summing.search('sum by (topic) (rate(kafka_migration_proxied_records_total{job=~"$job"}[1m]))')


class _Cutover:
    """What a cutover test works with: the lab, the topic being moved, the exporterd binary and
    the replicas' shared config, replicas A and B (and any the test appends to `replicas`), and
    `bad`, where `traffic` records every count seen above the truth."""

    def __init__(self, lab, moving, binary, shared, a, b, replicas, bad):
        self.lab, self.moving, self.binary, self.shared = lab, moving, binary, shared
        self.a, self.b, self.replicas, self.bad = a, b, replicas, bad


@contextlib.contextmanager
def _a_topic_proxied_under_two_replicas(private_lab, tmp_path, prefix):
    """A topic `<prefix>-…` with 3 partitions on both clusters, in PROXY with an agent proxying
    it and a replicator copying it; replicas A and B started on quiet baselines; then traffic
    with 5 rogue records until both agree. Everything started here (and any replica the test
    appends to `replicas`) is stopped on the way out."""
    binary = os.environ.get("EXPORTERD_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.skip("EXPORTERD_BIN is not set to a built exporterd")
    moving = unique(prefix)
    for cluster in ("source", "destination"):
        create_topics(private_lab[cluster], "%s:3" % moving)
    lab = Lab(private_lab, str(tmp_path), [moving])
    lab.set_state(moving, "PROXY")
    replicator = Proc("replicator.py", "--source", private_lab["source"], "--destination",
                      private_lab["destination"], "--topic", moving, log_dir=str(tmp_path))
    replicas, bad = [], []
    try:
        lab.start_agent([(moving, 10)])
        shared = shared_config(private_lab, [moving], lab.agents, lab.state_file)
        a, b = (Replica(name, binary, str(tmp_path / name), shared) for name in ("replica-a", "replica-b"))
        replicas += [a, b]
        a.start()
        b.start()
        a.wait_for_quiet_baseline()
        b.wait_for_quiet_baseline()
        lab.resume()
        traffic(lab, replicas, 3, bad)
        lab.write_rogue(moving, 5)
        quiet_and_compare("both up, PROXY", lab, replicas, bad)
        yield _Cutover(lab, moving, binary, shared, a, b, replicas, bad)
    finally:
        _stop(replicas, lab, replicator)


def test_a_replica_away_during_a_cutover_and_a_late_replica_agree_on_post_migration_writes(private_lab, tmp_path):
    """A replica stopped while its topic is PROXY under proxied traffic and started again after
    the topic went MIGRATING and COMPLETE must not count the records the proxy forwarded while
    it was away as post-migration writes: CONTRACT §5 counts only records appended after the
    topic became COMPLETE, and the replica that watched the cutover counts none. A third
    replica started afterwards with an empty data_dir meets the topic already COMPLETE and
    finds its baseline by timestamp at the state's `since`: it agrees on post-migration writes
    and on proxied counters (the agent never restarted), and by contract counts no unproxied
    write from before it first saw the topic."""
    with _a_topic_proxied_under_two_replicas(private_lab, tmp_path, "cutover") as cut:
        lab, moving, a, b, replicas, bad = cut.lab, cut.moving, cut.a, cut.b, cut.replicas, cut.bad

        # B away for the whole cutover; the proxy forwards records to the source meanwhile.
        assert b.stop(signal.SIGTERM) == 0
        lab.resume()
        traffic(lab, [a], 4, bad)
        lab.set_state(moving, "MIGRATING")
        wait_until(lambda: a.metrics().get(("kafka_migration_replication_offset_lag",
                                            frozenset({("topic", moving)}))) == 0, 30, 0.25, "lag drained")
        lab.set_state(moving, "COMPLETE")
        traffic(lab, [a], 2, bad)
        lab.write_rogue(moving, 4)   # after COMPLETE: post-migration, on every replica
        b.start()
        traffic(lab, replicas, 3, bad)
        quiet_and_compare("replica-b back after the cutover", lab, replicas, bad)
        assert bad == [], "a count above the truth: %r" % bad[:10]

        # A replica with an empty data_dir, started now.
        c = Replica("replica-c", cut.binary, str(tmp_path / "replica-c"), cut.shared)
        replicas.append(c)
        c.start()
        agent_states = lab.pause_and_settle()
        expected = lab.truth(agent_states)
        late = dict(expected[moving], unproxied=0.0)   # nothing written since it first saw the topic
        wait_until(lambda: counters(c.metrics(), [moving])[0][moving] == late, 30, 0.5,
                   "the late replica's counters: %r" % late)
        print("late replica-c: %r" % counters(c.metrics(), [moving])[0][moving])
        # Its only event is its own detection of the post-migration records; the cutover
        # happened before it started.
        assert [(e["topic"], e["type"]) for e in c.events()] == [(moving, "POST_MIGRATION_WRITES_DETECTED")]


def test_a_replica_away_while_a_cutover_is_aborted_and_redone_counts_no_forwarded_record(private_lab, tmp_path):
    """A replica stopped while its topic is MIGRATING and started again once it is COMPLETE
    must not take its last MIGRATING read as the post-migration baseline when the cutover was
    aborted meanwhile: back in PROXY the proxy forwarded records to the source, then the topic
    went MIGRATING and COMPLETE again. The replica saw MIGRATING → COMPLETE only; its state went
    unobserved for longer than 3 poll intervals, so it looks the baseline up by timestamp at
    `since` (floored by its last MIGRATING read) and counts only the rogue records written
    after COMPLETE, as the replica that watched it all does. Before this, it counted every
    record the proxy forwarded during the abort as a post-migration write."""
    with _a_topic_proxied_under_two_replicas(private_lab, tmp_path, "redone") as cut:
        lab, moving, a, b, replicas, bad = cut.lab, cut.moving, cut.a, cut.b, cut.replicas, cut.bad
        lag = ("kafka_migration_replication_offset_lag", frozenset({("topic", moving)}))
        migrating = ("kafka_migration_topic_state", frozenset({("topic", moving), ("state", "MIGRATING")}))

        # MIGRATING, seen by both with complete reads; then B stops.
        lab.set_state(moving, "MIGRATING")
        lab.resume()   # the agent holds its writes while MIGRATING
        wait_until(lambda: b.metrics().get(migrating) == 1 and b.metrics().get(lag) == 0, 30, 0.25, "B sees MIGRATING")
        polls = b.complete_polls() or 0
        wait_until(lambda: (b.complete_polls() or 0) >= polls + 2, 30, 0.2, "B reads the source while MIGRATING")
        assert b.stop(signal.SIGTERM) == 0

        # Aborted: the proxy forwards to the source again; then a second, successful cutover.
        lab.set_state(moving, "PROXY")
        traffic(lab, [a], 4, bad)
        lab.set_state(moving, "MIGRATING")
        wait_until(lambda: a.metrics().get(lag) == 0, 30, 0.25, "lag drained")
        lab.set_state(moving, "COMPLETE")
        traffic(lab, [a], 2, bad)
        lab.write_rogue(moving, 4)   # after COMPLETE: the only post-migration writes
        b.start()
        traffic(lab, replicas, 3, bad)

        agent_states = lab.pause_and_settle()
        seen = {}

        def shown():
            check_never_above_truth(lab, replicas, bad)
            expected = lab.truth(agent_states)[moving]
            for replica in replicas:
                seen[replica.name] = counters(replica.metrics(), [moving])[0][moving]
            return all(seen[r.name] == expected for r in replicas)
        try:
            wait_until(shown, 45, 0.5, "both replicas show the truth after the abort and the second cutover")
        finally:
            print("truth %r; seen %r" % (lab.truth(agent_states)[moving], seen))
        assert bad == [], "a count above the truth: %r" % bad[:10]
        assert lab.rogue[moving] == {"unproxied": 5, "post_migration": 4}
        # B saw the first INITIATED, then COMPLETED; the abort and the second INITIATED
        # happened while it was away. One detection of the post-migration writes each.
        b_types = [e["type"] for e in b.events()]
        assert b_types.count("POST_MIGRATION_WRITES_DETECTED") == 1, b_types
        assert "ABORTED" in [e["type"] for e in a.events()]


def test_two_replicas_behind_one_prometheus_page_once_and_keep_paging_with_one_down(private_lab, tmp_path):
    """The shipped rules with two replicas in one scrape job, in a real Prometheus and
    Alertmanager (as Tests/e2e/test_alerting.py, 1 s scrapes and evaluations): a direct write to
    a PROXY topic, counted by both replicas, is one alert (no `instance` label) and one page;
    killing the replica Prometheus saw first keeps that alert firing without a resolve; nothing
    else fires."""
    import shutil
    from test_alerting import ALERTMANAGER, RULES, Prometheus, Webhook, answers, values
    binary = os.environ.get("EXPORTERD_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.skip("EXPORTERD_BIN is not set to a built exporterd")
    if not shutil.which("prometheus") or not ALERTMANAGER:
        pytest.skip("prometheus / prometheus-alertmanager not installed (scripts/lab install)")
    alert = "KafkaMigrationUnproxiedSourceWrites"
    clean, bypassed = unique("clean"), unique("bypassed")
    for cluster in ("source", "destination"):
        create_topics(private_lab[cluster], "%s:2" % clean, "%s:2" % bypassed)
    lab = Lab(private_lab, str(tmp_path), [clean, bypassed])
    lab.set_state(clean, "PROXY")
    lab.set_state(bypassed, "PROXY")
    replicator = Proc("replicator.py", "--source", private_lab["source"], "--destination",
                      private_lab["destination"], "--topic", clean, "--topic", bypassed, log_dir=str(tmp_path))
    webhook = Webhook()
    replicas, others = [], []
    try:
        lab.start_agent([(clean, 5), (bypassed, 1)])
        shared = shared_config(private_lab, [clean, bypassed], lab.agents, lab.state_file)
        replicas = [Replica(name, binary, str(tmp_path / name), shared) for name in ("replica-a", "replica-b")]
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.wait_for_quiet_baseline()
        lab.resume()

        am_port, prom_port = free_port(), free_port()
        (tmp_path / "alertmanager.yml").write_text(
            "route: {receiver: webhook, group_by: [alertname, job, topic], group_wait: 1s, group_interval: 1s, "
            "repeat_interval: 1h}\nreceivers: [{name: webhook, webhook_configs: [{url: '%s', send_resolved: true}]}]\n"
            % webhook.url)
        others.append(Process([ALERTMANAGER, "--config.file=%s" % (tmp_path / "alertmanager.yml"),
                               "--storage.path=%s" % (tmp_path / "alertmanager-data"),
                               "--web.listen-address=127.0.0.1:%d" % am_port, "--cluster.listen-address="],
                              str(tmp_path / "alertmanager.log")))
        wait_until(lambda: answers("http://127.0.0.1:%d/-/ready" % am_port), 30, 0.2, "alertmanager ready")
        (tmp_path / "prometheus.yml").write_text("\n".join([
            "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}",
            "rule_files: [%s]" % json.dumps(RULES),
            "alerting: {alertmanagers: [{static_configs: [{targets: ['127.0.0.1:%d']}]}]}" % am_port,
            "scrape_configs:",
            "  - job_name: exporterd",
            "    static_configs: [{targets: ['127.0.0.1:%d', '127.0.0.1:%d']}]" % tuple(r.port for r in replicas),
        ]) + "\n")
        others.append(Process(["prometheus", "--config.file=%s" % (tmp_path / "prometheus.yml"),
                               "--storage.tsdb.path=%s" % (tmp_path / "prometheus-data"),
                               "--web.listen-address=127.0.0.1:%d" % prom_port], str(tmp_path / "prometheus.log")))
        wait_until(lambda: answers("http://127.0.0.1:%d/-/ready" % prom_port), 30, 0.2, "prometheus ready")
        prometheus = Prometheus(prom_port)
        wait_until(lambda: len(values(prometheus.query(
            'count_over_time(kafka_migration_unproxied_source_records_total{job="exporterd"}[1m]) >= 5'))) == 4,
            30, 0.5, "5 scrapes of both topics on both replicas")

        def firing():
            return sorted(json.dumps(a["labels"], sort_keys=True)
                          for a in prometheus.get("/api/v1/alerts")["alerts"] if a["state"] == "firing")

        lab.write_rogue(bypassed, 10)
        webhook.wait_page(alert, bypassed, 120)
        # Both replicas count it; still one alert, without an instance label.
        wait_until(lambda: all(counters(r.metrics(), [bypassed])[0][bypassed]["unproxied"] > 0 for r in replicas),
                   30, 0.5, "both replicas counted the write")
        time.sleep(3)
        expected = [json.dumps({"alertname": alert, "job": "exporterd", "severity": "critical", "topic": bypassed},
                               sort_keys=True)]
        assert firing() == expected, firing()

        # The replica down: its series go stale, the other's rise keeps the alert.
        replicas[0].stop(signal.SIGKILL)
        wait_until(lambda: values(prometheus.query('up{job="exporterd"} == 0')) == [0.0], 15, 0.5,
                   "Prometheus saw replica-a down")
        for _ in range(10):
            assert firing() == expected, firing()
            time.sleep(1)
        pages = [(a["status"], a["labels"].get("alertname"), a["labels"].get("topic"), a["labels"].get("instance"))
                 for _, a in webhook.alerts()]
        assert set(pages) == {("firing", alert, bypassed, None)}, pages
        print("two replicas, one Prometheus: %d notification(s), all for the one alert %s{topic=%s}, none resolved"
              % (len(pages), alert, bypassed))
    finally:
        for process in reversed(others):
            process.stop()
        webhook.close()
        _stop(replicas, lab, replicator)
