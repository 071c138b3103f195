#!/usr/bin/env python3
"""Lab stand-in for one proxy agent: produces to the SOURCE cluster on behalf of migrated
producers and publishes per-topic counters of acknowledged writes (CONTRACT §1, §2
`proxy_metrics`).

    proxy_agent.py --bootstrap 127.0.0.1:19092 --listen 127.0.0.1:18080 \\
        --topic orders:20 --topic payments:5 --topic-map payments:payments.v2 \\
        --publish-delay-max 2

Each `--topic NAME:RATE` is produced at RATE records/s, round-robin over the topic's
partitions, one record per batch (Tansu 0.6.0 needs that, see labctl.py), acks=all.

`GET /metrics` (Prometheus text 0.0.4) shows, labelled with the DESTINATION topic name
(`--topic-map SRC:DST`, default the same name):

    kafka_proxy_produced_records_total{topic="..."}   counter
    kafka_proxy_produced_bytes_total{topic="..."}     counter (key + value bytes)

Counters move only in the delivery callback of an acknowledged write. With
`--publish-delay-max S` each acknowledged record is queued (time-ordered) and shows on the
page only after its own random delay in [0, S], as late-publishing agents do; the page never
shows more than was acknowledged. The delay runs from the acknowledgement, which arrives a few
ms after the append: give exporterd a `proxy_metrics.publish_delay` a little above S. A new process starts from 0, like a restarted agent.

With `--state-file PATH` (a CONTRACT §3 document, JSON or YAML, as scripts/migration_state.py
writes it; re-read whenever the file is replaced) the agent behaves as the proxy does in each
topic's state, so a lab driven through a cutover shows a clean migration:

    PROXY      records go to the source and are counted (the only state that counts)
    MIGRATING  the proxy answers retriable errors: records fall due but are HELD, not sent and
               not counted; the producer retries them when the state changes (to the source
               and counted after an abort back to PROXY, to the destination after COMPLETE)
    COMPLETE   records go to the DESTINATION cluster (`--destination-bootstrap`, the mapped
               topic name) and are not counted: the counters are of writes to the source
    REJECT     (or not listed) the proxy refuses the topic: nothing is produced or counted
               (producers of a REJECT topic write to the source directly: rogue_producer.py)

Without `--state-file` every topic is PROXY.

Control: `POST /pause`, `POST /resume` stop and restart producing (counters keep serving);
`GET /state` answers JSON
    {"paused": bool, "acked": {src: n}, "published": {src: n},
     "acked_bytes": {src: n}, "published_bytes": {src: n}, "failed": {src: n},
     "topic_map": {src: dst}, "states": {src: state}, "held": {src: n},
     "to_destination": {src: n}, "refused": {src: n}}
keyed by SOURCE topic name. SIGTERM/SIGINT stop producing, wait up to 5 s for in-flight
deliveries and exit 0.
"""
import argparse
import heapq
import itertools
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labctl  # noqa: E402
from labcommon import ControlServer, Stopper, json_response, log, parse_listen, parse_topic_map  # noqa: E402
import migration_state  # noqa: E402

RECORDS = "kafka_proxy_produced_records_total"
BYTES = "kafka_proxy_produced_bytes_total"


def parse_rate(value):
    name, sep, rate = value.rpartition(":")
    try:
        rate = float(rate)
    except ValueError:
        rate = -1
    if not sep or not name or rate < 0:
        raise argparse.ArgumentTypeError("expected TOPIC:RATE (records/s), got %r" % value)
    return name, rate


def escape_label(value):
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Counters:
    """Acked counters, and published counters fed from a time-ordered queue of increments."""

    def __init__(self, topics, delay_max, clock=time.monotonic):
        self.lock = threading.Lock()
        self.delay_max = delay_max
        self.clock = clock
        self.acked = {t: 0 for t in topics}
        self.acked_bytes = {t: 0 for t in topics}
        self.published = {t: 0 for t in topics}
        self.published_bytes = {t: 0 for t in topics}
        self.failed = {t: 0 for t in topics}
        self.to_destination = {t: 0 for t in topics}
        self.held = {t: 0 for t in topics}
        self.refused = {t: 0 for t in topics}
        self.pending = []  # heap of (due, seq, topic, bytes)
        self.seq = itertools.count()

    def ack(self, topic, size):
        with self.lock:
            self.acked[topic] += 1
            self.acked_bytes[topic] += size
            if self.delay_max <= 0:
                self.published[topic] += 1
                self.published_bytes[topic] += size
            else:
                due = self.clock() + random.uniform(0, self.delay_max)
                heapq.heappush(self.pending, (due, next(self.seq), topic, size))

    def fail(self, topic):
        with self.lock:
            self.failed[topic] += 1

    def delivered_to_destination(self, topic):
        with self.lock:
            self.to_destination[topic] += 1

    def hold(self, topic, delta):
        with self.lock:
            self.held[topic] += delta

    def refuse(self, topic):
        with self.lock:
            self.refused[topic] += 1

    def _apply_due(self):
        now = self.clock()
        while self.pending and self.pending[0][0] <= now:
            _, _, topic, size = heapq.heappop(self.pending)
            self.published[topic] += 1
            self.published_bytes[topic] += size

    def snapshot(self):
        with self.lock:
            self._apply_due()
            return {"acked": dict(self.acked), "published": dict(self.published),
                    "acked_bytes": dict(self.acked_bytes), "published_bytes": dict(self.published_bytes),
                    "failed": dict(self.failed), "held": dict(self.held),
                    "to_destination": dict(self.to_destination), "refused": dict(self.refused)}


