#!/usr/bin/env python3
"""Lab stand-in for the migration's replicator: copies topics source -> destination
continuously, preserving offsets (CONTRACT §1: source HWM minus destination HWM is the lag).

    replicator.py --source 127.0.0.1:19092 --destination 127.0.0.1:19093 \\
        --topic orders --topic payments --topic-map payments:payments.v2 --listen 127.0.0.1:18090

Per partition it starts at the destination's current high watermark and copies the source's
records in order, one record per batch (Tansu 0.6.0, see labctl.py), keeping key, value,
headers and timestamp, into the same partition number; with max.in.flight=1 the destination
offset of each copy equals its source offset. Gaps in the source (e.g. transaction markers)
are filled with empty records carrying the header `lab-replicator-filler` so offsets stay
aligned (a gap at the end of a partition is filled once the consumer's position has passed
it and no record is waiting). A destination topic that does not exist is created with the source's partition count.
After a failed delivery or a change in partitions it re-reads the destination
high watermarks and continues from there, so nothing is duplicated or skipped.

Control on `--listen`: `POST /pause`, `POST /resume`, `GET /state` answers
    {"paused": bool, "copied": {src_topic: {"partition": next_offset}},
     "fillers": n, "errors": n, "offset_mismatches": n}
where next_offset is one past the last copy the destination acknowledged (keys are strings,
as JSON needs). SIGTERM/SIGINT finish in-flight copies (up to 5 s) and exit 0.
"""
import argparse
import collections
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labctl  # noqa: E402
from labcommon import ControlServer, Stopper, json_response, log, parse_listen, parse_topic_map, watermarks  # noqa: E402

FILLER_HEADER = "lab-replicator-filler"


