#!/usr/bin/env python3
"""Drives the lab's brokers with real Kafka clients, for tests and the demo.

confluent-kafka (librdkafka) produces; kafka-python reads offsets, so the numbers exporterd
is compared with come from two clients that are not ours.

Every produce sends ONE RECORD PER BATCH (linger.ms=0, batch.num.messages=1): Tansu 0.6.0
answers ListOffsets(latest) with "base offset of the last batch + 1", which is only the true
high watermark when each batch holds a single record.
"""
import argparse
import json
import sys
import time


def producer(bootstrap, compression="none", **extra):
    """A librdkafka producer that sends one record per batch, acks=all; `extra` adds or
    overrides librdkafka settings (e.g. {"enable.idempotence": True})."""
    from confluent_kafka import Producer
    config = {
        "bootstrap.servers": bootstrap,
        "linger.ms": 0,
        "batch.num.messages": 1,
        "compression.type": compression,
        "enable.idempotence": False,
        "acks": "all",
    }
    config.update(extra)
    return Producer(config)


def create_topics(args):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    specs = []
    for spec in args.topics:
        name, _, partitions = spec.partition(":")
        specs.append(NewTopic(name, int(partitions or 1), 1))
    for name, future in admin.create_topics(specs, operation_timeout=30).items():
        try:
            future.result(30)
        except Exception as error:  # an existing topic is fine for a re-run
            if "already exists" not in str(error).lower() and "TOPIC_ALREADY_EXISTS" not in str(error):
                raise


def produce(args):
    p = producer(args.bootstrap, args.compression)
    failures = []
    def report(error, message):
        if error is not None:
            failures.append(str(error))
    for i in range(args.count):
        kwargs = {"value": ("%s-%d" % (args.value_prefix, i)).encode(), "on_delivery": report}
        if args.partition is not None:
            kwargs["partition"] = args.partition
        elif args.partitions:
            kwargs["partition"] = i % args.partitions
        if args.timestamp is not None:
            kwargs["timestamp"] = args.timestamp + i * args.timestamp_step
        while True:
            try:
                p.produce(args.topic, **kwargs)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    remaining = p.flush(60)
    if remaining or failures:
        sys.exit("produce: %d undelivered, failures: %s" % (remaining, failures[:3]))


def offsets(args):
    from kafka import KafkaConsumer, TopicPartition
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, request_timeout_ms=30000)
    result = {}
    for topic in args.topics:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        end = consumer.end_offsets(tps)
        begin = consumer.beginning_offsets(tps)
        result[topic] = {str(tp.partition): {"end": end[tp], "beginning": begin[tp]} for tp in tps}
    consumer.close()
    json.dump(result, sys.stdout, sort_keys=True)


def replicate(args):
    """Copies records source → destination partition by partition, in order, one per batch,
    so offsets are preserved on an empty destination (what a real replicator guarantees)."""
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": args.source, "group.id": "lab-replicator-%d" % time.time(),
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    p = producer(args.destination)
    meta = consumer.list_topics(args.topic, timeout=10).topics[args.topic]
    for partition in sorted(meta.partitions):
        low, high = consumer.get_watermark_offsets(TopicPartition(args.topic, partition), timeout=10)
        target = high if args.limit is None else min(high, args.limit)
        dlow, dhigh = Consumer({"bootstrap.servers": args.destination, "group.id": "lab-probe"}).get_watermark_offsets(
            TopicPartition(args.topic, partition), timeout=10)
        if dhigh >= target:
            continue
        consumer.assign([TopicPartition(args.topic, partition, dhigh)])
        copied = dhigh
        while copied < target:
            message = consumer.poll(5)
            if message is None or message.error():
                continue
            p.produce(args.topic, value=message.value(), key=message.key(), partition=partition,
                      timestamp=message.timestamp()[1])
            copied += 1
        p.flush(30)
    consumer.close()


def consume_group(args):
    """A consumer in group --group reads --count records of --topic, commits its positions and
    prints them as one JSON line {"committed": {partition: offset}}; with --stay it then stays in
    the group (polling) until its stdin closes or --stay-seconds pass, and leaves cleanly."""
    import select
    from confluent_kafka import Consumer
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group, "client.id": args.client_id,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([args.topic])
    got, deadline = 0, time.time() + 60
    while got < args.count and time.time() < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            got += 1
    if got < args.count:
        consumer.close()
        sys.exit("consumed %d of %d records of %s" % (got, args.count, args.topic))
    committed = consumer.commit(asynchronous=False)
    print(json.dumps({"committed": {str(tp.partition): tp.offset for tp in committed if tp.topic == args.topic}}), flush=True)
    if args.stay:
        until = time.time() + args.stay_seconds
        while time.time() < until:
            consumer.poll(0.2)
            readable, _, _ = select.select([sys.stdin], [], [], 0)
            if readable and not sys.stdin.read(1):
                break
    consumer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create-topics"); c.add_argument("--bootstrap", required=True); c.add_argument("topics", nargs="+")
    c.set_defaults(run=create_topics)
    p = sub.add_parser("produce"); p.add_argument("--bootstrap", required=True); p.add_argument("--topic", required=True)
    p.add_argument("--count", type=int, default=1); p.add_argument("--partition", type=int)
    p.add_argument("--partitions", type=int, help="spread round-robin over this many partitions")
    p.add_argument("--compression", default="none"); p.add_argument("--timestamp", type=int)
    p.add_argument("--timestamp-step", type=int, default=0); p.add_argument("--value-prefix", default="record")
    p.set_defaults(run=produce)
    o = sub.add_parser("offsets"); o.add_argument("--bootstrap", required=True); o.add_argument("topics", nargs="+")
    o.set_defaults(run=offsets)
    r = sub.add_parser("replicate"); r.add_argument("--source", required=True); r.add_argument("--destination", required=True)
    r.add_argument("--topic", required=True); r.add_argument("--limit", type=int, help="copy offsets below this, per partition")
    r.set_defaults(run=replicate)
    g = sub.add_parser("consume-group"); g.add_argument("--bootstrap", required=True); g.add_argument("--topic", required=True)
    g.add_argument("--group", required=True); g.add_argument("--count", type=int, required=True)
    g.add_argument("--client-id", default="labctl-consumer"); g.add_argument("--stay", action="store_true")
    g.add_argument("--stay-seconds", type=float, default=60)
    g.set_defaults(run=consume_group)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
