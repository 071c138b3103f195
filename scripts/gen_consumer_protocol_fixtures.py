#!/usr/bin/env python3
"""Writes Tests/SourceWatcherTests/Fixtures/ConsumerProtocol/<name>.bin and fixtures.json:
consumer protocol assignments (the bytes a "consumer" group's member carries in
DescribeGroups' memberAssignment) encoded by kafka-python's ConsumerProtocolAssignment,
which kafka-python builds from Kafka's own ConsumerProtocolAssignment.json schema (the one
scripts/gen_protocol.py reads). Our Swift decoder and the fake broker's groups use them, so
both are checked against a second implementation rather than against themselves.

fixtures.json maps <name> to {"file", "version", "assignedPartitions": [{"topic",
"partitions"}], "userData"}, from kafka-python's decode of the bytes; as in
scripts/gen_fixtures.py integers are decimal strings and bytes "0x<hex>" (null when null).

Run: .venv/bin/python scripts/gen_consumer_protocol_fixtures.py
"""

import json
import os
import sys

from kafka.protocol.consumer.metadata import ConsumerProtocolAssignment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "SourceWatcherTests", "Fixtures", "ConsumerProtocol")

# name: (version, [(topic, [partitions])], user data). The group tests in
# ConsumerGroupsPollTests.swift hand these to fake members by name.
ASSIGNMENTS = {
    # Two members of "billing" splitting orders and audit; one carries user data, one null.
    "billing-1": (3, [("orders", [0, 2]), ("audit", [1])], b"\x01\x02"),
    "billing-2": (0, [("orders", [1, 3]), ("audit", [0])], None),
    # A member of "reports" reading another topic only.
    "reports-1": (1, [("other", [0, 1])], b""),
    # A Kafka Streams-like member: user data is the task map, opaque to us.
    "streams-1": (2, [("orders", [0, 1, 2, 3])], bytes(range(0, 40))),
    # Unicode topic names, a partition list out of order.
    "unicode-2": (2, [("tópic-ü", [7]), ("日本語-topic", [1, 0])], b"\xff"),
    # Joined, holds nothing (more members than partitions).
    "empty-3": (3, [], None),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".bin"):
            os.remove(os.path.join(OUT, old))
    index = {}
    for name, (version, topics, user_data) in sorted(ASSIGNMENTS.items()):
        assignment = ConsumerProtocolAssignment(
            version=version,
            assigned_partitions=[ConsumerProtocolAssignment.TopicPartition(topic=t, partitions=p) for t, p in topics],
            user_data=user_data)
        body = assignment.encode(version=version)
        decoded = ConsumerProtocolAssignment.decode(body, version=version)
        assert decoded.encode(version=version) == body, f"{name}: kafka-python round trip differs"
        assert int.from_bytes(body[:2], "big") == version, f"{name}: no version prefix"
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(body)
        index[name] = {
            "file": name + ".bin",
            "version": str(version),
            "assignedPartitions": [{"topic": tp.topic, "partitions": [str(p) for p in tp.partitions]}
                                   for tp in decoded.assigned_partitions],
            "userData": None if decoded.user_data is None else "0x" + bytes(decoded.user_data).hex(),
        }
    with open(os.path.join(OUT, "fixtures.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(index)} consumer protocol fixtures to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
