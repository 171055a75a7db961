"""Ollama's load and eval durations, which litellm reads but drops.

Ollama ends every reply (the JSON body, or the last NDJSON line of a stream) with
`load_duration`, `prompt_eval_duration` and `eval_duration` in nanoseconds. evalkit hands
litellm an HTTP client whose response hook wraps the body stream in a tap: the bytes pass
through untouched, and the tap keeps the last few KiB and reads the durations from them.
The numbers reach the caller through a context variable set around the call.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

_FIELDS = ("load_duration", "prompt_eval_duration", "eval_duration")
_PATTERN = re.compile(rb'"(load_duration|prompt_eval_duration|eval_duration)"\s*:\s*(\d+)')
_TAIL_BYTES = 4096


class UsageSink:
    """Durations seen in the reply of the current call, in nanoseconds."""

    def __init__(self) -> None:
        self.ns: dict[str, int] = {}

    def durations_ms(self) -> dict[str, float]:
        """As Answer fields: load_ms, prompt_eval_ms, eval_ms (only those reported)."""
        names = {"load_duration": "load_ms", "prompt_eval_duration": "prompt_eval_ms"}
        names["eval_duration"] = "eval_ms"
        return {names[k]: round(v / 1e6, 3) for k, v in self.ns.items()}


_current: contextvars.ContextVar[UsageSink | None] = contextvars.ContextVar(
    "evalkit_usage", default=None
)


@contextmanager
def collect_usage() -> Iterator[UsageSink]:
    """Collect the durations of the HTTP replies read inside this block."""
    sink = UsageSink()
    token = _current.set(sink)
    try:
        yield sink
    finally:
        _current.reset(token)


def report_durations(prompt_eval_ms: float, eval_ms: float) -> None:
    """Durations measured in-process (the embedded models), given to the current call's
    sink as Ollama's would be."""
    sink = _current.get()
    if sink is not None:
        sink.ns["prompt_eval_duration"] = round(prompt_eval_ms * 1e6)
        sink.ns["eval_duration"] = round(eval_ms * 1e6)


class _Tap(httpx.AsyncByteStream):
    def __init__(self, inner: Any, sink: UsageSink) -> None:
        self._inner = inner
        self._sink = sink

    async def __aiter__(self) -> AsyncIterator[bytes]:
        tail = b""
        async for chunk in self._inner:
            tail = (tail + chunk)[-_TAIL_BYTES:]
            yield chunk
        for name, value in _PATTERN.findall(tail):
            self._sink.ns[name.decode()] = int(value)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _tap_response(response: httpx.Response) -> None:
    sink = _current.get()
    if sink is not None:
        response.stream = _Tap(response.stream, sink)


def tapped_handler() -> Any:
    """A litellm AsyncHTTPHandler, with litellm's own pooled transport (aiohttp), that taps
    every reply; one per endpoint, so its keep-alive connections are reused.

    litellm's transport, not a plain httpx client: httpx's pool rescans every connection
    on each request and each close (a getpeername per connection), which cost about 3 ms
    of CPU per call against 8 connections (measured with tests/perf). No pool limit is
    needed: the endpoint's slots already bound the requests in flight."""
    from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler

    return AsyncHTTPHandler(event_hooks={"response": [_tap_response]})
