#!/usr/bin/env python3
"""Lab stand-in for a producer that was NOT migrated: writes records directly to the SOURCE
cluster, bypassing the proxy (what exporterd's unproxied_source_writes and
post_migration_source_writes diagnostics must catch, CONTRACT §5).

    rogue_producer.py --bootstrap 127.0.0.1:19092 --topic orders --count 25
    rogue_producer.py --bootstrap 127.0.0.1:19092 --topic orders --rate 5     # until SIGTERM

One record per batch, acks=all (labctl.producer), round-robin over the topic's partitions
unless `--partition` is given. `--idempotent` makes it an idempotent producer, which the
source's DescribeProducers shows (the direct_source_producers diagnostic);
`--transactional-id ID` commits every `--transaction-size` records, and each commit marker
takes an offset on the source too (CONTRACT §5 (3)).

On exit it prints one JSON line on stdout: {"acked": N, "failed": M, "topic": "..."}
(plus "commits": C with --transactional-id);
the exit code is 0 when every record was acknowledged, 1 otherwise. SIGTERM/SIGINT stop
producing, wait up to 10 s for in-flight records and print the line.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labctl  # noqa: E402
from labcommon import Stopper  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", required=True, help="source cluster HOST:PORT")
    parser.add_argument("--topic", required=True)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--count", type=int, help="produce N records, then exit")
    mode.add_argument("--rate", type=float, help="produce R records/s until SIGTERM/SIGINT")
    parser.add_argument("--partition", type=int, help="write every record to this partition")
    parser.add_argument("--idempotent", action="store_true", help="use an idempotent producer")
    parser.add_argument("--transactional-id", metavar="ID",
                        help="produce in transactions of --transaction-size records, each committed "
                             "(every commit adds a marker offset to each partition it wrote)")
    parser.add_argument("--transaction-size", type=int, default=1, metavar="N", help="records per transaction (default 1)")
    parser.add_argument("--value-prefix", default="rogue")
    args = parser.parse_args(argv)
    if (args.count is not None and args.count < 0) or (args.rate is not None and args.rate <= 0):
        parser.error("--count must be >= 0 and --rate > 0")

    stopper = Stopper()
    extra = {"enable.idempotence": True} if args.idempotent else {}
    if args.transactional_id:
        extra = {"transactional.id": args.transactional_id, "enable.idempotence": True}
    producer = labctl.producer(args.bootstrap, **extra)
    in_transaction, commits, tx_open = 0, 0, False
    if args.transactional_id:
        producer.init_transactions(30)
    partitions = 1
    if args.partition is None:
        meta = producer.list_topics(args.topic, timeout=10).topics.get(args.topic)
        if meta is None or meta.error is not None or not meta.partitions:
            print("rogue_producer: topic %s not found on %s" % (args.topic, args.bootstrap), file=sys.stderr)
            return 2
        partitions = len(meta.partitions)
    result = {"acked": 0, "failed": 0}

    def report(error, message):
        result["failed" if error is not None else "acked"] += 1

    sent = 0
    started = time.monotonic()
    while not stopper.stopping() and (args.count is None or sent < args.count):
        if args.rate is not None:
            due = started + sent / args.rate
            while not stopper.stopping() and time.monotonic() < due:
                producer.poll(min(0.1, max(0.0, due - time.monotonic())))
            if stopper.stopping():
                break
        if args.transactional_id and not tx_open:
            producer.begin_transaction()
            tx_open = True
        try:
            producer.produce(args.topic, value=("%s-%d" % (args.value_prefix, sent)).encode(),
                             partition=args.partition if args.partition is not None else sent % partitions,
                             on_delivery=report)
            sent += 1
            in_transaction += 1
        except BufferError:
            producer.poll(0.1)
        if args.transactional_id and in_transaction >= args.transaction_size:
            producer.commit_transaction(30)
            commits, in_transaction, tx_open = commits + 1, 0, False
        producer.poll(0)
    if tx_open:
        producer.commit_transaction(30)
        commits += 1
    producer.flush(10)
    report_line = {"acked": result["acked"], "failed": result["failed"] + (sent - result["acked"] - result["failed"]),
                   "topic": args.topic}
    if args.transactional_id:
        report_line["commits"] = commits
    print(json.dumps(report_line), flush=True)
    return 0 if result["acked"] == sent else 1


if __name__ == "__main__":
    sys.exit(main())
