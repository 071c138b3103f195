"""What the benchmarks (bench-offsets, bench-memory, cost-curve) share: private Tansu brokers on
free ports, topics seeded one record per batch, a stand-in agent page, the raw ListOffsets
baseline, and reading a process's memory and CPU from /proc.

Only benchmarks use this; the tests' brokers live in Tests/e2e/private_brokers.py."""
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labcommon import ROOT, find_tansu, free_port  # noqa: E402

MIB = 1024 * 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def start_broker(name, started):
    """A Tansu broker with in-memory storage on a free port; appended to `started` at once so
    the caller stops it whatever happens next. Returns its port."""
    tansu = find_tansu()
    if tansu is None:
        sys.exit("no Tansu binary: run scripts/lab install")
    port = free_port()
    process = subprocess.Popen(
        [tansu, "broker", "--cluster-id", "bench-" + name, "--listener-url", "tcp://127.0.0.1:%d" % port,
         "--advertised-listener-url", "tcp://127.0.0.1:%d" % port, "--storage-engine", "memory://%s/" % name],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(process)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return port
        except OSError:
            time.sleep(0.1)
    sys.exit("tansu (%s) did not start" % name)


def stop(processes):
    """SIGTERM, then SIGKILL after 10 s, newest first."""
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def create_topics(bootstrap, topics, per_topic):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    # Batches of 100: one CreateTopics of a thousand 1,000-partition topics outlives its timeout.
    for start in range(0, len(topics), 100):
        batch = topics[start:start + 100]
        for _, future in admin.create_topics([NewTopic(t, per_topic, 1) for t in batch], operation_timeout=300).items():
            future.result(600)


def seed(bootstrap, topics, per_topic, every=7):
    """One record on every `every`-th partition. One record per batch: Tansu's ListOffsets(latest)
    is exact only for single-record batches."""
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "batch.num.messages": 1,
                  "queue.buffering.max.messages": 1000000})
    for topic in topics:
        for partition in range(0, per_topic, every):
            p.produce(topic, b"x", partition=partition)
        p.poll(0)
    remaining = p.flush(600)
    if remaining:
        sys.exit("seeding left %d records unacknowledged" % remaining)


class AgentPage:
    """A stand-in proxy agent's /metrics: per-topic counters that rise on every scrape."""

    def __init__(self, topics):
        self.topics = topics
        self.records = 0
        self.lock = threading.Lock()
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with page.lock:
                    page.records += 1
                    n = page.records
                lines = ["# TYPE kafka_proxy_produced_records_total counter"]
                lines += ['kafka_proxy_produced_records_total{topic="%s"} %d' % (t, n) for t in page.topics]
                lines.append("# TYPE kafka_proxy_produced_bytes_total counter")
                lines += ['kafka_proxy_produced_bytes_total{topic="%s"} %d' % (t, 64 * n) for t in page.topics]
                body = ("\n".join(lines) + "\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def proc_status(pid):
    """VmRSS, VmHWM, RssAnon, RssFile of a process, in bytes."""
    values = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                values[key] = int(rest.split()[0]) * 1024
    return values


def cpu_seconds(pid):
    """User + system CPU seconds a process (all its threads) has used."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def fetch(url, timeout=5, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def metric_values(page, name):
    """{labels text: value} of one metric's samples in an exposition page."""
    values = {}
    prefix = name + "{"
    for line in page.decode().splitlines():
        if line.startswith(prefix):
            labels, _, value = line[len(prefix):].partition("} ")
            values[labels] = float(value)
        elif line.startswith(name + " "):
            values[""] = float(line.split()[1])
    return values


def per_cluster(values):
    """{labels: value} → {cluster: value} for samples labelled cluster="…"."""
    return {labels.split('cluster="', 1)[1].split('"', 1)[0]: value
            for labels, value in values.items() if 'cluster="' in labels}


def raw_exchange(sock, payload):
    """Sends one length-prefixed request and reads the whole length-prefixed answer."""
    sock.sendall(len(payload).to_bytes(4, "big") + payload)
    size = int.from_bytes(read_exactly(sock, 4), "big")
    return read_exactly(sock, size)


def read_exactly(sock, count):
    chunks, got = [], 0
    while got < count:
        chunk = sock.recv(min(count - got, 1 << 20))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def time_raw_pair(bootstraps, topics, per_topic, runs):
    """The raw exchange with every broker in `bootstraps` at the same moment (threads, one
    socket each): what the machine gives two clusters read at once, as the daemon reads its
    source and destination. Seconds per run, until the last answer is in."""
    import threading
    barrier = threading.Barrier(len(bootstraps))
    results = [None] * len(bootstraps)

    def read(index, bootstrap):
        results[index] = time_raw(bootstrap, topics, per_topic, runs, barrier=barrier)[0]

    threads = [threading.Thread(target=read, args=(i, b)) for i, b in enumerate(bootstraps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each run starts on the barrier, so the slower side's time is the pair's.
    return [max(times) for times in zip(*results)]


def time_raw(bootstrap, topics, per_topic, runs, barrier=None):
    """The broker's own speed: one pre-encoded ListOffsets(latest) for every partition at the
    version exporterd negotiates, over a plain socket, timing only send → whole answer read.
    Returns (seconds per run, high watermark sum, version, request bytes, answer bytes)."""
    from kafka.protocol.api_header import ResponseHeader
    from kafka.protocol.consumer.offsets import ListOffsetsRequest, ListOffsetsResponse
    from kafka.protocol.metadata.api_versions import ApiVersionsRequest, ApiVersionsResponse
    host, port = bootstrap.split(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    versions = ApiVersionsRequest(version=0)
    versions.with_header(correlation_id=1, client_id="raw")
    answer = ApiVersionsResponse.decode(raw_exchange(sock, bytes(versions.encode(version=0, header=True)))[4:], version=0)
    offered = next(key for key in answer.api_keys if key.api_key == ListOffsetsRequest.API_KEY)
    version = min(offered.max_version, 11)  # what exporterd negotiates (ListOffsets v1-11)
    topic_class = ListOffsetsRequest.ListOffsetsTopic
    partition_class = topic_class.ListOffsetsPartition
    request = ListOffsetsRequest(version=version, replica_id=-1, isolation_level=0, timeout_ms=300000, topics=[
        topic_class(name=t, partitions=[partition_class(partition_index=p, timestamp=-1) for p in range(per_topic)])
        for t in topics])
    request.with_header(correlation_id=2, client_id="raw")
    payload = bytes(request.encode(version=version, header=True))
    raw_exchange(sock, payload)  # warm-up, as the clients get
    seconds = []
    for _ in range(runs):
        if barrier is not None:
            barrier.wait()
        started = time.perf_counter()
        body = raw_exchange(sock, payload)
        seconds.append(time.perf_counter() - started)
    sock.close()
    # Checked outside the timing: the answer is complete and sums to what the clients read.
    header_size = len(ResponseHeader(correlation_id=2).encode(flexible=ListOffsetsResponse.flexible_version_q(version)))
    response = ListOffsetsResponse.decode(body[header_size:], version=version)
    total = 0
    for topic in response.topics:
        for partition in topic.partitions:
            assert partition.error_code == 0, (topic.name, partition.partition_index, partition.error_code)
            total += partition.offset
    return seconds, total, version, len(payload), len(body)


def release_binary(product):
    """Builds `product` in release and returns its path."""
    subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True)
    return subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip() + "/" + product
