#!/usr/bin/env python3
"""Writes Tests/SourceWatcherTests/Fixtures/<Message>-v<N>.bin and fixtures.json with
kafka-python's own message classes, so our Swift codecs are checked against a second
implementation rather than against themselves.

Each .bin is a message body only: no length prefix, no request/response header (the
codecs' `encode(into:version:)` / `init(from:version:)` work on bodies).

fixtures.json maps "<Message>-v<N>" to {"message", "version", "file", "expected"}, where
"expected" is kafka-python's decode of the bytes, keyed by the schema's field names in
lowerCamelCase (our Swift property names). Scalars are strings so no JSON parser can
round int64s through a double: integers and floats in decimal, bools "true"/"false",
bytes/records "0x<hex>", uuids dashed hex; null is JSON null.

Values are built from the schemas themselves with a fixed seed: 2-3 elements per array,
negative numbers, unicode strings, nulls where the version allows them, tagged fields set
to non-default values wherever a flexible version has them.

Run: .venv/bin/python scripts/gen_fixtures.py
"""

import importlib
import json
import os
import random
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_protocol  # noqa: E402  (schemas, version caps and names stay in one place)

ROOT = gen_protocol.ROOT
OUT = os.path.join(ROOT, "Tests", "SourceWatcherTests", "Fixtures")

MODULES = [
    "kafka.protocol.metadata.api_versions", "kafka.protocol.metadata.metadata",
    "kafka.protocol.metadata.find_coordinator", "kafka.protocol.consumer.offsets",
    "kafka.protocol.consumer.fetch", "kafka.protocol.consumer.group",
    "kafka.protocol.admin.groups", "kafka.protocol.admin.transactions", "kafka.protocol.sasl",
]

STRINGS = ["tópic-ü", "grüppe-✓", "クラスタ", "payments.v2", "ß-ø-€", "client-Ω", "日本語-topic"]


def kp_class(name):
    for module in MODULES:
        cls = getattr(importlib.import_module(module), name, None)
        if cls is not None:
            return cls
    raise KeyError(name)


def in_range(rng, v):
    return rng is not None and rng[0] <= v <= rng[1]


def kp_children(kp_field):
    """kafka-python's ordered child fields of a struct or struct-array field."""
    inner = getattr(kp_field, "array_of", kp_field)
    return inner._fields


class Builder:
    def __init__(self, seed, version, flexible):
        self.rng = random.Random(seed)
        self.version = version
        self.flexible = flexible
        self.counter = 0

    def tick(self):
        self.counter += 1
        return self.counter

    def scalar(self, t, default, nullable, kp_type_str):
        """Returns (kafka-python value, expected JSON value)."""
        r = self.rng
        if nullable and self.tick() % 3 == 0:
            return None, None
        if kp_type_str == "bitfield":
            bits = sorted(r.sample(range(0, 12), 3))
            value = sum(1 << b for b in bits)
            return set(bits), str(value)
        if t in ("int8", "int16", "int32", "int64", "uint16"):
            bits = {"int8": 8, "int16": 16, "int32": 32, "int64": 64, "uint16": 16}[t]
            while True:
                if t == "uint16":
                    v = r.randint(1, 65535)
                elif self.tick() % 2:
                    v = -r.randint(1, 2 ** (bits - 1))
                else:
                    v = r.randint(1, 2 ** (bits - 1) - 1)
                if v != default:
                    return v, str(v)
        if t == "float64":
            v = r.choice([1.5, -2.25, 0.125, 1024.75])
            return v, repr(v)
        if t == "bool":
            v = default is not True
            return v, "true" if v else "false"
        if t == "string":
            v = f"{r.choice(STRINGS)}-{self.tick()}"
            return v, v
        if t in ("bytes", "records"):
            v = bytes(r.randrange(256) for _ in range(r.randint(1, 24)))
            return v, "0x" + v.hex()
        if t == "uuid":
            v = uuid.UUID(int=r.getrandbits(128))
            return v, str(v)
        raise ValueError(t)

    def struct(self, fields_js, kp_fields, data_class, top=False):
        """Builds one struct: (kafka-python object or kwargs, expected dict)."""
        kwargs, expected = {}, {}
        for js, kp in zip(fields_js, kp_fields):
            versions = gen_protocol.parse_versions(js.get("versions"))
            if not in_range(versions, self.version):
                continue
            tagged_rng = gen_protocol.parse_versions(js.get("taggedVersions")) if "tag" in js else None
            if tagged_rng is not None and not (self.flexible and in_range(tagged_rng, self.version)):
                continue  # a tagged field outside its tagged versions is not on the wire
            nullable = in_range(gen_protocol.parse_versions(js.get("nullableVersions")), self.version)
            kp_value, exp = self.field(js, kp, nullable)
            kwargs[kp.name] = kp_value
            expected[gen_protocol.camel(js["name"])] = exp
        if top:
            return kwargs, expected
        return data_class(**kwargs), expected

    def field(self, js, kp, nullable):
        t = js["type"]
        if t.startswith("[]"):
            if nullable and self.tick() % 3 == 0:
                return None, None
            values, expected = [], []
            for _ in range(self.rng.randint(2, 3)):
                if kp.is_struct_array():
                    v, e = self.struct(js["fields"], kp_children(kp), kp.data_class)
                else:
                    v, e = self.scalar(t[2:], None, False, kp.array_of.type_str)
                values.append(v)
                expected.append(e)
            return values, expected
        if kp.is_struct():
            return self.struct(js["fields"], kp_children(kp), kp.data_class)
        default = kp.default
        return self.scalar(t, default, nullable, kp.type_str)