def render(snapshot, topic_map):
    lines = ["# HELP %s Records the proxy forwarded to the source and the source acknowledged." % RECORDS,
             "# TYPE %s counter" % RECORDS]
    for topic in sorted(snapshot["published"]):
        lines.append('%s{topic="%s"} %d' % (RECORDS, escape_label(topic_map.get(topic, topic)), snapshot["published"][topic]))
    lines += ["# HELP %s Bytes (key + value) of the records counted in %s." % (BYTES, RECORDS),
              "# TYPE %s counter" % BYTES]
    for topic in sorted(snapshot["published_bytes"]):
        lines.append('%s{topic="%s"} %d' % (BYTES, escape_label(topic_map.get(topic, topic)), snapshot["published_bytes"][topic]))
    return ("\n".join(lines) + "\n").encode()


class TopicStates:
    """Each topic's migration state from `--state-file`, re-read when the file is replaced
    (migration_state.py renames a new file into place). An unreadable document keeps the last
    good states, as exporterd does; without a file every topic is PROXY."""

    def __init__(self, path, topics):
        self.path = path
        self.topics = list(topics)
        self.stamp = None
        self.states = {t: "PROXY" if path is None else "REJECT" for t in self.topics}
        self.refresh()

    def refresh(self):
        if self.path is None:
            return self.states
        try:
            info = os.stat(self.path)
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp == self.stamp:
            return self.states
        try:
            document, _ = migration_state.read(self.path)
        except (OSError, ValueError) as error:
            log("proxy_agent", "state file %s: %s (keeping the last states)" % (self.path, error))
            return self.states  # stamp not taken: read again next time
        self.stamp = stamp
        listed = {entry["topic"]: entry["state"] for entry in document["topics"]}
        states = {t: listed.get(t, "REJECT") for t in self.topics}
        if states != self.states:
            log("proxy_agent", "topic states: %s" % ", ".join("%s %s" % kv for kv in sorted(states.items())))
        self.states = states
        return states


