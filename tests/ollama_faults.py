"""Faults that `FakeOllama` can inject, and the pages a Cloudflare proxy answers with.

A `Faults` value is plain mutable data, read afresh on every request, so a test can flip a
field while the server runs (``server.faults.down_404_html = False``: the pod came back).
Two kinds of fault:

- states of the world, applied to every path and every request: ``down_404_html`` (a
  stopped RunPod pod behind Cloudflare), ``proxy_html_status`` (Cloudflare 502/524 page),
  ``first_byte_deadline`` (Cloudflare's 100 s cut of a response that has not started);
- per-request faults of ``POST /api/chat``: ``status_for_chat``, ``stall``, ``drop``,
  ``trickle``.
  With ``fail_rate`` a seeded ``random.Random(seed)`` picks which requests get them; with
  ``fault_sequence`` the n-th chat request gets the n-th entry, then no fault.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

FaultStep = int | Literal["drop", "no_response", "stall"] | None
"""One entry of `Faults.fault_sequence`: an HTTP status, a connection fault, or None (OK)."""

CLOUDFLARE_STATUSES = frozenset({502, 520, 521, 522, 523, 524})
"""Statuses that a Cloudflare proxy answers itself, with an HTML page."""

OLLAMA_BUSY = "server busy, please try again.  maximum pending requests exceeded"
"""Ollama's own message for a full queue (`ErrMaxQueue`), answered with 503."""

_CLOUDFLARE_TITLES = {
    502: "Bad gateway",
    520: "Web server is returning an unknown error",
    521: "Web server is down",
    522: "Connection timed out",
    523: "Origin is unreachable",
    524: "A timeout occurred",
}


