#!/usr/bin/env python3
"""Writes Kafka record-batch byte fixtures with kafka-python's own record builders, so the
Swift decoder (Sources/SourceWatcher/Protocol/RecordBatch.swift) is checked against a second
implementation, never against bytes written by hand.

Output: Tests/SourceWatcherTests/Fixtures/records/*.bin and expected.json (the values read
back with kafka-python's reader, MemoryRecords). Run from the repo root:
    .venv/bin/python scripts/gen_record_fixtures.py

Fields the broker sets on append (baseOffset, partitionLeaderEpoch, the LogAppendTime
attribute, the control attribute) are patched in here the way a broker would, with the CRC
recomputed by kafka-python's own calc_crc32c (v2) or zlib.crc32 (v0/v1).
"""
import functools
import gzip
import json
import os
import struct
import zlib

from kafka.record.memory_records import MemoryRecords, MemoryRecordsBuilder
from kafka.record.default_records import DefaultRecordBatch
from kafka.record.util import calc_crc32c

# kafka-python's gzip_encode lets GzipFile stamp the current time into the gzip header;
# a fixed mtime keeps the fixtures byte-identical from run to run.
gzip.GzipFile = functools.partial(gzip.GzipFile, mtime=0)

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "SourceWatcherTests", "Fixtures", "records")
T0 = 1_732_000_000_000  # 2024-11-19, ms

NONE, GZIP, SNAPPY, LZ4 = 0, 1, 2, 3


def v2(records, base_offset, codec=NONE, transactional=False, producer=(-1, -1, -1), epoch=7):
    pid, pepoch, seq = producer
    b = MemoryRecordsBuilder(magic=2, compression_type=codec, batch_size=1 << 20,
                             transactional=transactional, producer_id=pid,
                             producer_epoch=pepoch, base_sequence=seq)
    for ts, key, value, headers in records:
        assert b.append(ts, key, value, headers) is not None
    b.close()
    buf = bytearray(b.buffer())
    struct.pack_into(">q", buf, 0, base_offset)   # set by the broker, outside the CRC
    struct.pack_into(">i", buf, 12, epoch)        # partitionLeaderEpoch, outside the CRC
    return buf


def patch_v2(buf, set_attrs=0, max_timestamp=None):
    """Broker-side attribute changes (control bit, LogAppendTime), then a fresh CRC-32C."""
    attrs = struct.unpack_from(">h", buf, 21)[0] | set_attrs
    struct.pack_into(">h", buf, 21, attrs)
    if max_timestamp is not None:
        struct.pack_into(">q", buf, 35, max_timestamp)
    struct.pack_into(">I", buf, 17, calc_crc32c(bytes(buf[21:])))
    return buf


def legacy(magic, records, first_offset, codec=NONE):
    b = MemoryRecordsBuilder(magic=magic, compression_type=codec, batch_size=1 << 20)
    for ts, key, value in records:
        assert b.append(ts, key, value) is not None
    b.close()
    buf = bytearray(b.buffer())
    if codec == NONE:
        pos, i = 0, 0
        while pos < len(buf):
            struct.pack_into(">q", buf, pos, first_offset + i)
            pos += 12 + struct.unpack_from(">i", buf, pos + 8)[0]
            i += 1
    else:
        # Wrapper: the broker gives it the offset of its last inner message and (v1,
        # CreateTime) the largest inner timestamp; the CRC (zlib) covers magic..end.
        struct.pack_into(">q", buf, 0, first_offset + len(records) - 1)
        if magic == 1:
            struct.pack_into(">q", buf, 18, max(r[0] for r in records))
        struct.pack_into(">I", buf, 12, zlib.crc32(bytes(buf[16:])) & 0xFFFFFFFF)
    return buf


def hexornull(b):
    return None if b is None else bytes(b).hex()


