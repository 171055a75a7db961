"""The one retry policy: which failures are transient, and how long to wait before the next
attempt; and the deadline that bounds a whole request.

Retried: timeouts, dropped or refused connections, 429, 500/502/503/504 and Cloudflare's
520/522/524. Never retried: any other 4xx (a bad request stays bad, a missing model stays
missing). Waits grow exponentially with jitter, and a server's Retry-After wins when it
sends one. The caller bounds the whole by attempts and by a deadline, which also cuts an
attempt still running (`within_deadline`), a reply that streams forever included.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from time import monotonic, time

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)

TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504, 520, 522, 524})
MAX_WAIT = 30.0
"""Seconds: no single back-off waits longer, whatever Retry-After says."""


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an exception carries, if any (litellm and httpx both set one)."""
    for attr in ("status_code", "http_status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    value = getattr(response, "status_code", None)
    return value if isinstance(value, int) else None


def is_connection_failure(exc: BaseException) -> bool:
    """True for a refused, reset or dropped connection, as opposed to an HTTP answer."""
    if isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.TimeoutException):
        return True
    # litellm reports refused and dropped connections as APIConnectionError with status
    # 500, and a stream cut mid-body as MidStreamFallbackError (also 500): the class, not
    # the status, tells them from a server's real 500.
    names = {"APIConnectionError", "MidStreamFallbackError", "ConnectError", "ReadError"}
    return type(exc).__name__ in names and status_of(exc) in (None, 500, 503)


def is_timeout(exc: BaseException) -> bool:
    """True for a request that ran out of time (litellm's Timeout carries 408, or 504)."""
    return isinstance(exc, (TimeoutError, asyncio.TimeoutError, httpx.TimeoutException)) or (
        type(exc).__name__ == "Timeout"
    )


def is_transient(exc: BaseException) -> bool:
    """Whether another attempt may succeed."""
    if is_timeout(exc) or is_connection_failure(exc):
        return True
    return status_of(exc) in TRANSIENT_STATUS


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (Retry-After as seconds or an HTTP date)."""
    # litellm keeps the server's headers in litellm_response_headers, not response.headers
    headers = (
        getattr(exc, "litellm_response_headers", None)
        or getattr(exc, "headers", None)
        or getattr(getattr(exc, "response", None), "headers", None)
    )
    if not headers:
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time())
        except (TypeError, ValueError):
            return None


def backoff(attempt: int, exc: BaseException | None, base: float = 0.5) -> float:
    """Seconds to wait before attempt number `attempt + 1` (attempt counts from 1)."""
    asked = retry_after(exc) if exc is not None else None
    if asked is not None:
        return min(asked, MAX_WAIT)
    ceiling = min(MAX_WAIT, base * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)  # "equal jitter": never zero, never synchronised


def policy(retries: int, deadline: float, base: float = 0.5) -> AsyncRetrying:
    """The tenacity policy for one request: transient failures only, at most `retries`
    further attempts, back-off from `base` seconds, and never past `deadline` seconds in
    all (a wait is cut short rather than sleep past it)."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        left = deadline - (state.seconds_since_start or 0.0)
        return max(0.0, min(backoff(state.attempt_number, exc, base), left))

    return AsyncRetrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(retries + 1) | stop_after_delay(deadline),
        wait=wait,
        reraise=True,
    )


class DeadlinePassed(TimeoutError):
    """The request's deadline came while an attempt was still running."""


@dataclass
class Progress:
    """How far an attempt got, for the message when its deadline cuts it."""

    streaming: bool = False
    """Whether the reply had started to stream."""


@asynccontextmanager
async def within_deadline(until: float, deadline: float) -> AsyncIterator[Progress]:
    """Run the block until the monotonic time `until`, then cancel what it awaits and raise
    `DeadlinePassed`, naming the `deadline` (seconds) that passed. Read timeouts cannot do
    this: a reply that sends a piece every few seconds never lets one expire."""
    progress = Progress()
    scope = asyncio.timeout_at(asyncio.get_running_loop().time() + (until - monotonic()))
    try:
        async with scope:
            yield progress
    except TimeoutError as exc:
        if not scope.expired():
            raise
        where = "while the reply was still streaming" if progress.streaming else "before a reply"
        raise DeadlinePassed(f"the endpoint's deadline of {deadline:g} s passed {where}") from exc
