#!/usr/bin/env python3
"""Generates Sources/SourceWatcher/Protocol/Messages/<Api>.swift from Kafka's JSON message
schemas, the copies kafka-python ships (found via `import kafka`).

One file per API holds its request and response, every version in `supportedVersions`,
both directions (the fake broker decodes requests and encodes responses).

Run: .venv/bin/python scripts/gen_protocol.py
"""

import json
import os
import re
import sys

import kafka

SCHEMAS = os.path.join(os.path.dirname(kafka.__file__), "protocol", "schemas", "resources")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Sources", "SourceWatcher", "Protocol", "Messages")

APIS = [
    "ApiVersions", "Metadata", "ListOffsets", "Fetch", "ListGroups", "DescribeGroups",
    "OffsetFetch", "FindCoordinator", "DescribeProducers", "SaslHandshake", "SaslAuthenticate",
]

# Highest version we generate, where lower than the schema's. Fetch v13+ names topics by
# id only; exporterd knows topics by name and would need a Metadata id map first.
VERSION_CAPS = {"Fetch": 12}

MAX_VERSION = 32767
SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import",
    "init", "inout", "internal", "let", "open", "operator", "private", "protocol", "public",
    "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "continue",
    "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
    "return", "switch", "where", "while", "as", "catch", "false", "is", "nil", "super", "self",
    "Self", "throw", "throws", "true", "try", "Type", "Any",
}

PRIMITIVES = {
    # schema type: (Swift type, fixed wire size or None)
    "int8": ("Int8", 1), "int16": ("Int16", 2), "uint16": ("UInt16", 2),
    "int32": ("Int32", 4), "int64": ("Int64", 8), "float64": ("Double", 8),
    "bool": ("Bool", 1), "uuid": ("KafkaUUID", 16), "string": ("String", None),
    "bytes": ("[UInt8]", None), "records": ("ByteBuffer", None),
}


def load(name):
    with open(os.path.join(SCHEMAS, name + ".json"), encoding="utf-8") as f:
        text = f.read()
    return json.loads(re.sub(r"(?m)^\s*//.*\n?", "", text))


def parse_versions(text):
    """Kafka's version range syntax: "3", "1-5", "4+", "none" (-> None)."""
    if text is None or text.strip() in ("", "none"):
        return None
    text = text.strip()
    if text.endswith("+"):
        return (int(text[:-1]), MAX_VERSION)
    if "-" in text:
        lo, hi = text.split("-")
        return (int(lo), int(hi))
    return (int(text), int(text))


def intersect(a, b):
    if a is None or b is None:
        return None
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo <= hi else None


def camel(name):
    return name[0].lower() + name[1:]


def ident(name):
    return f"`{name}`" if name in SWIFT_KEYWORDS else name