class Replicator:
    def __init__(self, args, stopper):
        from confluent_kafka import Consumer
        self.args = args
        self.stopper = stopper
        self.topic_map = parse_topic_map(args.topic_map)
        self.topics = list(dict.fromkeys(args.topic))
        self.lock = threading.Lock()
        self.copied = {t: {} for t in self.topics}
        self.fillers = 0
        self.errors = 0
        self.mismatches = 0
        self.need_resync = True
        self.resumed = threading.Event()
        if not args.paused:
            self.resumed.set()
        self.wake = threading.Event()
        self.partitions = {}  # src topic -> partition count
        self.next_offset = {}  # (src topic, partition) -> next source offset to copy
        self.backlog = collections.deque()  # fetched, not yet copied (kept across a pause)
        self.consumer = Consumer({
            "bootstrap.servers": args.source, "group.id": "lab-replicator-%d-%d" % (os.getpid(), time.time()),
            "enable.auto.commit": False, "enable.auto.offset.store": False, "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 100, "fetch.min.bytes": 1, "enable.partition.eof": False,
        })
        self.dest_probe = Consumer({"bootstrap.servers": args.destination, "group.id": "lab-replicator-probe"})
        self.producer = labctl.producer(args.destination, **{
            "max.in.flight.requests.per.connection": 1, "retries": 2147483647, "queue.buffering.max.ms": 0})

    def dest(self, topic):
        return self.topic_map.get(topic, topic)

    # --- control -------------------------------------------------------------------------
    def pause(self):
        self.resumed.clear(); self.wake.set()
        return json_response({"paused": True})

    def resume(self):
        self.resumed.set(); self.wake.set()
        return json_response({"paused": False})

    def state(self):
        with self.lock:
            return json_response({
                "paused": not self.resumed.is_set(),
                "copied": {t: {str(p): n for p, n in sorted(parts.items())} for t, parts in self.copied.items()},
                "fillers": self.fillers, "errors": self.errors, "offset_mismatches": self.mismatches})

    # --- copying -------------------------------------------------------------------------
    def ensure_destination(self, topic, count):
        from confluent_kafka.admin import AdminClient, NewTopic
        meta = self.dest_probe.list_topics(self.dest(topic), timeout=10).topics.get(self.dest(topic))
        if meta is not None and meta.error is None and meta.partitions:
            if len(meta.partitions) != count:
                log("replicator", "%s has %d partitions on the destination, %d on the source"
                    % (self.dest(topic), len(meta.partitions), count))
            return
        admin = AdminClient({"bootstrap.servers": self.args.destination})
        for _, future in admin.create_topics([NewTopic(self.dest(topic), count, 1)], operation_timeout=30).items():
            try:
                future.result(30)
                log("replicator", "created %s (%d partitions) on the destination" % (self.dest(topic), count))
            except Exception as error:
                if "already exists" not in str(error).lower() and "TOPIC_ALREADY_EXISTS" not in str(error):
                    raise

    def resync(self):
        """Waits for in-flight copies, then assigns every partition at its destination HWM."""
        from confluent_kafka import TopicPartition
        began = time.monotonic()
        self.producer.flush(30)
        assignment, partitions = [], {}
        for topic in self.topics:
            source = watermarks(self.consumer, topic)
            if not source:
                continue  # not created yet: picked up by a later resync
            partitions[topic] = len(source)
            self.ensure_destination(topic, len(source))
            dest = watermarks(self.dest_probe, self.dest(topic))
            for p in source:
                start = dest.get(p, (0, 0))[1]
                self.next_offset[(topic, p)] = start
                with self.lock:
                    self.copied[topic][p] = start
                assignment.append(TopicPartition(topic, p, start))
        self.consumer.assign(assignment)
        self.backlog.clear()
        self.partitions = partitions
        log("replicator", "resynced %d partitions at the destination's high watermarks in %.2fs"
            % (len(assignment), time.monotonic() - began))
        with self.lock:
            self.need_resync = False

    def on_delivery(self, src_offset):
        def report(error, message):
            with self.lock:
                if error is not None:
                    self.errors += 1
                    self.need_resync = True
                    log("replicator", "copy to %s failed: %s; resyncing" % (message.topic(), error))
                    return
                if message.offset() != src_offset:
                    self.mismatches += 1
                    log("replicator", "offset drift on %s[%d]: source %d, destination %d"
                        % (message.topic(), message.partition(), src_offset, message.offset()))
                topic = self.reverse.get(message.topic(), message.topic())
                self.copied[topic][message.partition()] = message.offset() + 1
        return report

    def send(self, topic, partition, src_offset, **fields):
        while True:
            try:
                self.producer.produce(self.dest(topic), partition=partition,
                                      on_delivery=self.on_delivery(src_offset), **fields)
                return
            except BufferError:
                self.producer.poll(0.1)

    def fill(self, topic, partition, start, end):
        for gap in range(start, end):
            self.send(topic, partition, gap, value=b"", headers=[(FILLER_HEADER, b"1")])
            with self.lock:
                self.fillers += 1

    def fill_trailing_gaps(self):
        """When idle, the consumer's position has moved past records it never returned (a
        transaction's commit marker at the end of a partition): fill up to it."""
        assignment = self.consumer.assignment()
        if not assignment:
            return
        for tp in self.consumer.position(assignment):
            expected = self.next_offset.get((tp.topic, tp.partition))
            if expected is not None and tp.offset is not None and tp.offset > expected:
                self.fill(tp.topic, tp.partition, expected, tp.offset)
                self.next_offset[(tp.topic, tp.partition)] = tp.offset

    def copy(self, message):
        topic, p, offset = message.topic(), message.partition(), message.offset()
        expected = self.next_offset.get((topic, p), offset)
        if offset < expected:
            return  # already copied (a re-delivery after a seek)
        self.fill(topic, p, expected, offset)  # transaction markers or compacted records
        kind, ts = message.timestamp()
        fields = {"value": message.value(), "key": message.key(), "headers": message.headers() or None}
        if ts >= 0:
            fields["timestamp"] = ts
        self.send(topic, p, offset, **fields)
        self.next_offset[(topic, p)] = offset + 1

    def run(self):
        self.reverse = {self.dest(t): t for t in self.topics}
        last_refresh = 0.0
        while not self.stopper.stopping():
            if not self.resumed.is_set():
                self.producer.poll(0)
                self.wake.wait(0.25); self.wake.clear()
                continue
            now = time.monotonic()
            try:
                if now - last_refresh >= self.args.refresh_interval:
                    last_refresh = now
                    counts = {t: len(watermarks(self.consumer, t)) for t in self.topics}
                    if {t: c for t, c in counts.items() if c} != self.partitions:
                        self.need_resync = True
                if self.need_resync:
                    self.resync()
            except Exception as error:  # a broker is down: try again later
                log("replicator", "resync: %s" % error)
                self.need_resync = True
                self.stopper.wait(1)
                continue
            if not self.backlog:
                # consume() waits for all num_messages or the timeout: wait for the first
                # record only, then take whatever else is already fetched.
                # While copies are in flight, wait briefly so their acknowledgements (and
                # /state) are not held back by an idle fetch.
                first = self.consumer.poll(0.02 if len(self.producer) else self.args.poll_timeout)
                if first is not None:
                    self.backlog.append(first)
                    self.backlog.extend(self.consumer.consume(num_messages=500, timeout=0))
                else:
                    self.fill_trailing_gaps()
            while self.backlog and self.resumed.is_set() and not self.need_resync:
                message = self.backlog.popleft()
                if not message.error():
                    self.copy(message)
            self.producer.poll(0)
        remaining = self.producer.flush(5)
        self.consumer.close()
        log("replicator", "stopped (signal %s), %d copies undelivered" % (self.stopper.signal, remaining))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, help="source cluster HOST:PORT")
    parser.add_argument("--destination", required=True, help="destination cluster HOST:PORT")
    parser.add_argument("--topic", action="append", required=True, help="source topic to replicate; repeatable")
    parser.add_argument("--topic-map", action="append", metavar="SRC:DST",
                        help="write SRC's records to destination topic DST (default: same name); repeatable")
    parser.add_argument("--listen", required=True, type=parse_listen, help="HOST:PORT for control")
    parser.add_argument("--poll-timeout", type=float, default=0.5,
                        help="seconds one fetch waits for new records when idle (default 0.5)")
    parser.add_argument("--refresh-interval", type=float, default=5.0,
                        help="seconds between checks for new topics or partitions (default 5)")
    parser.add_argument("--paused", action="store_true", help="start paused (POST /resume to start copying)")
    args = parser.parse_args(argv)

    stopper = Stopper()
    replicator = Replicator(args, stopper)
    server = ControlServer(args.listen, {
        ("GET", "/state"): replicator.state,
        ("POST", "/pause"): replicator.pause,
        ("POST", "/resume"): replicator.resume,
        ("GET", "/healthz"): lambda: (200, "text/plain", b"ok\n"),
    }, name="replicator").start()
    log("replicator", "copying %s from %s to %s; control on http://%s:%d"
        % (", ".join(replicator.topics), args.source, args.destination, *server.address[:2]))
    replicator.run()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
