"""A real OpenAI-compatible server for tests, and a loopback proxy that puts faults in front
of it.

`LlamaServer` starts llama-cpp-python's own server (``python -m llama_cpp.server``, the
package's ``server`` extra) on 127.0.0.1 and a free port, serving the embedded Gemma 3 270M
GGUF under the name ``gemma3-270m``: the same code that answers a user who serves a GGUF
with it, light (a small context, one thread to generate). `FaultProxy` forwards every
request to such a server and logs it; faults queued on it (503, 429 with Retry-After) are
answered instead of forwarding, one per chat request, the way a busy vLLM or a gateway
answers.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

MODEL = "gemma3-270m"
"""The name the server lists its one model under (`/v1/models`)."""
STARTUP_SECONDS = 120.0
"""How long a server may take to answer `/v1/models` (a loaded machine loads slowly)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LlamaServer:
    """``python -m llama_cpp.server`` on a free loopback port; `url` ends in ``/v1``."""

    def __init__(self, api_key: str | None = None, n_ctx: int = 2048, log: Path | None = None):
        self.api_key = api_key
        self.n_ctx = n_ctx
        self.port = free_port()
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LlamaServer:
        """Start the server and wait until it lists its model; fail with its log if not."""
        from evalkit.endpoints.embedded import model_path

        command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", model_path(), "--model_alias", MODEL,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", str(self.n_ctx), "--n_threads", "1", "--n_threads_batch", "2",
            "--chat_format", "gemma",  # the GGUF carries no chat template
            "--verbose", "False",
        ]  # fmt: skip
        if self.api_key:
            command += ["--api_key", self.api_key]
        out = open(self.log, "wb") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        until = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < until:
            if self._process is not None and self._process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/models", headers=headers, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        self.stop()
        told = self.log.read_text(errors="replace")[-2000:] if self.log else ""
        raise RuntimeError(f"llama_cpp.server did not come up on {self.url}\n{told}")

    def stop(self) -> None:
        """Stop the server process (and only it)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


class OneLlamaServer:
    """At most one `LlamaServer` at a time (a second one would compete for this machine's two
    cores and memory): `get` returns the running one when it was started with the same
    api_key and context, else stops it and starts the one asked for."""

    def __init__(self) -> None:
        self.current: LlamaServer | None = None

    def get(self, api_key: str | None = None, n_ctx: int = 2048) -> LlamaServer:
        """A started server with this api_key and context."""
        running = self.current
        if running is not None and (running.api_key, running.n_ctx) == (api_key, n_ctx):
            return running
        self.stop()
        name = "keyed.log" if api_key else "session.log"
        self.current = LlamaServer(api_key=api_key, n_ctx=n_ctx, log=server_log_dir() / name)
        return self.current.start()

    def stop(self) -> None:
        """Stop the running server, if any."""
        if self.current is not None:
            self.current.stop()
            self.current = None


class FaultProxy:
    """A loopback HTTP proxy to `upstream` (a base URL ending in /v1): the same paths, each
    request logged (`requests`: method, path, body, headers in lower case); a chat request
    takes the next of `faults` first, if any, and is answered with that status instead."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.requests: list[dict[str, Any]] = []
        self.faults: list[int] = []
        """Statuses the next chat requests are answered with, one each, in order."""
        self.retry_after: str | None = None
        """A Retry-After header sent with each fault, when set."""
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self._httpd.daemon_threads = True
        self._httpd.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def chats(self) -> list[dict[str, Any]]:
        """The chat requests received so far, faulted ones included."""
        with self._lock:
            return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def record(self, entry: dict[str, Any]) -> int | None:
        """Log a request; the fault it is to be answered with, if any."""
        with self._lock:
            self.requests.append(entry)
            if entry["path"].endswith("/chat/completions") and self.faults:
                return self.faults.pop(0)
        return None


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet: pytest shows failures
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        proxy: FaultProxy = self.server.proxy  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        entry = {"method": method, "path": self.path, "body": body, "headers": headers}
        fault = proxy.record({**entry, "time": time.monotonic()})
        if fault is not None:
            self._fault(fault, proxy.retry_after)
            return
        status, reply_headers, data = _forward(proxy.upstream, method, self.path, raw, headers)
        self.send_response(status)
        for name, value in reply_headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _fault(self, status: int, retry_after: str | None) -> None:
        message = {429: "Too many requests", 503: "Server overloaded"}.get(status, "fault")
        data = json.dumps({"error": {"message": message, "type": "server_error"}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(data)


def _forward(
    upstream: Any, method: str, path: str, raw: bytes, headers: dict[str, str]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request to the upstream server, read whole (a streamed reply too)."""
    keep = {k: v for k, v in headers.items() if k in ("content-type", "authorization", "accept")}
    connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=300)
    try:
        connection.request(method, path, body=raw or None, headers=keep)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def server_log_dir() -> Path:
    """Where a test server's log goes (read when it fails to start)."""
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / "evalkit-llama-server"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
