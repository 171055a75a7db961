"""A loopback HTTP server that speaks Ollama's documented API, with faults on demand.

`FakeOllama` serves ``GET /``, ``GET /api/version``, ``GET /api/tags`` and ``POST
/api/chat`` (streaming NDJSON by default, as Ollama does, or one JSON object with
``"stream": false``) on 127.0.0.1 and a free port, from daemon threads, so tests and
benchmarks can run evalkit's real litellm path against it::

    with FakeOllama(models=["gemma3:1b"], latency=0.2, parallel=2) as server:
        call(api_base=server.url)
        assert server.count(path="/api/chat") == 1

Replies come from ``responder(request_body) -> str``; the default one answers a JSON
schema ``format`` with an instance that validates against it. ``latency`` is held per chat
request inside one of ``parallel`` slots (extra requests queue, as Ollama's do), so the
ideal wall time of a workload is known. As Ollama does, a reply longer than the request's
``options.num_predict`` (litellm's ``max_tokens``) tokens, counted here as words, is cut
there and ends with ``done_reason: "length"``. Faults (see `ollama_faults`) are given as keyword
arguments, changed at runtime through ``server.faults`` or set per model with
`FakeOllama.set_faults`. ``stop()`` returns promptly even while requests are stalled.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

try:  # imported as tests.ollama_server, or as ollama_server with tests/ on sys.path
    from .ollama_faults import (
        ChatFault,
        Faults,
        answer_proxy_fault,
        cut_at_deadline,
        echo_of,
        status_response,
    )
    from .ollama_replies import default_responder
except ImportError:
    from ollama_faults import (
        ChatFault,
        Faults,
        answer_proxy_fault,
        cut_at_deadline,
        echo_of,
        status_response,
    )
    from ollama_replies import default_responder

Responder = Callable[[dict[str, Any]], str]
"""Turns a parsed ``/api/chat`` request body into the assistant's reply text."""

_JSON = "application/json; charset=utf-8"
_POLL = 0.05  # seconds between checks for stop() and a departed client while holding


