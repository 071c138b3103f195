"""The soak's truth and its checks (scripts/soak).

* `RogueLedger` is the truth: every direct source write the soak made, counted when the broker
  acknowledged it, by topic and by the kind of counter that must account for it (the topic's
  state when it was written: PROXY or MIGRATING → unproxied, COMPLETE → post-migration,
  REJECT → neither).
* `ScrapeCheck` judges every /metrics page against the ledger as it stood when the page came
  back: an unproxied or post-migration counter above the acknowledged writes of its kind is a
  false positive (CONTRACT §5 guarantee 1); a counter below an earlier value of itself, in this
  process or an earlier one, is a decrease (§4).
* `EventLog` follows /api/v1/events: sequence numbers from 1 without gaps or repeats across
  restarts, and an event once served never changes or disappears (§6).
"""
import collections
import re
import threading
import time

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
UNPROXIED = "kafka_migration_unproxied_source_records_total"
POST = "kafka_migration_post_migration_source_records_total"
KIND_OF_STATE = {"PROXY": "unproxied", "MIGRATING": "unproxied", "COMPLETE": "post", "REJECT": "reject"}
KINDS = ("unproxied", "post", "reject")


def parse_page(text):
    """({(name, frozenset(labels)): value}, {family: type}) from a Prometheus text page."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) >= 4:
                types[parts[2]] = parts[3]
            continue
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        if match is None:
            raise ValueError("unparsable /metrics line: %r" % line)
        samples[(match.group(1), frozenset(LABEL.findall(match.group(3) or "")))] = float(match.group(4))
    return samples, types


def utc(wall):
    return time.strftime("%H:%M:%S", time.gmtime(wall)) + ".%03dZ" % int((wall % 1) * 1000)


class RogueLedger:
    """Acknowledged direct source writes per (topic, kind), updated from delivery callbacks."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = collections.Counter()
        self.failed = collections.Counter()
        self.by_state = collections.Counter()  # (topic, state) -> acked
        self.bursts = []  # dicts: at, topic, state, size, acked, failed

    def delivered(self, topic, state, ok):
        with self.lock:
            if ok:
                self.acked[(topic, KIND_OF_STATE[state])] += 1
                self.by_state[(topic, state)] += 1
            else:
                self.failed[(topic, KIND_OF_STATE[state])] += 1

    def burst(self, record):
        with self.lock:
            self.bursts.append(record)

    def snapshot(self):
        with self.lock:
            return collections.Counter(self.acked)

    def total_failed(self):
        with self.lock:
            return sum(self.failed.values())


class ScrapeCheck:
    def __init__(self, topics):
        self.topics = topics
        self.highest = {}  # (name, labels) -> (value, when) for every counter sample
        self.false_positives = []  # (wall, topic, metric, counted, acked)
        self.decreases = []  # (wall, name, labels, before, after)
        self.scrapes = 0
        self.first_false_positive = None

    def observe(self, text, truth, wall):
        samples, types = parse_page(text)
        self.scrapes += 1
        for topic in self.topics:
            labels = frozenset({("topic", topic)})
            for metric, kind in ((UNPROXIED, "unproxied"), (POST, "post")):
                counted = samples.get((metric, labels))
                if counted is not None and counted > truth[(topic, kind)]:
                    self.false_positives.append((wall, topic, metric, counted, truth[(topic, kind)]))
        for (name, labels), value in samples.items():
            if types.get(name) != "counter" and not (name.endswith("_total") and types.get(name[:-6]) == "counter"):
                continue
            key = (name, labels)
            previous = self.highest.get(key)
            if previous is not None and value < previous[0]:
                self.decreases.append((wall, name, dict(labels), previous[0], value))
            if previous is None or value >= previous[0]:
                self.highest[key] = (value, wall)
        return samples


