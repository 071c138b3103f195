"""The end of a soak run (scripts/soak): each topic's final counters against the truth, and the
report — the per-topic table, false positives and decreases, restarts, events, VmRSS — with the
verdict; everything also goes to result.json in the work directory."""
import collections
import json
import os
import time

from soak_checks import KINDS, POST, UNPROXIED, check_events, table, utc

PROXIED = "kafka_migration_proxied_records_total"
RESTART_KINDS = [("exporterd", "TERM"), ("exporterd", "KILL"), ("agent", "TERM"), ("agent", "KILL")]


def final_row(soak, topic, samples, truth):
    labels = frozenset({("topic", topic)})
    u = samples.get((UNPROXIED, labels))
    p = samples.get((POST, labels))
    prox = samples.get((PROXIED, labels))
    ok = (u == truth[(topic, "unproxied")] and p == truth[(topic, "post")]
          and prox == soak.agent_acked[topic])
    fmt = lambda v: "-" if v is None else "%d" % v
    return [topic, soak.states.get(topic, "REJECT"), soak.agent_of[topic], soak.partitions[topic],
            truth[(topic, "unproxied")], fmt(u), truth[(topic, "post")], fmt(p), truth[(topic, "reject")],
            soak.agent_acked[topic], fmt(prox), "ok" if ok else "MISMATCH"]

def report(soak, samples, truth, final_events):
    rows = [final_row(soak, t, samples, truth) for t in soak.topics]
    print("\n== per topic: rogue records written (acknowledged) vs counted by exporterd ==")
    print(table(["topic", "state", "agent", "parts", "unproxied written", "counted", "post written", "counted",
                 "REJECT-state written", "proxied acked", "counted", "result"], rows))
    totals = collections.Counter()
    for (topic, kind), n in truth.items():
        totals[kind] += n
    bursts = soak.ledger.bursts
    print("\nrogue bursts: %d, records acknowledged: %s; failed deliveries: %d" % (
        len(bursts), ", ".join("%s %d" % (k, totals[k]) for k in KINDS), soak.ledger.total_failed()))
    print("scrapes checked: %d (%d of them while exporterd restarted, before /readyz); false positives: %d; "
          "counter decreases: %d; scrape failures while up: %d" % (
              soak.check.scrapes, soak.startup_checked, len(soak.check.false_positives), len(soak.check.decreases),
              len(soak.scrape_failures)))
    for fp in soak.check.false_positives[:10]:
        print("  false positive at %s: %s{topic=%s} = %d > %d acknowledged" % (utc(fp[0]), fp[2], fp[1], fp[3], fp[4]))
    series = collections.Counter((dec[1], tuple(sorted(dec[2].items()))) for dec in soak.check.decreases)
    for (name, labels), times in sorted(series.items()):
        first = next(d for d in soak.check.decreases if d[1] == name and tuple(sorted(d[2].items())) == labels)
        print("  %s%s went down on %d pages, first at %s: %s → %s" % (
            name, dict(labels), times, utc(first[0]), first[3], first[4]))

    print("\n== restarts ==")
    print(table(["at s", "process", "signal", "exit", "back after s"], soak.restarts))
    counted = collections.Counter((r[1].split("-")[0], r[2]) for r in soak.restarts)
    for kind in RESTART_KINDS:
        if not counted[kind]:
            soak.problems.append("no %s restart with SIG%s happened" % kind)

    expected = {t: ["ENABLED"] for t in soak.enabled}
    expected[soak.cutover_topic] += ["INITIATED", "COMPLETED"]
    expected[soak.abort_topic] += ["INITIATED", "ABORTED"]
    for topic in soak.reject_topics:
        expected[topic] = []
    wrote = collections.defaultdict(set)
    for (topic, kind), n in truth.items():
        if n:
            wrote[kind].add(topic)
    events_total = {dict(labels)["type"]: int(v) for (name, labels), v in samples.items()
                    if name == "kafka_migration_events_total"}
    soak.events.compare_final(final_events)
    event_problems = soak.events.problems + check_events(final_events, expected, wrote, bursts, events_total)
    by_type = collections.Counter(e["type"] for e in final_events)
    print("\n== events: %d (seq 1..%d), %s ==" % (len(final_events), final_events[-1]["seq"] if final_events else 0,
                                                  ", ".join("%s %d" % kv for kv in sorted(by_type.items()))))
    for problem in event_problems:
        print("  " + problem)

    print("\n== exporterd VmRSS ==")
    print(table(["at s", "pid", "VmRSS MiB"], [("%.0f" % t, pid, "%.1f" % (kib / 1024)) for t, pid, kib in soak.rss]))

    mismatches = [r[0] for r in rows if r[-1] != "ok"]
    failures = list(soak.problems)
    if mismatches:
        failures.append("final counters differ from the truth for %s" % ", ".join(mismatches))
    if soak.check.false_positives:
        failures.append("%d false positives" % len(soak.check.false_positives))
    if soak.check.decreases:
        failures.append("%d counter decreases" % len(soak.check.decreases))
    if event_problems:
        failures.append("%d event problems" % len(event_problems))
    if soak.ledger.total_failed():
        failures.append("%d rogue deliveries failed: the truth is uncertain" % soak.ledger.total_failed())
    with open(os.path.join(soak.workdir, "result.json"), "w") as f:
        json.dump({"seed": soak.seed, "failures": failures, "rogue_bursts": bursts, "restarts": soak.restarts,
                   "rss_kib": soak.rss, "false_positives": soak.check.false_positives,
                   "decreases": soak.check.decreases, "events": final_events,
                   "topics": [dict(zip(["topic", "state", "agent", "partitions", "unproxied_written",
                                        "unproxied_counted", "post_written", "post_counted", "reject_written",
                                        "proxied_acked", "proxied_counted", "result"], r)) for r in rows]},
                  f, indent=1, default=str)
    print("\nseed %d, %.1f minutes, %d topics, workdir %s" % (soak.seed, (time.time() - soak.started) / 60,
                                                             len(soak.topics), soak.workdir))
    if failures:
        print("SOAK FAILED: " + "; ".join(failures))
        return 1
    print("SOAK PASSED: zero false positives, no counter decreased, every counter equals the truth, events exact")
    return 0
