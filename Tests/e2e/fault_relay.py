"""A fault-injecting HTTP stand-in for the fault tests: in front of a real proxy agent's
/metrics (`--agent URL`) and serving a migration state file (`--state-file PATH` at /state).

Each path answers normally until told otherwise with `POST /fault/<path>/<mode>`:
  ok          relay the agent's page / serve the state file as it is
  500         HTTP 500 with a short body
  html        HTTP 200 with an HTML error page (a load balancer's answer)
  truncated   HTTP 200 with the first half of the real body, connection then closed
  endless     HTTP 200 with a body that never ends (a line every 50 ms)
  hang        accept the request and never answer
`GET /healthz` answers 200. Stops on SIGTERM/SIGINT.
"""
import argparse
import signal
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = {"ok", "500", "html", "truncated", "endless", "hang"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", required=True, help="HOST:PORT")
    parser.add_argument("--agent", help="the real agent's /metrics URL, relayed at /metrics")
    parser.add_argument("--state-file", help="a state document served at /state")
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    modes = {"metrics": "ok", "state": "ok"}
    stopping = threading.Event()

    def real_body(path):
        if path == "metrics":
            with urllib.request.urlopen(args.agent, timeout=5) as response:
                return response.read(), response.headers.get("Content-Type", "text/plain; version=0.0.4")
        with open(args.state_file, "rb") as handle:
            return handle.read(), "application/json"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def answer(self, code, body, content_type="text/plain", close=False):
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            parts = self.path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "fault" and parts[1] in modes and parts[2] in MODES:
                modes[parts[1]] = parts[2]
                self.answer(200, b"ok\n")
            else:
                self.answer(404, b"unknown control path\n")

        def do_GET(self):
            if self.path == "/healthz":
                return self.answer(200, b"ok\n")
            name = {"/metrics": "metrics", "/state": "state"}.get(self.path)
            if name is None or (name == "metrics" and not args.agent) or (name == "state" and not args.state_file):
                return self.answer(404, b"not found\n")
            mode = modes[name]
            if mode == "hang":
                stopping.wait(3600)
                return
            if mode == "500":
                return self.answer(500, b"internal error\n")
            if mode == "html":
                return self.answer(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>\n", "text/html")
            body, content_type = real_body(name)
            if mode == "truncated":
                # Promise the whole length, send half, hang up: a connection cut mid-body.
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if mode == "endless":
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                line = 0
                try:
                    while not stopping.is_set():
                        chunk = ("# endless line %d\n" % line).encode()
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                        line += 1
                        time.sleep(0.05)
                except OSError:
                    pass  # the client gave up, as it should
                self.close_connection = True
                return
            self.answer(200, body, content_type)

    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True

    def stop(*_):
        stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