def resolve(fields, common):
    for f in fields:
        elem = f["type"][2:] if f["type"].startswith("[]") else f["type"]
        if elem in common and "fields" not in f:
            f["fields"] = common[elem]
        if "fields" in f:
            resolve(f["fields"], common)


def fix_special_cases(name, kwargs, expected):
    # kafka-python decodes an ApiVersionsResponse with a non-zero error code as v0
    # (what brokers send for an unsupported request version); keep the body versioned.
    if name == "ApiVersionsResponse":
        kwargs["error_code"] = 0
        expected["errorCode"] = "0"


def to_json_tree(obj, fields_js, kp_fields, version, flexible):
    """kafka-python's decoded object -> expected JSON, in our field names and encoding."""
    out = {}
    for js, kp in zip(fields_js, kp_fields):
        if not in_range(gen_protocol.parse_versions(js.get("versions")), version):
            continue
        if "tag" in js:
            tagged_rng = gen_protocol.parse_versions(js.get("taggedVersions"))
            if not (flexible and in_range(tagged_rng, version)):
                continue
        value = getattr(obj, kp.name)
        out[gen_protocol.camel(js["name"])] = value_json(value, js, kp, version, flexible)
    return out


def value_json(value, js, kp, version, flexible):
    if value is None:
        if kp.type_str == "bitfield":
            return str(-2147483648)  # kafka-python's None bitfield is bit 31 alone
        return None
    t = js["type"]
    if t.startswith("[]"):
        if kp.is_struct_array():
            return [to_json_tree(v, js["fields"], kp_children(kp), version, flexible) for v in value]
        return [scalar_json(v, t[2:], kp.array_of.type_str) for v in value]
    if kp.is_struct():
        return to_json_tree(value, js["fields"], kp_children(kp), version, flexible)
    return scalar_json(value, t, kp.type_str)


def scalar_json(v, t, kp_type_str):
    if kp_type_str == "bitfield":
        raw = sum(1 << b for b in v)
        return str(raw - (1 << 32) if raw >= 1 << 31 else raw)
    if t == "bool":
        return "true" if v else "false"
    if t in ("bytes", "records"):
        return "0x" + bytes(v).hex()
    if t == "uuid":
        return str(v)
    if t == "float64":
        return repr(float(v))
    return str(v)


def write_headers(index):
    """Request header v1/v2 and response header v0/v1, plus one whole request with its
    header (as a connection writes it, minus the length prefix)."""
    from kafka.protocol.api_header import RequestHeader, ResponseHeader

    def put(key, body, expected):
        with open(os.path.join(OUT, key + ".bin"), "wb") as f:
            f.write(body)
        index[key] = {"message": key.split("-")[0], "version": int(key.split("-v")[1].split("-")[0]),
                      "file": key + ".bin", "expected": expected}

    for version, flexible, client_id in ((1, False, "exporterd-ü"), (2, True, "exporterd-ü"), (1, False, None)):
        header = RequestHeader(request_api_key=3, request_api_version=12, correlation_id=-7, client_id=client_id)
        key = f"RequestHeader-v{version}" + ("-nullClientId" if client_id is None else "")
        put(key, header.encode(flexible=flexible), {
            "apiKey": "3", "apiVersion": "12", "correlationId": "-7", "clientId": client_id})
    for version, flexible in ((0, False), (1, True)):
        put(f"ResponseHeader-v{version}", ResponseHeader(correlation_id=2147483647).encode(flexible=flexible),
            {"correlationId": "2147483647"})
    metadata = kp_class("MetadataRequest")(version=12, topics=[], allow_auto_topic_creation=False)
    metadata.with_header(correlation_id=42, client_id="exporterd")
    put("MetadataRequest-v12-withHeader", metadata.encode(version=12, header=True), {})


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".bin"):
            os.remove(os.path.join(OUT, old))
    index = {}
    for api in gen_protocol.APIS:
        for kind in ("Request", "Response"):
            name = api + kind
            schema = gen_protocol.load(name)
            resolve(schema["fields"], {c["name"]: c["fields"] for c in schema.get("commonStructs", [])})
            valid = gen_protocol.parse_versions(schema["validVersions"])
            hi = min(valid[1], gen_protocol.VERSION_CAPS.get(api, valid[1]))
            flexible_rng = gen_protocol.parse_versions(schema.get("flexibleVersions"))
            cls = kp_class(name)
            for version in range(valid[0], hi + 1):
                flexible = in_range(flexible_rng, version)
                builder = Builder(seed=f"{name}-{version}", version=version, flexible=flexible)
                kwargs, _ = builder.struct(schema["fields"], cls._struct._fields, None, top=True)
                fix_special_cases(name, kwargs, {})
                message = cls(version=version, **kwargs)
                body = message.encode(version=version)
                decoded = cls.decode(body, version=version)
                # The second implementation must agree with itself before we trust it.
                # (Decoded messages lack the header slot encode() reads; give them one.)
                decoded._header = None
                assert decoded.encode(version=version) == body, f"{name} v{version}: kafka-python round trip differs"
                expected = to_json_tree(decoded, schema["fields"], cls._struct._fields, version, flexible)
                key = f"{name}-v{version}"
                with open(os.path.join(OUT, key + ".bin"), "wb") as f:
                    f.write(body)
                index[key] = {"message": name, "version": version, "file": key + ".bin", "expected": expected}
    write_headers(index)
    with open(os.path.join(OUT, "fixtures.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(index)} fixtures to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