def _canonical(name: str) -> str:
    """Ollama's name rule: a model without a tag means ``:latest``."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _tokens(text: object) -> int:
    return len(str(text or "").split())


class FakeOllama:
    """An Ollama look-alike on ``http://127.0.0.1:<free port>``; see the module docstring."""

    def __init__(
        self,
        models: Sequence[str] = ("gemma3:1b",),
        version: str = "0.6.5",
        latency: float | Mapping[str, float] = 0.0,
        parallel: int | None = None,
        responder: Responder | None = None,
        families: Mapping[str, str] | None = None,
        **faults: Any,
    ) -> None:
        self.models = list(models)
        self.families = dict(families or {})
        """`details.family` by model name, where it is not the name before the tag."""
        self.version = version
        self.digests: dict[str, str] = {}
        """Digests `/api/tags` lists, by model, instead of the default (sha256 of the name):
        change one to serve "another model under the same name"."""
        self.latency = latency
        self.responder: Responder = responder or default_responder
        self.faults = Faults(**faults)
        """Faults for every request; replace it or change its fields at any time."""
        self.model_faults: dict[str, Faults] = {}
        """Faults that replace `faults` for the chat requests of one model."""
        self.requests: list[dict[str, Any]] = []
        """Every request received: method, path, model, time (`time.monotonic`), body,
        headers (names in lower case)."""
        self.max_active = 0
        """The most chat requests that held a slot at once."""
        self.stopping = threading.Event()
        self._active = 0
        self._slots = threading.BoundedSemaphore(parallel) if parallel else None
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234``; only valid once started."""
        if self._httpd is None:
            raise RuntimeError("FakeOllama is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> FakeOllama:
        """Bind 127.0.0.1 on a free port and serve from a daemon thread."""
        self.stopping.clear()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": _POLL}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection, stalled ones included."""
        if self._httpd is None:
            return
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            for conn in list(self._connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def set_faults(self, model: str | None = None, **options: Any) -> Faults:
        """Replace the faults of every request, or of `model`'s chat requests; returns them.

        A new `Faults` restarts its sequence and its random generator.
        """
        faults = Faults(**options)
        if model is None:
            self.faults = faults
        else:
            self.model_faults[_canonical(model)] = faults
        return faults

    def clear_faults(self) -> None:
        """Serve normally again, for every model."""
        self.faults = Faults()
        self.model_faults.clear()

    def count(
        self, path: str | None = None, model: str | None = None, method: str | None = None
    ) -> int:
        """How many logged requests match every filter given."""
        with self._lock:
            return sum(
                (path is None or r["path"] == path)
                and (model is None or r["model"] == model)
                and (method is None or r["method"] == method)
                for r in self.requests
            )

    def has_model(self, name: str) -> bool:
        return _canonical(name) in {_canonical(m) for m in self.models}

    def faults_for(self, model: str | None) -> Faults:
        return self.model_faults.get(_canonical(model), self.faults) if model else self.faults

    def latency_for(self, model: str) -> float:
        if isinstance(self.latency, Mapping):
            per_model = {_canonical(name): value for name, value in self.latency.items()}
            return float(per_model.get(_canonical(model), 0.0))
        return float(self.latency)

    def log(
        self, method: str, path: str, body: Any, headers: Mapping[str, str] | None = None
    ) -> None:
        model = (body.get("model") or body.get("name")) if isinstance(body, dict) else None
        entry = {"method": method, "path": path, "model": model, "time": time.monotonic()}
        with self._lock:
            names = {k.lower(): v for k, v in (headers or {}).items()}
            self.requests.append({**entry, "body": body, "headers": names})

    def track(self, conn: socket.socket, *, opened: bool) -> None:
        with self._lock:
            (self._connections.add if opened else self._connections.discard)(conn)

    def occupy(self, delta: int) -> None:
        with self._lock:
            self._active += delta
            self.max_active = max(self.max_active, self._active)

    def acquire_slot(self, until: float | None, gone: Callable[[], bool]) -> bool:
        """Wait for a free slot until `until` (monotonic); False on stop, deadline or hang-up."""
        if self._slots is None:
            return True
        while not self.stopping.is_set() and (until is None or time.monotonic() < until):
            if self._slots.acquire(timeout=_POLL):
                return True
            if gone():
                return False
        return False

    def release_slot(self) -> None:
        if self._slots is not None:
            self._slots.release()


def running(**options: Any) -> Iterator[FakeOllama]:
    """For a pytest fixture: ``yield from running(latency=0.1)`` serves for the test's span."""
    with FakeOllama(**options) as server:
        yield server


def _model_entry(name: str, family: str | None = None, digest: str | None = None) -> dict[str, Any]:
    base, _, tag = name.partition(":")
    family = family or base
    return {
        "name": name,
        "model": name,
        "modified_at": "2026-04-14T09:00:00.000000000Z",
        "size": 815_319_791,
        "digest": digest or hashlib.sha256(name.encode()).hexdigest(),
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": tag.upper() if tag else "1B",
            "quantization_level": "Q4_K_M",
        },
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeOllama

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (timeout, drop) is normal here; anything else is a bug."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Ollama's routes, with the faults of `FakeOllama` applied in the order a proxy would."""

    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as Ollama's Go server
    timeout = 60  # an idle keep-alive connection is closed after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake.track(self.connection, opened=True)

    def finish(self) -> None:
        self.server.fake.track(self.connection, opened=False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is `FakeOllama.requests`."""

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        arrived = time.monotonic()
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        fake.log(method, path, body, self.headers)
        model = body.get("model") if isinstance(body, dict) else None
        faults = fake.faults_for(model if path == "/api/chat" else None)
        if answer_proxy_fault(self, faults):
            return
        if (method, path) == ("GET", "/"):
            self.send_bytes(200, b"Ollama is running", "text/plain; charset=utf-8")
        elif (method, path) == ("GET", "/api/version"):
            self.send_json(200, {"version": fake.version})
        elif (method, path) == ("GET", "/api/tags"):
            entries = [
                _model_entry(name, fake.families.get(name), fake.digests.get(name))
                for name in fake.models
            ]
            self.send_json(200, {"models": entries})
        elif (method, path) == ("POST", "/api/chat"):
            self._chat(body, faults, arrived)
        elif (method, path) == ("POST", "/api/show"):  # litellm asks after a streamed call
            self._show(body if isinstance(body, dict) else {})
        else:
            self.send_bytes(404, b"404 page not found", "text/plain")

    def _show(self, body: dict[str, Any]) -> None:
        name = str(body.get("model") or body.get("name") or "")
        if not self.server.fake.has_model(name):
            self.send_json(404, {"error": f"model '{name}' not found"})
            return
        entry = _model_entry(name, self.server.fake.families.get(name))
        family = entry["details"]["family"]
        info = {"general.architecture": family, f"{family}.context_length": 32768}
        self.send_json(200, {**entry, "model_info": info, "capabilities": ["completion"]})

    def _chat(self, body: Any, faults: Faults, arrived: float) -> None:
        fake = self.server.fake
        if not isinstance(body, dict) or not body.get("model"):
            self.send_json(400, {"error": "model is required"})
            return
        if not fake.has_model(body["model"]):
            self.send_json(404, {"error": f"model '{body['model']}' not found"})
            return
        fault = faults.next_chat_fault()
        deadline = (
            None if faults.first_byte_deadline is None else arrived + faults.first_byte_deadline
        )
        if fault.stall and not self.hold(fault.stall, deadline):
            cut_at_deadline(self, deadline)
        elif fault.drop == "no_response":
            self.close_connection = True
        elif fault.status is not None:
            request = echo_of(self.command, self.path, self.headers)
            self.send_bytes(fault.status, *status_response(faults, fault.status, request))
        elif not fake.acquire_slot(deadline, self.client_gone):
            cut_at_deadline(self, deadline)
        else:
            fake.occupy(+1)
            try:
                self._reply(body, arrived, deadline, fault)
            finally:
                fake.occupy(-1)
                fake.release_slot()

    def _reply(
        self, body: dict[str, Any], arrived: float, deadline: float | None, fault: ChatFault
    ) -> None:
        fake = self.server.fake
        messages = body.get("messages") or []
        try:
            content = fake.responder(body) if messages else ""
        except Exception as error:  # a responder may fail on purpose: Ollama says 500
            self.send_json(500, {"error": f"{type(error).__name__}: {error}"})
            return
        latency = fake.latency_for(body["model"]) if messages else 0.0
        content, reason = _limited(body, content)
        if body.get("stream", True) and messages:
            self._stream(body, content, arrived, latency, fault, reason)
        elif self.hold(latency, deadline):
            final = _final_chunk(body, content, arrived, reason if messages else "load")
            self.send_json(200, final, drop=fault.drop)
        else:
            cut_at_deadline(self, deadline)

    def _stream(
        self,
        body: dict[str, Any],
        content: str,
        arrived: float,
        latency: float,
        fault: ChatFault,
        reason: str,
    ) -> None:
        """Headers and the first piece at once, the rest after `latency` (and after the
        `trickle`, if any): a started response."""
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        first, *rest = re.split(r"(?<=\s)(?=\S)", content)
        self._write_chunk(_chunk(body["model"], first))
        if fault.drop == "mid_body" or not self.hold(latency, None):
            self.close_connection = True
            return
        if fault.trickle is not None and not self._trickle(body["model"], *fault.trickle):
            self.close_connection = True
            return
        for piece in rest:
            self._write_chunk(_chunk(body["model"], piece))
        self._write_chunk(_final_chunk(body, content, arrived, reason, streamed=True))
        self.wfile.write(b"0\r\n\r\n")

    def _trickle(self, model: str, every: float, lasting: float) -> bool:
        """Send a one-character piece every `every` seconds for `lasting` seconds; False if
        the server stops or the client hangs up meanwhile."""
        end = time.monotonic() + lasting
        while time.monotonic() < end:
            if not self.hold(min(every, end - time.monotonic()), None):
                return False
            try:
                self._write_chunk(_chunk(model, "."))
            except OSError:
                return False
        return True

    def _write_chunk(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def send_json(self, status: int, payload: object, drop: str | None = None) -> None:
        self.send_bytes(status, json.dumps(payload).encode(), _JSON, drop=drop)

    def send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        drop: str | None = None,
    ) -> None:
        """Send a whole response, or with `drop` "mid_body" its headers and half its body."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if drop == "mid_body":
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(body)

    def hold(self, seconds: float, deadline: float | None) -> bool:
        """Wait `seconds`; False if the server stops, the client hangs up or `deadline` comes."""
        end = time.monotonic() + seconds
        limit = end if deadline is None else min(end, deadline)
        while (left := limit - time.monotonic()) > 0:
            if self.server.fake.stopping.wait(min(left, _POLL)) or self.client_gone():
                return False
        return limit >= end

    def client_gone(self) -> bool:
        """Whether the client closed its end (Ollama cancels a request whose client left)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


def _limited(body: dict[str, Any], content: str) -> tuple[str, str]:
    """The reply and its done_reason: cut after ``options.num_predict`` tokens (words here)
    with "length" when it is longer, as Ollama stops generating at the limit; else whole,
    with "stop"."""
    limit = (body.get("options") or {}).get("num_predict")
    words = list(re.finditer(r"\S+", content))
    if not isinstance(limit, int) or limit < 0 or len(words) <= limit:
        return content, "stop"
    return content[: words[limit - 1].end() if limit else 0], "length"


def _chunk(model: str, piece: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": piece}
    return {"model": model, "created_at": _now(), "message": message, "done": False}


def _final_chunk(
    body: dict[str, Any], content: str, arrived: float, reason: str, streamed: bool = False
) -> dict[str, Any]:
    """The last object: ``done`` true, the reason, token counts and durations in ns."""
    final = _chunk(body["model"], "" if streamed else content)
    if reason == "load":
        return {**final, "done": True, "done_reason": "load"}
    prompt_tokens = sum(_tokens(m.get("content")) for m in body.get("messages") or [])
    total = int((time.monotonic() - arrived) * 1e9)
    load, prompt_eval = 1_000_000, 50_000 * prompt_tokens
    return {
        **final,
        "done": True,
        "done_reason": reason,
        "total_duration": max(total, load + prompt_eval),
        "load_duration": load,
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": prompt_eval,
        "eval_count": _tokens(content),
        "eval_duration": max(total - load - prompt_eval, 0),
    }