def swift_string_literal(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Field:
    def __init__(self, js, supported):
        self.js = js
        self.name = js["name"]
        self.prop = camel(self.name)
        self.ident = ident(self.prop)
        self.type = js["type"]
        self.versions = intersect(parse_versions(js.get("versions")), supported)
        self.nullable = parse_versions(js.get("nullableVersions"))
        self.tag = js.get("tag")
        self.tagged = parse_versions(js.get("taggedVersions")) if self.tag is not None else None
        self.own_flexible = parse_versions(js["flexibleVersions"]) if "flexibleVersions" in js else "inherit"
        self.ignorable = bool(js.get("ignorable", False))
        self.default = js.get("default", "")
        self.is_array = self.type.startswith("[]")
        self.elem = self.type[2:] if self.is_array else self.type
        self.is_struct = self.elem not in PRIMITIVES
        self.fields = js.get("fields")

    @property
    def optional(self):
        return self.nullable is not None or self.type == "records"

    def elem_swift(self):
        return self.elem if self.is_struct else PRIMITIVES[self.elem][0]

    def swift_type(self):
        base = f"[{self.elem_swift()}]" if self.is_array else self.elem_swift()
        return base + "?" if self.optional else base

    def default_expr(self):
        d = self.default
        if self.optional and (d == "null" or self.type == "records"):
            return "nil"
        if self.is_array:
            return "[]"
        if self.is_struct:
            return ".init()"
        t = self.type
        if t in ("int8", "int16", "uint16", "int32", "int64"):
            if d in ("", None):
                return "0"
            return str(int(d, 16) if str(d).lower().startswith("0x") else int(d))
        if t == "float64":
            return repr(float(d)) if d not in ("", None) else "0"
        if t == "bool":
            return "true" if str(d).lower() == "true" else "false"
        if t == "uuid":
            return ".zero"
        if t == "string":
            return swift_string_literal(d or "")
        if t == "bytes":
            return "[]"
        raise ValueError(f"no default for {self.name} {t}")


class Struct:
    def __init__(self, name, fields_js, supported, top):
        self.name = name
        # Fields no supported version carries would only be dead weight (e.g. ListOffsets
        # MaxNumOffsets, v0 only).
        self.fields = [f for f in (Field(js, supported) for js in fields_js) if f.versions is not None]
        self.top = top


class Generator:
    def __init__(self, api, kind, schema, supported, flexible):
        self.api = api
        self.kind = kind  # "Request" / "Response"
        self.top = api + kind
        self.schema = schema
        self.supported = supported
        self.flexible = intersect(flexible, supported)
        self.structs = {}  # name -> Struct, nested types of the top struct
        common = {c["name"]: c["fields"] for c in schema.get("commonStructs", [])}
        self.collect(schema["fields"], common)

    def collect(self, fields, common):
        for f in fields:
            elem = f["type"][2:] if f["type"].startswith("[]") else f["type"]
            if elem in PRIMITIVES:
                continue
            sub = f.get("fields") or common.get(elem)
            if sub is None:
                raise ValueError(f"unknown struct {elem}")
            f["fields"] = sub
            if elem not in self.structs:
                self.structs[elem] = Struct(elem, sub, self.supported, self.top)
            self.collect(sub, common)

    # --- conditions -------------------------------------------------------------------
    # Every condition is computed as a set of supported versions, then printed as the
    # shortest Swift test for it ("true"/"false" when it does not depend on the version).

    def vset(self, rng):
        if rng is None:
            return set()
        return {v for v in range(self.supported[0], self.supported[1] + 1) if rng[0] <= v <= rng[1]}

    def cond_of(self, versions):
        every = set(range(self.supported[0], self.supported[1] + 1))
        versions = versions & every
        if not versions:
            return "false"
        if versions == every:
            return "true"
        ranges, run = [], []
        for v in sorted(versions):
            if run and v == run[-1] + 1:
                run.append(v)
            else:
                if run:
                    ranges.append((run[0], run[-1]))
                run = [v]
        ranges.append((run[0], run[-1]))
        parts = []
        for lo, hi in ranges:
            bits = []
            if lo > self.supported[0]:
                bits.append(f"version >= {lo}")
            if hi < self.supported[1]:
                bits.append(f"version <= {hi}")
            parts.append(" && ".join(bits))
        return " || ".join(f"({p})" if len(ranges) > 1 else p for p in parts)

    def flex_set(self):
        return self.vset(self.flexible)

    def tagged_set(self, f):
        if f.tag is None or f.tagged is None:
            return set()
        return self.vset(f.versions) & self.vset(f.tagged) & self.flex_set()

    def regular_set(self, f):
        return self.vset(f.versions) - self.tagged_set(f)

    def compact_expr(self, f):
        if f.own_flexible != "inherit":
            return self.cond_of(self.vset(f.own_flexible) & self.flex_set())
        return "flexible" if self.flexible else "false"

    def regular_cond(self, f):
        return self.cond_of(self.regular_set(f))

    def tagged_cond(self, f):
        """Checked only inside `if flexible`, so versions the flexible test already covers
        need no second check."""
        tagged = self.tagged_set(f)
        if tagged and tagged == self.flex_set():
            return "true"
        return self.cond_of(tagged)

    def absent_cond(self, f):
        every = set(range(self.supported[0], self.supported[1] + 1))
        return self.cond_of(every - self.regular_set(f) - self.tagged_set(f))

    def nullable_cond(self, f):
        return self.cond_of(self.vset(f.nullable))

    def min_wire_size(self, s):
        """The fewest bytes one element of struct s can take in any supported version, so
        an array count is checked against what remains before anything is allocated."""
        best = None
        for v in range(self.supported[0], self.supported[1] + 1):
            flexible = v in self.flex_set()
            size = 1 if flexible else 0  # the tagged-field count
            for f in s.fields:
                if v not in self.regular_set(f):
                    continue
                if f.is_array:
                    size += 1 if flexible else 4
                elif f.is_struct:
                    size += self.min_wire_size(self.structs[f.elem])
                elif f.elem == "string":
                    size += 1 if flexible else 2
                elif f.elem in ("bytes", "records"):
                    size += 1 if flexible else 4
                else:
                    size += PRIMITIVES[f.elem][1]
            best = size if best is None else min(best, size)
        return max(best or 1, 1)

    # --- encode -----------------------------------------------------------------------

    def enc_value(self, f, expr, compact, sname, out, ind):
        """Lines writing a single (non-array) value of f's element type."""
        p = " " * ind
        fname = swift_string_literal(f.prop)
        msg = swift_string_literal(sname)
        t = f.elem
        if f.is_struct:
            out.append(f"{p}try {expr}.encode(into: &buffer, version: version)")
        elif t in ("int8", "int16", "uint16", "int32", "int64"):
            out.append(f"{p}buffer.writeInteger({expr})")
        elif t == "float64":
            out.append(f"{p}buffer.writeKafkaFloat64({expr})")
        elif t == "bool":
            out.append(f"{p}buffer.writeKafkaBool({expr})")
        elif t == "uuid":
            out.append(f"{p}buffer.writeKafkaUUID({expr})")
        elif t == "string":
            out.append(f"{p}try buffer.writeKafkaString({expr}, compact: {compact}, {msg}, {fname})")
        elif t == "bytes":
            out.append(f"{p}try buffer.writeKafkaBytes({expr}, compact: {compact}, {msg}, {fname})")
        elif t == "records":
            out.append(f"{p}try buffer.writeKafkaRecords({expr}, compact: {compact}, {msg}, {fname})")
        else:
            raise ValueError(t)

    def enc_field(self, f, sname, out, ind, compact):
        p = " " * ind
        fname = swift_string_literal(f.prop)
        msg = swift_string_literal(sname)
        expr = f"self.{f.ident}"
        if f.optional:
            nc = self.nullable_cond(f)
            if nc != "true":
                guard = f"{expr} == nil" if nc == "false" else f"{expr} == nil && !({nc})"
                out.append(f"{p}if {guard} {{ throw .unexpectedNull(message: {msg}, field: {fname}) }}")
        if f.is_array:
            count = f"{expr}?.count" if f.optional else f"{expr}.count"
            out.append(f"{p}try buffer.writeKafkaLength({count}, compact: {compact}, wide: true, {msg}, {fname})")
            seq = f"{expr} ?? []" if f.optional else expr
            out.append(f"{p}for element in {seq} {{")
            self.enc_value(f, "element", compact, sname, out, ind + 4)
            out.append(f"{p}}}")
        elif f.optional and f.elem not in ("string", "bytes", "records"):
            raise ValueError(f"nullable {f.elem} unsupported")
        else:
            self.enc_value(f, expr, compact, sname, out, ind)

    def gen_encode(self, s, is_top):
        out = []
        sname = s.name
        msg = swift_string_literal(sname)
        out.append("    public func encode(into buffer: inout ByteBuffer, version: Int16) throws(KafkaCodecError) {")
        if is_top:
            out.append(f"        guard Self.supportedVersions.contains(version) else {{ throw .unsupportedVersion(api: .{camel(self.api)}, version: version) }}")
        body = []
        if self.flexible:
            body.append(f"        let flexible = {self.top}.isFlexible(version)")
        for f in s.fields:
            rc = self.regular_cond(f)
            tc = self.tagged_cond(f)
            fname = swift_string_literal(f.prop)
            absent = self.absent_cond(f)
            if not f.ignorable and absent != "false":
                check = f"self.{f.ident} != {f.default_expr()}"
                if absent != "true":
                    check = f"({absent}) && {check}"
                body.append(f"        if {check} {{ throw .fieldNotInVersion(message: {msg}, field: {fname}, version: version) }}")
            if rc == "false":
                continue
            compact = self.compact_expr(f)
            if rc == "true":
                self.enc_field(f, sname, body, 8, compact)
            else:
                body.append(f"        if {rc} {{")
                self.enc_field(f, sname, body, 12, compact)
                body.append("        }")
        if self.flexible:
            tagged = [f for f in s.fields if self.tagged_cond(f) != "false"]
            tagged.sort(key=lambda f: f.tag)
            fc = "flexible"
            body.append(f"        if {fc} {{")
            if not tagged:
                body.append("            buffer.writeUnsignedVarint(0)")
            else:
                body.append("            var tagCount: UInt32 = 0")
                for f in tagged:
                    tc = self.tagged_cond(f)
                    c = f"self.{f.ident} != {f.default_expr()}"
                    if tc != "true":
                        c = f"({tc}) && {c}"
                    body.append(f"            let write{f.name} = {c}")
                    body.append(f"            if write{f.name} {{ tagCount += 1 }}")
                body.append("            buffer.writeUnsignedVarint(tagCount)")
                for f in tagged:
                    body.append(f"            if write{f.name} {{")
                    body.append("                var payload = ByteBuffer()")
                    inner = []
                    self.enc_field(f, sname, inner, 16, "true")
                    body.extend(line.replace("buffer", "payload").replace("&payload", "&payload") for line in inner)
                    body.append(f"                buffer.writeTaggedField(tag: {f.tag}, payload: payload)")
                    body.append("            }")
            body.append("        }")
        out.extend(body)
        out.append("    }")
        return out

    # --- decode -----------------------------------------------------------------------

    def dec_value(self, f, compact, sname, buf):
        fname = swift_string_literal(f.prop)
        msg = swift_string_literal(sname)
        t = f.elem
        if f.is_struct:
            return f"try {t}(from: &{buf}, version: version)"
        if t in ("int8", "int16", "uint16", "int32", "int64"):
            return f"try {buf}.readKafkaInteger(as: {PRIMITIVES[t][0]}.self, {msg}, {fname})"
        if t == "float64":
            return f"try {buf}.readKafkaFloat64({msg}, {fname})"
        if t == "bool":
            return f"try {buf}.readKafkaBool({msg}, {fname})"
        if t == "uuid":
            return f"try {buf}.readKafkaUUID({msg}, {fname})"
        if t == "string":
            return f"try {buf}.readKafkaString(compact: {compact}, {msg}, {fname})"
        if t == "bytes":
            return f"try {buf}.readKafkaBytes(compact: {compact}, {msg}, {fname})"
        if t == "records":
            return f"try {buf}.readKafkaRecords(compact: {compact}, {msg}, {fname})"
        raise ValueError(t)

    def null_guard(self, f, var, msg, fname, p, out):
        """After reading an optional `var`: enforce non-null where the version requires it."""
        if f.optional:
            nc = self.nullable_cond(f)
            if nc != "true":
                g = f"{var} == nil" if nc == "false" else f"{var} == nil && !({nc})"
                out.append(f"{p}if {g} {{ throw .unexpectedNull(message: {msg}, field: {fname}) }}")
            out.append(f"{p}self.{f.ident} = {var}")
        else:
            out.append(f"{p}guard let {var}NonNull = {var} else {{ throw .unexpectedNull(message: {msg}, field: {fname}) }}")
            out.append(f"{p}self.{f.ident} = {var}NonNull")

    def dec_field(self, f, sname, out, ind, compact, buf):
        p = " " * ind
        fname = swift_string_literal(f.prop)
        msg = swift_string_literal(sname)
        var = f"{f.prop}Value"
        if f.is_array:
            if f.is_struct:
                min_size = self.min_wire_size(self.structs[f.elem])
            else:
                size = PRIMITIVES[f.elem][1]
                min_size = size if size else 1
            out.append(f"{p}let {f.prop}Count = try {buf}.readKafkaLength(compact: {compact}, wide: true, minElementSize: {min_size}, {msg}, {fname})")
            out.append(f"{p}var {var}: [{f.elem_swift()}]? = nil")
            out.append(f"{p}if let {f.prop}Count {{")
            out.append(f"{p}    var elements: [{f.elem_swift()}] = []")
            # The count is already bounded by the bytes left; the cap keeps a garbage count
            # from reserving much more memory than elements actually decoded would use.
            out.append(f"{p}    elements.reserveCapacity(min({f.prop}Count, 1024))")
            out.append(f"{p}    for _ in 0..<{f.prop}Count {{")
            v = self.dec_value(f, compact, sname, buf)
            if not f.is_struct and f.elem in ("string", "bytes"):
                out.append(f"{p}        guard let element = {v} else {{ throw .unexpectedNull(message: {msg}, field: {fname}) }}")
                out.append(f"{p}        elements.append(element)")
            else:
                out.append(f"{p}        elements.append({v})")
            out.append(f"{p}    }}")
            out.append(f"{p}    {var} = elements")
            out.append(f"{p}}}")
            self.null_guard(f, var, msg, fname, p, out)
        elif f.elem in ("string", "bytes", "records"):
            out.append(f"{p}let {var} = {self.dec_value(f, compact, sname, buf)}")
            self.null_guard(f, var, msg, fname, p, out)
        else:
            out.append(f"{p}self.{f.ident} = {self.dec_value(f, compact, sname, buf)}")

    def gen_decode(self, s, is_top):
        out = []
        sname = s.name
        msg = swift_string_literal(sname)
        out.append("    public init(from buffer: inout ByteBuffer, version: Int16) throws(KafkaCodecError) {")
        if is_top:
            out.append(f"        guard Self.supportedVersions.contains(version) else {{ throw .unsupportedVersion(api: .{camel(self.api)}, version: version) }}")
        out.append("        self.init()")
        if self.flexible:
            out.append(f"        let flexible = {self.top}.isFlexible(version)")
        for f in s.fields:
            rc = self.regular_cond(f)
            if rc == "false":
                continue
            compact = self.compact_expr(f)
            if rc == "true":
                self.dec_field(f, sname, out, 8, compact, "buffer")
            else:
                out.append(f"        if {rc} {{")
                self.dec_field(f, sname, out, 12, compact, "buffer")
                out.append("        }")
        if self.flexible:
            tagged = [f for f in s.fields if self.tagged_cond(f) != "false"]
            out.append("        if flexible {")
            out.append(f"            let tagCount = try buffer.readTaggedFieldCount({msg})")
            out.append("            for _ in 0..<tagCount {")
            if tagged:
                out.append(f"                var (tag, payload) = try buffer.readTaggedField({msg})")
                out.append("                switch tag {")
                for f in sorted(tagged, key=lambda f: f.tag):
                    tc = self.tagged_cond(f)
                    where = "" if tc == "true" else f" where {tc}"
                    out.append(f"                case {f.tag}{where}:")
                    self.dec_field(f, sname, out, 20, "true", "payload")
                out.append("                default:")
                out.append("                    break  // Unknown tags are skipped, as Kafka does.")
                out.append("                }")
            else:
                out.append(f"                _ = try buffer.readTaggedField({msg})  // No known tags here: skip.")
            out.append("            }")
            out.append("        }")
        out.append("    }")
        return out

    # --- struct -----------------------------------------------------------------------

    def gen_struct(self, s, is_top, indent):
        lines = []
        for f in s.fields:
            lines.append(f"    public var {f.ident}: {f.swift_type()}")
        lines.append("")
        params = ",\n".join(f"        {f.ident}: {f.swift_type()} = {f.default_expr()}" for f in s.fields)
        if params:
            lines.append("    public init(")
            lines.extend(params.split("\n"))
            lines.append("    ) {")
        else:
            lines.append("    public init() {")
        for f in s.fields:
            lines.append(f"        self.{f.ident} = {f.ident}")
        lines.append("    }")
        lines.append("")
        lines.extend(self.gen_decode(s, is_top))
        lines.append("")
        lines.extend(self.gen_encode(s, is_top))
        return [(" " * indent + l) if l else "" for l in lines]

    def generate(self):
        lo, hi = self.supported
        out = []
        top_doc = f"/// Kafka {self.top} (api key {self.schema['apiKey']}), versions {lo}-{hi}."
        out.append(top_doc)
        if self.kind == "Request":
            out.append(f"public struct {self.top}: KafkaRequest, KafkaMessageCodec, Equatable {{")
            out.append(f"    public typealias Response = {self.api}Response")
            out.append(f"    public static let apiKey: APIKey = .{camel(self.api)}")
        else:
            out.append(f"public struct {self.top}: KafkaResponse, KafkaMessageCodec, Equatable {{")
        out.append(f"    public static let supportedVersions: ClosedRange<Int16> = {lo}...{hi}")
        if self.flexible:
            fl = self.flexible
            out.append(f"    public static func isFlexible(_ version: Int16) -> Bool {{ version >= {fl[0]} }}")
        else:
            out.append("    public static func isFlexible(_ version: Int16) -> Bool { false }")
        out.append("")
        for name, s in self.structs.items():
            out.append(f"    public struct {name}: Sendable, Equatable {{")
            out.extend(self.gen_struct(s, False, 4))
            out.append("    }")
            out.append("")
        top = Struct(self.top, self.schema["fields"], self.supported, self.top)
        out.extend(self.gen_struct(top, True, 0))
        out.append("}")
        text = "\n".join(out)
        return text


def generate_api(api):
    req, resp = load(api + "Request"), load(api + "Response")
    valid = parse_versions(req["validVersions"])
    assert valid == parse_versions(resp["validVersions"]), api
    hi = min(valid[1], VERSION_CAPS.get(api, valid[1]))
    supported = (valid[0], hi)
    parts = [
        f"// Generated by scripts/gen_protocol.py from Kafka's {api}Request.json/{api}Response.json — do not edit.",
        "//",
        f"// {api} request and response, versions {supported[0]}-{supported[1]}, both encoded and decoded.",
        "",
        "import NIOCore",
        "",
    ]
    for kind, schema in (("Request", req), ("Response", resp)):
        flexible = parse_versions(schema.get("flexibleVersions"))
        parts.append(Generator(api, kind, schema, supported, flexible).generate())
        parts.append("")
    return "\n".join(parts)


def main():
    os.makedirs(OUT, exist_ok=True)
    for api in APIS:
        path = os.path.join(OUT, api + ".swift")
        with open(path, "w", encoding="utf-8") as f:
            f.write(generate_api(api))
        print("wrote", os.path.relpath(path, ROOT))


if __name__ == "__main__":
    sys.exit(main())
