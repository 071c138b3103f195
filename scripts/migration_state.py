#!/usr/bin/env python3
"""Lab stand-in for the migration controller's state: writes and reads a CONTRACT §3 state
document (JSON or YAML), replacing it atomically (temp file in the same directory, fsync,
rename) so a reader never sees a half-written file.

    migration_state.py set orders PROXY --file state.json
    migration_state.py set payments MIGRATING --timeout 300 --since 2026-11-24T10:05:00Z --file state.json
    migration_state.py unset orders --file state.json              # back to implicit REJECT
    migration_state.py event payments ABORTED --file state.json    # append to "events"
    migration_state.py show --file state.json

`set` keeps a topic's `since` when its state does not change (unless `--since` is given) and
stamps now (UTC, RFC 3339) when it does; `--timeout` writes `migration_timeout_seconds`.
`--format json|yaml` picks the output format; by default an existing file keeps its format
and a new one is YAML when its name ends in .yaml/.yml, JSON otherwise. Reading accepts JSON
and the block-style YAML this script writes. Writers serialise on `PATH.lock` (flock).
`show` prints the document as JSON. Exit 0, 2 on bad arguments or an unreadable document.
"""
import argparse
import datetime
import fcntl
import json
import os
import re
import signal
import sys
import tempfile

STATES = ("REJECT", "PROXY", "MIGRATING", "COMPLETE")
EVENT_TYPES = ("ENABLED", "DISABLED", "INITIATED", "COMPLETED", "ABORTED", "TIMED_OUT")
KEY_ORDER = ("topic", "state", "type", "since", "at", "migration_timeout_seconds")


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(value):
    """Normalises an RFC 3339 timestamp to UTC with a Z; raises ValueError when invalid."""
    text = value.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", text):
        raise ValueError("not an RFC 3339 timestamp: %r" % value)
    parsed = datetime.datetime.fromisoformat(re.sub(r"[Zz]$", "+00:00", text).replace("t", "T"))
    utc = parsed.astimezone(datetime.timezone.utc)
    frac = ".%03d" % (utc.microsecond // 1000) if "." in text else ""
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


# --- YAML (the subset this script writes: top-level keys holding lists of flat mappings) -----
def yaml_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if value is None:
        return "null"
    return json.dumps(str(value))  # a JSON string is a valid YAML double-quoted scalar


def ordered(item):
    keys = sorted(item, key=lambda k: (KEY_ORDER.index(k) if k in KEY_ORDER else len(KEY_ORDER), k))
    return {k: item[k] for k in keys}


def to_yaml(document):
    lines = []
    for key in ("topics", "events"):
        if key not in document:
            continue
        items = document[key]
        if not items:
            lines.append("%s: []" % key)
            continue
        lines.append("%s:" % key)
        for item in items:
            for i, k in enumerate(ordered(item)):
                lines.append("%s%s: %s" % ("  - " if i == 0 else "    ", k, yaml_scalar(item[k])))
    return "\n".join(lines) + "\n"


def parse_yaml_scalar(text):
    text = text.strip()
    if text.startswith('"'):
        return json.loads(text)
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    if text in ("null", "~", ""):
        return None
    if text in ("true", "false"):
        return text == "true"
    if re.match(r"^-?\d+$", text):
        return int(text)
    if re.match(r"^-?\d+\.\d*$", text):
        return float(text)
    if text == "[]":
        return []
    return text


def from_yaml(text):
    document, current_list, current_item = {}, None, None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip() or line.strip() == "---":
            continue
        top = re.match(r"^([A-Za-z_]+):\s*(.*)$", line)
        item = re.match(r"^\s*-\s+([A-Za-z_]+):\s*(.*)$", line)
        field = re.match(r"^\s+([A-Za-z_]+):\s*(.*)$", line)
        if top:
            value = parse_yaml_scalar(top.group(2)) if top.group(2) else []
            if not isinstance(value, list):
                raise ValueError("line %d: %s must be a list" % (number, top.group(1)))
            current_list = document.setdefault(top.group(1), value)
            current_item = None
        elif item and current_list is not None:
            current_item = {item.group(1): parse_yaml_scalar(item.group(2))}
            current_list.append(current_item)
        elif field and current_item is not None:
            current_item[field.group(1)] = parse_yaml_scalar(field.group(2))
        else:
            raise ValueError("line %d: unsupported YAML: %r" % (number, raw))
    return document


# --- the document ------------------------------------------------------------------------------
def read(path):
    """(document, format) — an absent or empty file is an empty document."""
    if not os.path.exists(path):
        return {"topics": []}, None
    with open(path) as f:
        text = f.read()
    if not text.strip():
        return {"topics": []}, None
    try:
        document, fmt = json.loads(text), "json"
    except ValueError:
        document, fmt = from_yaml(text), "yaml"
    validate(document)
    return document, fmt


def validate(document):
    if not isinstance(document, dict) or not isinstance(document.get("topics"), list):
        raise ValueError('the document must be an object with a "topics" list')
    seen = set()
    for entry in document["topics"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("topic"), str) or not entry["topic"]:
            raise ValueError("every topics entry needs a topic name: %r" % (entry,))
        if entry["topic"] in seen:
            raise ValueError("topic %s is listed twice" % entry["topic"])
        seen.add(entry["topic"])
        if entry.get("state") not in STATES:
            raise ValueError("topic %s: state %r is not one of %s" % (entry["topic"], entry.get("state"), ", ".join(STATES)))
        if "since" in entry:
            parse_iso(entry["since"])
        timeout = entry.get("migration_timeout_seconds")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ValueError("topic %s: migration_timeout_seconds must be a positive number" % entry["topic"])
    for event in document.get("events", []) or []:
        if not isinstance(event, dict) or not event.get("topic") or event.get("type") not in EVENT_TYPES:
            raise ValueError("invalid event %r (type one of %s)" % (event, ", ".join(EVENT_TYPES)))
        if "at" in event:
            parse_iso(event["at"])


def write(path, document, fmt):
    validate(document)
    document = {k: [ordered(i) for i in document[k]] for k in ("topics", "events") if k in document}
    text = to_yaml(document) if fmt == "yaml" else json.dumps(document, indent=2) + "\n"
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def choose_format(args, existing):
    if args.format:
        return args.format
    if existing:
        return existing
    return "yaml" if args.file.endswith((".yaml", ".yml")) else "json"


def update(args, change):
    with open(args.file + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        document, existing = read(args.file)
        change(document)
        write(args.file, document, choose_format(args, existing))
        return document


def cmd_set(args):
    since = parse_iso(args.since) if args.since else None

    def change(document):
        entry = next((t for t in document["topics"] if t.get("topic") == args.topic), None)
        if entry is None:
            entry = {"topic": args.topic}
            document["topics"].append(entry)
        if entry.get("state") != args.state or since or "since" not in entry:
            entry["since"] = since or now_iso()
        entry["state"] = args.state
        if args.timeout is not None:
            entry["migration_timeout_seconds"] = args.timeout
    return update(args, change)


def cmd_unset(args):
    return update(args, lambda d: d.__setitem__("topics", [t for t in d["topics"] if t.get("topic") != args.topic]))


def cmd_event(args):
    at = parse_iso(args.at) if args.at else now_iso()
    return update(args, lambda d: d.setdefault("events", []).append({"topic": args.topic, "type": args.type, "at": at}))


def cmd_show(args):
    document, _ = read(args.file)
    return document


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through write(), which removes its temp file


def main(argv=None):
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_on_signal)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, writes=True):
        p.add_argument("--file", required=True, help="the state document")
        if writes:
            p.add_argument("--format", choices=("json", "yaml"), help="output format (default: keep / by extension)")

    s = sub.add_parser("set", help="set a topic's state")
    s.add_argument("topic"); s.add_argument("state", type=str.upper, choices=STATES)
    s.add_argument("--since", help="RFC 3339 time of the change (default: now, or unchanged when the state is)")
    s.add_argument("--timeout", type=int, metavar="SECONDS", help="migration_timeout_seconds")
    common(s); s.set_defaults(run=cmd_set)
    u = sub.add_parser("unset", help="remove a topic (it reads as REJECT)")
    u.add_argument("topic"); common(u); u.set_defaults(run=cmd_unset)
    e = sub.add_parser("event", help="append an event")
    e.add_argument("topic"); e.add_argument("type", type=str.upper, choices=EVENT_TYPES)
    e.add_argument("--at", help="RFC 3339 time (default: now)"); common(e); e.set_defaults(run=cmd_event)
    w = sub.add_parser("show", help="print the document as JSON")
    common(w, writes=False); w.set_defaults(run=cmd_show)
    args = parser.parse_args(argv)
    if getattr(args, "timeout", None) is not None and args.timeout <= 0:
        parser.error("--timeout must be a positive number of seconds")
    try:
        document = args.run(args)
    except (ValueError, OSError) as error:
        print("migration_state: %s: %s" % (args.file, error), file=sys.stderr)
        return 2
    if args.command == "show":
        print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