def describe(data, decode_records=True):
    """Expected values, read back with kafka-python's reader."""
    out = []
    recs = MemoryRecords(bytes(data))
    while recs.has_next():
        batch = recs.next_batch()
        if isinstance(batch, DefaultRecordBatch):
            assert batch.validate_crc()
            d = {
                "magic": 2, "baseOffset": batch.base_offset, "batchLength": batch.size_in_bytes - 12,
                "partitionLeaderEpoch": batch.leader_epoch, "crc": batch.crc, "attributes": batch.attributes,
                "lastOffsetDelta": batch.last_offset_delta, "baseTimestamp": batch.first_timestamp,
                "maxTimestamp": batch.max_timestamp, "producerId": batch.producer_id,
                "producerEpoch": batch.producer_epoch, "baseSequence": batch.base_sequence,
                "recordCount": batch.records_count, "compression": batch.compression_type,
                "timestampType": batch.timestamp_type, "isTransactional": batch.is_transactional,
                "isControl": batch.is_control_batch,
            }
            if decode_records:
                d["records"] = [{
                    "offset": r.offset, "timestamp": r.timestamp, "key": hexornull(r.key),
                    "value": hexornull(r.value),
                    "headers": [[k, hexornull(v)] for k, v in r.headers],
                } for r in batch]
            out.append(d)
        else:
            # Legacy: a compressed wrapper is reported as itself (offset, outer timestamp).
            d = {"magic": batch.magic, "compression": batch.compression_type,
                 "timestampType": batch.timestamp_type}
            d["offset"] = batch.base_offset
            if batch.compression_type == NONE:
                msgs = list(batch)
                assert len(msgs) == 1
                r = msgs[0]
                d.update(timestamp=r.timestamp if batch.magic == 1 else None,
                         key=hexornull(r.key), value=hexornull(r.value))
            else:
                d["timestamp"] = batch._timestamp if batch.magic == 1 else None
                d["innerOffsets"] = [r.offset for r in batch]
                d["innerTimestamps"] = [r.timestamp for r in batch]
            out.append(d)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    files, expected = {}, {}

    # Uncompressed, CreateTime, timestamps not monotonic (max != last), null key, headers.
    files["v2_uncompressed"] = v2([
        (T0 + 5, b"k1", b"hello", []),
        (T0, None, b"null key", [("trace", b"\x01\x02"), ("empty", None)]),
        (T0 + 42, b"k3", None, []),
    ], base_offset=100)

    # Gzip: values compress well, so kafka-python keeps the gzip codec.
    files["v2_gzip"] = v2([(T0 + 1000 + i, b"key-%d" % i, b"payload " * 20 + b"%d" % i, [])
                           for i in range(5)], base_offset=200, codec=GZIP)

    # LogAppendTime: the broker sets the type bit and maxTimestamp (the append time); every
    # record's timestamp is then maxTimestamp.
    files["v2_log_append_time"] = patch_v2(
        v2([(T0 + 1, b"a", b"1", []), (T0 + 2, b"b", b"2", [])], base_offset=400),
        set_attrs=0x08, max_timestamp=T0 + 9999)

    # A transaction: two data records, the commit marker (a control batch the broker writes:
    # key = version 0, type 1 = COMMIT; value = version 0, coordinator epoch 3), then a
    # plain record after it. kafka-python has no control-batch builder, so the marker is
    # built as a record and the control bit set as the broker does.
    pid = (4242, 1, 0)
    txn = v2([(T0 + 2000, b"t1", b"in txn", []), (T0 + 2001, b"t2", b"in txn", [])],
             base_offset=300, transactional=True, producer=pid)
    marker = patch_v2(v2([(T0 + 2005, struct.pack(">hh", 0, 1), struct.pack(">hi", 0, 3), [])],
                         base_offset=302, transactional=True, producer=pid), set_attrs=0x20)
    after = v2([(T0 + 2010, b"after", b"txn", [])], base_offset=303)
    files["v2_transaction"] = txn + marker + after

    # Snappy / LZ4 / zstd: neither python-snappy, cramjam, lz4 nor zstandard is in the venv,
    # so kafka-python cannot compress with them. exporterd reads only the header of such
    # batches, so the fixture is an uncompressed batch with its codec bits set to LZ4 (CRC
    # recomputed): the body is not real LZ4 and the decoder must not try to read it.
    files["v2_lz4_header_only"] = patch_v2(
        v2([(T0 + 3000, b"x", b"y", []), (T0 + 3007, b"x", b"z", [])], base_offset=500),
        set_attrs=LZ4)

    # Legacy message sets: v1 uncompressed (offsets 10..12) then a v1 gzip wrapper (13..15),
    # and one v0 message (no timestamps in v0).
    files["legacy_v1"] = (
        legacy(1, [(T0 - 30, b"old1", b"v1"), (T0 - 20, None, b"v2"), (T0 - 10, b"old3", None)], 10)
        + legacy(1, [(T0 - 9, b"g", b"zip " * 10), (T0 - 5, b"g", b"zip " * 10), (T0 - 7, b"g", b"zip")], 13, GZIP))
    files["legacy_v0"] = legacy(0, [(None, b"k0", b"v0")], 7)

    for name, data in files.items():
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(bytes(data))
        expected[name] = describe(data, decode_records=(name != "v2_lz4_header_only"))
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