def partitions_of(producer, topic, stopper):
    """Partition count of `topic`, waiting (and retrying) until the topic exists."""
    while not stopper.stopping():
        try:
            meta = producer.list_topics(topic, timeout=5).topics.get(topic)
            if meta is not None and meta.error is None and meta.partitions:
                return len(meta.partitions)
        except Exception as error:
            log("proxy_agent", "metadata for %s: %s" % (topic, error))
        stopper.wait(1)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", required=True, help="source cluster HOST:PORT")
    parser.add_argument("--listen", required=True, type=parse_listen, help="HOST:PORT for /metrics and control")
    parser.add_argument("--topic", action="append", required=True, type=parse_rate, metavar="TOPIC:RATE",
                        help="produce RATE records/s (may be 0) to TOPIC; repeatable")
    parser.add_argument("--topic-map", action="append", metavar="SRC:DST",
                        help="label SRC's counters with destination topic DST; repeatable")
    parser.add_argument("--publish-delay-max", type=float, default=0.0, metavar="SECONDS",
                        help="each acked record shows on /metrics after a random delay in [0, SECONDS] (default 0)")
    parser.add_argument("--value-size", type=int, default=64, help="bytes per record value (default 64)")
    parser.add_argument("--paused", action="store_true", help="start paused (POST /resume to start producing)")
    parser.add_argument("--state-file", metavar="PATH",
                        help="CONTRACT §3 state document: honour each topic's state (see above)")
    parser.add_argument("--destination-bootstrap", metavar="HOST:PORT",
                        help="destination cluster, where COMPLETE topics' records go (needed with --state-file)")
    args = parser.parse_args(argv)
    if args.state_file and not args.destination_bootstrap:
        parser.error("--state-file needs --destination-bootstrap (COMPLETE topics write there)")

    rates = dict(args.topic)
    topic_map = parse_topic_map(args.topic_map)
    stopper = Stopper()
    counters = Counters(list(rates), args.publish_delay_max)
    topic_states = TopicStates(args.state_file, rates)
    resumed = threading.Event()
    if not args.paused:
        resumed.set()
    wake = threading.Event()  # pause/resume wakes the producing loop

    def pause():
        resumed.clear(); wake.set()
        return json_response({"paused": True})

    def resume():
        resumed.set(); wake.set()
        return json_response({"paused": False})

    def state():
        snap = counters.snapshot()
        snap.update(paused=not resumed.is_set(), topic_map={t: topic_map.get(t, t) for t in rates},
                    states=dict(topic_states.states))
        return json_response(snap)

    server = ControlServer(args.listen, {
        ("GET", "/metrics"): lambda: (200, "text/plain; version=0.0.4; charset=utf-8",
                                      render(counters.snapshot(), topic_map)),
        ("GET", "/state"): state,
        ("POST", "/pause"): pause,
        ("POST", "/resume"): resume,
        ("GET", "/healthz"): lambda: (200, "text/plain", b"ok\n"),
    }, name="proxy_agent").start()
    log("proxy_agent", "serving http://%s:%d/metrics, producing to %s" % (server.address[0], server.address[1], args.bootstrap))

    settings = {"retries": 2147483647, "max.in.flight.requests.per.connection": 1}
    producer = labctl.producer(args.bootstrap, **settings)
    destination = labctl.producer(args.destination_bootstrap, **settings) if args.destination_bootstrap else None
    partitions = {t: partitions_of(producer, t, stopper) for t in rates}
    destination_partitions = {}  # looked up at the first COMPLETE write: the topic may not exist before
    value = os.urandom(args.value_size // 2 + 1).hex()[:args.value_size].encode()

    def on_delivery(error, message):
        if error is None:
            counters.ack(message.topic(), len(message.value() or b"") + len(message.key() or b""))
        else:
            counters.fail(message.topic())
            log("proxy_agent", "delivery to %s failed: %s" % (message.topic(), error))

    def on_destination_delivery(source_topic):
        def report(error, message):
            if error is None:
                counters.delivered_to_destination(source_topic)
            else:
                counters.fail(source_topic)
                log("proxy_agent", "delivery to destination %s failed: %s" % (message.topic(), error))
        return report

    sent = {t: 0 for t in rates}
    held = {t: 0 for t in rates}

    def send(topic, topic_state):
        """Produces one record as the proxy would in `topic_state`; False when the local queue is full."""
        key = ("%s-%d" % (topic, sent[topic])).encode()
        try:
            if topic_state == "COMPLETE":
                target = topic_map.get(topic, topic)
                if target not in destination_partitions:
                    destination_partitions[target] = partitions_of(destination, target, stopper)
                    if stopper.stopping():
                        return False
                destination.produce(target, value=value, key=key, partition=sent[topic] % destination_partitions[target],
                                    on_delivery=on_destination_delivery(topic))
            else:
                producer.produce(topic, value=value, key=key, partition=sent[topic] % partitions[topic],
                                 on_delivery=on_delivery)
        except BufferError:
            producer.poll(0.1)
            if destination is not None:
                destination.poll(0)
            return False
        sent[topic] += 1
        return True

    next_due = {}
    was_paused = True
    while not stopper.stopping():
        if not resumed.is_set():
            was_paused = True
            producer.poll(0)
            if destination is not None:
                destination.poll(0)
            wake.wait(0.25); wake.clear()
            continue
        now = time.monotonic()
        if was_paused:  # (re)start the schedule now: no burst to catch up on the paused time
            next_due = {t: now for t, r in rates.items() if r > 0}
            was_paused = False
        states = topic_states.refresh()
        # Records held while MIGRATING are retried first once the proxy takes them again.
        for topic in rates:
            while held[topic] and states[topic] in ("PROXY", "COMPLETE") and resumed.is_set():
                if not send(topic, states[topic]):
                    break
                held[topic] -= 1
                counters.hold(topic, -1)
        for topic, due in list(next_due.items()):
            while due <= now and resumed.is_set():
                topic_state = states[topic]
                if topic_state == "MIGRATING":
                    held[topic] += 1
                    counters.hold(topic, 1)
                elif topic_state == "REJECT":
                    counters.refuse(topic)
                elif not send(topic, topic_state):
                    break
                due += 1.0 / rates[topic]
            next_due[topic] = due
        producer.poll(0)
        if destination is not None:
            destination.poll(0)
        wait = (min(next_due.values()) - time.monotonic()) if next_due else 0.25
        # poll() serves delivery callbacks while waiting; short slices keep pause, signals and
        # state changes prompt.
        producer.poll(max(0.0, min(wait, 0.05 if destination is not None else 0.1)))

    remaining = producer.flush(5)
    if destination is not None:
        remaining += destination.flush(5)
    server.stop()
    log("proxy_agent", "stopped (signal %s), %d undelivered, acked %s" % (stopper.signal, remaining, counters.snapshot()["acked"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
