#!/usr/bin/env python3
"""Writes proxy-agent /metrics pages with a real metrics library, prometheus_client, for the
Swift tests of the agent page reader (Tests/DiagnosticsTests/AgentPages).

A proxy agent's page is whatever its library writes: our two counters, labelled by more than
the topic (partition, client id, agent id), next to hundreds of families exporterd never reads
(process, platform and GC collectors, a JVM- or Go-like set of gauges, histograms, summaries,
info and enum metrics, NaN and +Inf gauges), escaped label values and HELP texts, and in
OpenMetrics `_created` samples, `# UNIT`, exemplars and `# EOF`. The same registry is written
in text format 0.0.4 (`python-text.prom`) and in OpenMetrics 1.0 (`python-openmetrics.prom`);
`expected.json` holds what the test must read from each: per-topic sums of each counter and
the number of series, computed here from what was counted.

Run: .venv/bin/python scripts/gen_agent_pages.py   (needs prometheus_client, see scripts/lab)
"""
import json
import os
import random

from prometheus_client import (
    CollectorRegistry, Counter, Enum, Gauge, Histogram, Info, Summary,
    GCCollector, PlatformCollector, ProcessCollector, generate_latest,
)
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "DiagnosticsTests", "AgentPages")


def build_registry():
    rng = random.Random(8)  # the same pages on every run, apart from times the library stamps
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)

    # Hundreds of unrelated families, shaped like what a JVM or Go agent exposes.
    for index in range(120):
        gauge = Gauge(f"jvm_memory_pool_{index}_bytes", f"Memory pool {index} in bytes.", ["area", "pool"], registry=registry)
        gauge.labels("heap", f"G1 Eden Space {index}").set(rng.randint(0, 1 << 40))
        gauge.labels("nonheap", f'Code "cache" \\ {index}\nsegment').set(rng.random() * 1e9)
    for index in range(60):
        counter = Counter(f"go_runtime_event_{index}", f"Runtime events of kind {index}.", registry=registry)
        counter.inc(rng.randint(0, 10_000))
    for index in range(40):
        histogram = Histogram(f"http_server_route_{index}_duration_seconds", "Route latency.", ["method"],
                              buckets=(0.005, 0.05, 0.5, 5), registry=registry)
        for _ in range(5):
            histogram.labels("GET").observe(rng.random())
    for index in range(30):
        summary = Summary(f"kafka_client_request_{index}_latency_seconds", "Request latency.", ["client_id"], registry=registry)
        summary.labels(f"producer-{index}").observe(rng.random())
    odd = Gauge("agent_odd_values", "Gauges that are not numbers right now.", ["kind"], registry=registry)
    odd.labels("nan").set(float("nan"))
    odd.labels("inf").set(float("inf"))
    odd.labels("neginf").set(float("-inf"))
    odd.labels("huge").set(1e300)
    Info("agent_build", "Build of the proxy agent.", registry=registry).info({"version": "2.4.1", "commit": "a1b2c3"})
    Enum("agent_state", "Agent state.", states=["starting", "running", "draining"], registry=registry).state("running")
    Gauge("agent_queue", "Queued records.", unit="records", registry=registry).set(17)

    # Our counters: per topic, partition, client and agent id; summed per topic by the reader.
    records = Counter("kafka_proxy_produced_records", "Records forwarded after the source acknowledged them.",
                      ["topic", "partition", "client_id", "agent_id"], registry=registry)
    bytes_ = Counter("kafka_proxy_produced_bytes", "Bytes forwarded after the source acknowledged them.",
                     ["topic", "partition", "client_id", "agent_id"], registry=registry)
    expected = {}
    series = 0
    for topic in ["orders", "payments.eu", "audit-log"]:
        for partition in range(3):
            for client in ["billing-1", 'svc "quoted" \\ id']:
                count = rng.randint(0, 5_000_000)
                size = count * rng.randint(80, 400)
                labels = (topic, str(partition), client, "agent-7")
                if count % 2:
                    records.labels(*labels).inc(count, exemplar={"trace_id": f"t{count}"})
                else:
                    records.labels(*labels).inc(count)
                bytes_.labels(*labels).inc(size)
                sums = expected.setdefault(topic, {"records": 0, "bytes": 0})
                sums["records"] += count
                sums["bytes"] += size
                series += 1
    return registry, expected, series


def main():
    registry, expected, series = build_registry()
    os.makedirs(OUT, exist_ok=True)
    pages = {
        "python-text.prom": generate_latest(registry),
        "python-openmetrics.prom": generate_openmetrics(registry),
    }
    for name, body in pages.items():
        with open(os.path.join(OUT, name), "wb") as handle:
            handle.write(body)
    index = {name: {"countersByTopic": expected, "seriesPerCounter": series,
                    "families": sum(1 for line in body.decode().splitlines() if line.startswith("# TYPE"))}
             for name, body in pages.items()}
    with open(os.path.join(OUT, "expected.json"), "w") as handle:
        json.dump(index, handle, indent=2, sort_keys=True)
        handle.write("\n")
    for name, entry in index.items():
        print(f"{name}: {entry['families']} families, {len(pages[name])} bytes")


if __name__ == "__main__":
    main()
