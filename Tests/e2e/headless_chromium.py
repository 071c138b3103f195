"""Headless Chromium (Debian `chromium`) driven over the DevTools protocol, for tests that look
at a page as a browser renders it: screenshots, DOM checks and console errors.

    import headless_chromium
    page = headless_chromium.open("http://127.0.0.1:9464/", 1280, 800)
    try:
        page.screenshot(tmp_path / "desktop.png")
        rows = page.evaluate("document.querySelectorAll('tr').length")
        page.wait_for("document.title !== ''")
XX starts its own browser process (free DevTools port, throw-away profile), waits
for the page's load event and stops that process by PID on `close`. Console errors are
`console.error`/`console.assert` calls, uncaught exceptions and the browser's own error log
entries (a resource that failed to load, a blocked request), from the first navigation on.
Needs the `websocket-client` package (scripts/requirements.txt).
"""
import base64
import builtins
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


class BrowserError(Exception):
    """The browser could not be started, or a DevTools command failed or timed out."""


def browser_binary():
    """The path of the first Chromium found, or None."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    """One tab of one headless browser process."""

    def __init__(self, process, profile, socket):
        self._process = process
        self._profile = profile
        self._socket = socket
        self._lock = threading.Condition()
        self._next_id = 0
        self._responses = {}
        self._events = []
        self._errors = []
        self._closed = False
        self._reader = threading.Thread(target=self._read, name="devtools-reader", daemon=True)
        self._reader.start()

    # --- the protocol ------------------------------------------------------------------
    def _read(self):
        while True:
            try:
                message = json.loads(self._socket.recv())
            except Exception:
                with self._lock:
                    self._closed = True
                    self._lock.notify_all()
                return
            with self._lock:
                if "id" in message:
                    self._responses[message["id"]] = message
                else:
                    self._events.append(message)
                    error = _console_error(message)
                    if error is not None:
                        self._errors.append(error)
                self._lock.notify_all()

    def send(self, method, timeout=30, **params):
        """Runs one DevTools command and returns its `result`."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        with self._lock:
            while ident not in self._responses:
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    raise BrowserError("%s: no answer within %ss" % (method, timeout))
                self._lock.wait(remaining)
            response = self._responses.pop(ident)
        if "error" in response:
            raise BrowserError("%s: %s" % (method, response["error"]))
        return response.get("result", {})

    def wait_event(self, method, timeout=30, since=0):
        """The first event named `method` at or after index `since` of the event log."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for event in self._events[since:]:
                    if event.get("method") == method:
                        return event
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    raise BrowserError("no %s within %ss" % (method, timeout))
                self._lock.wait(remaining)

    def _event_count(self):
        with self._lock:
            return len(self._events)

    # --- what tests use --------------------------------------------------------------------
    def navigate(self, url, timeout=30):
        mark = self._event_count()
        result = self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise BrowserError("navigating to %s: %s" % (url, result["errorText"]))
        self.wait_event("Page.loadEventFired", timeout, since=mark)

    def evaluate(self, expression, timeout=30):
        """The value of a JavaScript expression (promises awaited), as JSON turns it."""
        result = self.send("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError("evaluating %r: %s" % (expression[:80], text))
        return result.get("result", {}).get("value")

    def wait_for(self, expression, timeout=30, interval=0.2):
        """Polls `expression` until it is truthy and returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() >= deadline:
                raise BrowserError("%r still %r after %ss" % (expression[:120], value, timeout))
            time.sleep(interval)

    def screenshot(self, path, full_page=False):
        """Writes a PNG of the viewport (or of the whole page) to `path` and returns the path."""
        params = {"format": "png"}
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        data = self.send("Page.captureScreenshot", **params)["data"]
        with builtins.open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def requests(self):
        """The URL of every request the page made so far (documents, scripts, fetches, event
        streams, images), in order."""
        with self._lock:
            return [e["params"]["request"]["url"] for e in self._events if e.get("method") == "Network.requestWillBeSent"]

    def console_errors(self):
        """Every console error so far, as text."""
        with self._lock:
            return list(self._errors)

    def close(self):
        try:
            self._socket.close()
        except Exception:
            pass
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._reader.join(5)
        shutil.rmtree(self._profile, ignore_errors=True)


def _console_error(event):
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        return "console.%s: %s" % (params["type"], " ".join(
            str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        return "uncaught: %s" % (details.get("exception", {}).get("description") or details.get("text"))
    if method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        entry = params["entry"]
        return "%s: %s %s" % (entry.get("source"), entry.get("text"), entry.get("url", ""))
    return None


def _devtools_port(profile, process, timeout):
    """Chromium writes the port it picked to DevToolsActivePort in the profile."""
    marker = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrowserError("chromium exited with %s; see %s" % (process.returncode, os.path.join(profile, "chromium.log")))
        try:
            with builtins.open(marker) as f:
                first = f.readline().strip()
            if first.isdigit():
                return int(first)
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise BrowserError("chromium did not open its DevTools port within %ss" % timeout)


def open(url, width, height, timeout=30):  # noqa: A001  (the module's verb: headless_chromium.open)
    """Starts a headless browser with a `width`×`height` viewport (a phone's, with touch and
    mobile layout, below 600 px), loads `url` and returns the Page once its load event fired."""
    import websocket  # websocket-client

    binary = browser_binary()
    if binary is None:
        raise BrowserError("no chromium found (install Debian's chromium: scripts/lab install)")
    profile = tempfile.mkdtemp(prefix="headless-chromium-")
    log = builtins.open(os.path.join(profile, "chromium.log"), "w")
    process = subprocess.Popen(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
         "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "--user-data-dir=%s" % profile,
         "--window-size=%d,%d" % (width, height), "about:blank"],
        stdout=log, stderr=subprocess.STDOUT)
    log.close()
    page = None
    try:
        port = _devtools_port(profile, process, timeout)
        deadline = time.monotonic() + timeout
        target = None
        while target is None:
            with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=5) as response:
                target = next((t for t in json.loads(response.read()) if t.get("type") == "page"), None)
            if target is None:
                if time.monotonic() > deadline:
                    raise BrowserError("chromium opened no page target")
                time.sleep(0.1)
        socket = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=None, suppress_origin=True)
        page = Page(process, profile, socket)
        for domain in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            page.send(domain)
        page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=width < 600)
        if width < 600:
            page.send("Emulation.setTouchEmulationEnabled", enabled=True)
        page.navigate(url, timeout)
        return page
    except BaseException:
        if page is not None:
            page.close()
        else:
            if process.poll() is None:
                process.kill()
                process.wait(5)
            shutil.rmtree(profile, ignore_errors=True)
        raise