def cloudflare_404_html() -> str:
    """The body of a 404 from a stopped RunPod pod: Cloudflare's nginx-style page."""
    return (
        "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
        "<center><h1>404 Not Found</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


def cloudflare_error_html(status: int) -> str:
    """A Cloudflare error page for `status` (e.g. 524: the origin took longer than 100 s)."""
    title = _CLOUDFLARE_TITLES.get(status, "Error")
    return (
        '<!DOCTYPE html>\n<html lang="en-US">\n<head>'
        f"<title>proxy.runpod.net | {status}: {title}</title></head>\n<body>"
        f'<div id="cf-error-details"><h1>{title}</h1><span>Error code {status}</span>'
        "<p>Visit cloudflare.com for more information.</p>"
        f"<span>Cloudflare Ray ID: 8f0c0ffee0000{status}</span></div>\n</body>\n</html>\n"
    )


@dataclass
class Faults:
    """What is wrong with the server right now. All fields default to "nothing"."""

    down_404_html: bool = False
    """Every path answers 404 with Cloudflare's HTML page (text/html), as a stopped pod does."""
    proxy_html_status: int | None = None
    """Every path answers this status (e.g. 502, 524) with a Cloudflare HTML error page."""
    first_byte_deadline: float | None = None
    """Seconds after arrival by which a response must have started, else 524 HTML is sent.
    A streaming chat starts as soon as it has a slot, so it survives a long `latency`."""
    status_for_chat: int | None = None
    """Chat requests answer this status instead of a reply."""
    status_body: str | dict[str, object] | None = None
    """Body for `status_for_chat`; default: Cloudflare HTML for 52x/502, else Ollama's
    JSON ``{"error": ...}``."""
    echo_request: bool = False
    """A status fault's body echoes the request it answers (see `echo_of`): method, path,
    the credentials decoded and every header, as a debugging proxy's error page does, so a
    client that quotes the body in its error shows the credentials it sent."""
    retry_after: int | None = None
    """When set, a status fault carries a ``Retry-After`` header with this many seconds."""
    stall: float | None = None
    """Hold a chat request this many seconds before anything else (past a client timeout)."""
    drop: bool | Literal["mid_body", "no_response"] = False
    """Close the connection: True or "mid_body" after the headers and part of the body,
    "no_response" before sending anything."""
    trickle: float | None = None
    """Stream the reply one small piece every this many seconds, for `trickle_for` seconds,
    then the rest: a reply that never pauses long enough for a read timeout. Streaming chat
    requests only (``"stream": false`` is answered normally)."""
    trickle_for: float = 3600.0
    """How long a `trickle` lasts before the reply ends normally."""
    fail_rate: float | None = None
    """Fraction of chat requests that get the per-request faults; None means all of them."""
    seed: int = 0
    """Seed of the `random.Random` that applies `fail_rate`."""
    fault_sequence: list[FaultStep] | None = None
    """Per chat request, in order: a status, "drop", "no_response", "stall" (for `stall`
    seconds, default 3600) or None. Once it is used up, requests succeed. Overrides the
    per-request faults above."""

    _rng: random.Random = field(init=False, repr=False)
    _position: int = field(default=0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        if self.drop is True:
            self.drop = "mid_body"

    def next_chat_fault(self) -> ChatFault:
        """Decide, for one chat request, which per-request faults it gets (thread-safe)."""
        with self._lock:
            if self.fault_sequence is not None:
                return self._from_sequence()
            if self.fail_rate is not None and self._rng.random() >= self.fail_rate:
                return ChatFault()
        drop: Literal["mid_body", "no_response"] | None = (
            None if self.drop is False else "mid_body" if self.drop is True else self.drop
        )
        status = self.status_for_chat
        if status is None and self.fail_rate is not None and not (self.stall or drop):
            status = 503  # a bare fail_rate means Ollama's full-queue answer
        trickle = None if self.trickle is None else (self.trickle, self.trickle_for)
        return ChatFault(status=status, stall=self.stall, drop=drop, trickle=trickle)

    def _from_sequence(self) -> ChatFault:
        sequence = self.fault_sequence or []
        step = sequence[self._position] if self._position < len(sequence) else None
        self._position += 1
        if isinstance(step, int):
            return ChatFault(status=step)
        if step == "stall":
            return ChatFault(stall=self.stall or 3600.0)
        if step in ("drop", "no_response"):
            return ChatFault(drop="mid_body" if step == "drop" else "no_response")
        return ChatFault()


@dataclass(frozen=True)
class ChatFault:
    """The faults chosen for one chat request; all None means answer normally."""

    status: int | None = None
    stall: float | None = None
    drop: Literal["mid_body", "no_response"] | None = None
    trickle: tuple[float, float] | None = None
    """(seconds between pieces, seconds in all) of a trickled stream."""


def echo_of(method: str, path: str, headers: Mapping[str, str]) -> str:
    """A request as `echo_request` quotes it: the request line, the credentials of its
    ``Authorization`` header decoded (a Basic user and password, or a bearer token), then
    every header."""
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, value = auth.partition(" ")
    credentials = ""
    if scheme.lower() == "basic":
        user, _, password = base64.b64decode(value).decode(errors="replace").partition(":")
        credentials = f" (user {user}, password {password})"
    elif scheme.lower() == "bearer":
        credentials = f" (token {value})"
    return f"{method} {path}{credentials} {dict(headers)}"


def status_response(
    faults: Faults, status: int, request: str = ""
) -> tuple[bytes, str, dict[str, str]]:
    """Body, content type and extra headers of a status fault; `request` is what
    `echo_request` echoes (see `echo_of`)."""
    headers = {"Retry-After": str(faults.retry_after)} if faults.retry_after is not None else {}
    body = faults.status_body
    if faults.echo_request:
        body = {"error": f"fault injected: HTTP {status} for {request}"}
    if isinstance(body, str):
        is_html = body.lstrip().startswith("<")
        return body.encode(), "text/html" if is_html else "text/plain", headers
    if body is None and status in CLOUDFLARE_STATUSES:
        return cloudflare_error_html(status).encode(), "text/html; charset=UTF-8", headers
    if body is None:
        body = {"error": OLLAMA_BUSY if status == 503 else f"fault injected: HTTP {status}"}
    return json.dumps(body).encode(), "application/json; charset=utf-8", headers


class _Handler(Protocol):
    """What the fault functions need of `ollama_server._Handler`."""

    close_connection: bool

    def send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        drop: str | None = None,
    ) -> None: ...


def answer_proxy_fault(handler: _Handler, faults: Faults) -> bool:
    """Answer as Cloudflare in front of a stopped or failing pod; False if all is well."""
    if faults.down_404_html:
        handler.send_bytes(404, cloudflare_404_html().encode(), "text/html")
        return True
    if faults.proxy_html_status is not None:
        page = cloudflare_error_html(faults.proxy_html_status).encode()
        handler.send_bytes(faults.proxy_html_status, page, "text/html; charset=UTF-8")
        return True
    return False


def cut_at_deadline(handler: _Handler, deadline: float | None) -> None:
    """Once the first-byte deadline has passed, answer 524 as Cloudflare does; otherwise
    (the server is stopping, or the client hung up) close the connection without a word."""
    if deadline is not None and time.monotonic() >= deadline:
        handler.send_bytes(524, cloudflare_error_html(524).encode(), "text/html; charset=UTF-8")
    else:
        handler.close_connection = True