class EventLog:
    """Every event exporterd served, by seq, checked as it arrives."""

    def __init__(self):
        self.events = {}  # seq -> event
        self.problems = []

    @property
    def last_seq(self):
        return max(self.events) if self.events else 0

    def take(self, batch, wall):
        """New events from `after=last_seq`: they must continue the sequence exactly."""
        expected = self.last_seq + 1
        for event in batch:
            seq = event.get("seq")
            if seq != expected:
                self.problems.append("%s: events after %d: got seq %r where %d was due (a gap or a repeat)"
                                     % (utc(wall), expected - 1, seq, expected))
                return
            self.events[seq] = event
            expected += 1

    def compare_final(self, final):
        """The complete list at the end: 1..n without gaps, and every event served earlier still
        there unchanged (a kill -9 must not lose or rewrite a served event)."""
        seqs = [e.get("seq") for e in final]
        if seqs != list(range(1, len(final) + 1)):
            self.problems.append("final event list is not seq 1..%d: %s" % (len(final), _gaps(seqs)))
        by_seq = {e.get("seq"): e for e in final}
        for seq, event in sorted(self.events.items()):
            if by_seq.get(seq) != event:
                self.problems.append("event seq %d changed or vanished: served %r, now %r" % (seq, event, by_seq.get(seq)))


def _gaps(seqs):
    seen, out = set(), []
    for i, seq in enumerate(seqs):
        if seq in seen:
            out.append("repeat %r at %d" % (seq, i))
        seen.add(seq)
    missing = sorted(set(range(1, (max(seqs) if seqs else 0) + 1)) - seen)
    if missing:
        out.append("missing %s" % missing[:10])
    return ", ".join(out) or "out of order"


def check_events(final, expected_transitions, rogue_topics_by_kind, ledger_bursts, events_total):
    """Problems with the final event list. `expected_transitions`: {topic: [types]} (the
    lifecycle events each topic must have exactly once, in order; topics not listed must have
    none); `rogue_topics_by_kind`: {kind: set of topics with acknowledged writes of it}."""
    problems = []
    lifecycle = {"ENABLED", "DISABLED", "INITIATED", "COMPLETED", "ABORTED", "TIMED_OUT"}
    never = {"SOURCE_TOPIC_RESET", "INVALID_TRANSITION", "TIMED_OUT", "DISABLED"}
    by_topic = collections.defaultdict(list)
    for event in final:
        by_topic[event.get("topic")].append(event)
        if event.get("type") in never:
            problems.append("unexpected %s event: %r" % (event["type"], event))
    for topic in set(expected_transitions) | set(by_topic):
        got = [e["type"] for e in by_topic.get(topic, []) if e["type"] in lifecycle]
        want = expected_transitions.get(topic, [])
        if got != want:
            problems.append("topic %s: lifecycle events %s, expected exactly %s" % (topic, got, want))
    for event_type, kind in (("UNPROXIED_WRITES_DETECTED", "unproxied"), ("POST_MIGRATION_WRITES_DETECTED", "post")):
        for topic in set(expected_transitions) | set(by_topic):
            detected = [e for e in by_topic.get(topic, []) if e["type"] == event_type]
            for event in detected:
                # The count an event reports can be no more than the writes of bursts begun by then.
                at = event_time(event["at"])
                possible = sum(b["acked"] for b in ledger_bursts
                               if b["topic"] == topic and KIND_OF_STATE[b["state"]] == kind and b["at"] <= at)
                records = (event.get("details") or {}).get("records")
                if records is not None and records > possible:
                    problems.append("topic %s: %s at %s reports %s records, only %d written by then"
                                    % (topic, event_type, event["at"], records, possible))
            wrote = topic in rogue_topics_by_kind.get(kind, set())
            if wrote and not detected:
                problems.append("topic %s: rogue %s writes but no %s event" % (topic, kind, event_type))
            if detected and not wrote:
                problems.append("topic %s: %s without any rogue %s write" % (topic, event_type, kind))
    counted = collections.Counter(e.get("type") for e in final)
    for event_type, value in events_total.items():
        if value != counted.get(event_type, 0):
            problems.append("kafka_migration_events_total{type=%s} is %d, the event list has %d"
                            % (event_type, value, counted.get(event_type, 0)))
    for event_type, count in counted.items():
        if event_type not in events_total:
            problems.append("no kafka_migration_events_total{type=%s} for %d events" % (event_type, count))
    return problems


def event_time(text):
    """Unix time of an RFC 3339 UTC stamp as the API writes it (2026-11-24T10:05:00.123Z)."""
    import calendar
    main, _, frac = text.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S")) + (float("0." + frac) if frac else 0.0)


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])
