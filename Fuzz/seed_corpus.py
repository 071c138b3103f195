#!/usr/bin/env python3
"""Writes the committed seed corpus under Fuzz/Corpus/<target>/ from the test fixtures.

Run from the repository root after a fixture changes: `python3 Fuzz/seed_corpus.py`.
Sources: Tests/SourceWatcherTests/Fixtures (Kafka bodies, record sets), the agent pages in
Tests/DiagnosticsTests/AgentPages, docs/reference-config.yaml, and the multi-line string
literals of the parser tests (configs, state documents, metric pages), so every seed is an
input a test already feeds the real code.
"""
import hashlib
import pathlib
import re
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "Corpus"
FIXTURES = ROOT / "Tests" / "SourceWatcherTests" / "Fixtures"

# Mirrors `decoders` in Fuzz/KafkaResponses/main.swift: the first byte of an input picks
# the message and version. Order is the corpus format.
RESPONSES = [
    ("ApiVersionsResponse", range(0, 5)), ("DescribeGroupsResponse", range(0, 7)),
    ("DescribeProducersResponse", range(0, 1)), ("FetchResponse", range(4, 13)),
    ("FindCoordinatorResponse", range(0, 7)), ("ListGroupsResponse", range(0, 6)),
    ("ListOffsetsResponse", range(1, 12)), ("MetadataResponse", range(0, 14)),
    ("OffsetFetchResponse", range(1, 11)), ("SaslAuthenticateResponse", range(0, 3)),
    ("SaslHandshakeResponse", range(0, 2)),
]


def table():
    entries = [f"{name}-v{v}" for name, versions in RESPONSES for v in versions]
    entries += [f"ApiVersionsResponse-fallback-v{v}" for v in range(0, 5)]
    entries += ["ConsumerProtocolAssignment", "ResponseHeader-v0", "ResponseHeader-v1"]
    return {name: index for index, name in enumerate(entries)}


def swift_blocks(path):
    """The multi-line string literals of a Swift file, indentation stripped as Swift does."""
    text = path.read_text()
    for match in re.finditer(r'"""\n(.*?)\n([ \t]*)"""', text, re.S):
        indent = match.group(2)
        lines = [line[len(indent):] if line.startswith(indent) else line.lstrip() for line in match.group(1).split("\n")]
        yield ("\n".join(lines) + "\n").encode()


def write(target, name, data):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def short(data):
    return hashlib.sha1(data).hexdigest()[:12]


def main():
    if CORPUS.exists():
        shutil.rmtree(CORPUS)

    index = table()
    for path in sorted(FIXTURES.glob("*Response*-v*.bin")):
        write("FuzzKafkaResponses", path.name, bytes([index[path.stem]]) + path.read_bytes())
        if path.stem.startswith("ApiVersionsResponse"):
            fallback = path.stem.replace("-v", "-fallback-v")
            write("FuzzKafkaResponses", fallback + ".bin", bytes([index[fallback]]) + path.read_bytes())
    for path in sorted((FIXTURES / "ConsumerProtocol").glob("*.bin")):
        write("FuzzKafkaResponses", "ConsumerProtocol-" + path.name, bytes([index["ConsumerProtocolAssignment"]]) + path.read_bytes())
    # Two framed responses back to back, for the frame decoder.
    body = (FIXTURES / "ListOffsetsResponse-v11.bin").read_bytes()
    frame = (len(body) + 4).to_bytes(4, "big") + (7).to_bytes(4, "big") + body
    write("FuzzKafkaResponses", "frames-two.bin", bytes([index["ListOffsetsResponse-v11"]]) + frame + frame)

    for path in sorted((FIXTURES / "records").glob("*.bin")):
        write("FuzzRecordBatches", path.name, path.read_bytes())
        data = path.read_bytes()
        if data[16] == 2 and data[21 + 1] & 0x07 == 0:  # uncompressed v2: its records, for the gzip mode
            count = int.from_bytes(data[57:61], "big")
            write("FuzzRecordBatches", "G-" + path.name, b"G" + bytes([count & 0xFF]) + data[61:])

    pages = ROOT / "Tests" / "DiagnosticsTests" / "AgentPages"
    for path in sorted(pages.glob("*.prom")):
        write("FuzzExposition", path.name, path.read_bytes())
    for test in ["ExpositionParserTests", "ExpositionScopeTests", "ProxiedCountersTests", "ExpositionPages", "AgentPageFixtureTests"]:
        path = ROOT / "Tests" / "DiagnosticsTests" / f"{test}.swift"
        if path.exists():
            for block in swift_blocks(path):
                write("FuzzExposition", f"{test}-{short(block)}", block)

    for path in [ROOT / "Tests" / "DiagnosticsTests" / "MigrationStateDocumentTests.swift",
                 ROOT / "Tests" / "exporterdTests" / "MigrationStateSourceTests.swift",
                 ROOT / "Tests" / "exporterdTests" / "StateDocumentStabilityTests.swift"]:
        for block in swift_blocks(path):
            if b"topics" in block:
                write("FuzzStateDocument", f"{path.stem}-{short(block)}", block)

    write("FuzzConfig", "reference-config.yaml", (ROOT / "docs" / "reference-config.yaml").read_bytes())
    for name in ["ConfigLoaderTests", "ReferenceConfigTests", "RequestTimeoutConfigTests", "ClusterTLSTests", "SaslCredentialsTests"]:
        path = ROOT / "Tests" / "exporterdTests" / f"{name}.swift"
        for block in swift_blocks(path):
            write("FuzzConfig", f"{name}-{short(block)}", block)

    for directory in sorted(CORPUS.iterdir()):
        print(f"{directory.name}: {len(list(directory.iterdir()))} seeds")


if __name__ == "__main__":
    main()
