"""The only place evalkit calls litellm, and the one retry policy around it.

An `Endpoint` is one server. Every model and role (candidate or judge) that uses it shares
its limit on requests in flight, its HTTP connection pool and its circuit breaker
(evalkit.endpoints.breaker: requests that found the server gone, in a row, stop the
sending until a probe request finds it back).

A request, its retries, their back-off and the whole of a streamed reply included, never
outlives the endpoint's `deadline`: an attempt still running then is cancelled (its
connection closed) and the request fails as a timeout that names the deadline.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from evalkit.config import EndpointConfig, Loaded, ModelConfig, model_config, resolve_endpoint
from evalkit.endpoints.breaker import Breaker
from evalkit.endpoints.litellm_tuning import quieten, register_model_info
from evalkit.endpoints.openai_compat import (
    NO_KEY,
    SchemaStyle,
    as_json_object,
    auth_hint,
    openai_params,
    refuses_json_schema,
    response_format,
)
from evalkit.endpoints.replicas import Replicas
from evalkit.endpoints.retry import (
    is_connection_failure,
    is_timeout,
    policy,
    status_of,
    within_deadline,
)
from evalkit.redact import Secrets, redact_url, server_auth
from evalkit.types import Answer, ErrorInfo, ModelInfo

PROVIDER_PREFIX = {"ollama": "ollama_chat", "embedded": "embedded", "openai": "openai"}


class CallFailed(Exception):
    """A model call that failed for good; `info` is what goes into the record."""

    def __init__(self, info: ErrorInfo, *, unavailable: bool) -> None:
        super().__init__(info.message)
        self.info = info
        self.unavailable = unavailable
        """True when the endpoint is down or unreachable, rather than the request failing."""


def import_litellm() -> Any:
    """Import litellm once, quietly and offline (it fetches a cost map otherwise), with
    the per-call work a run does not need switched off (see evalkit.endpoints.litellm_tuning).

    The import allocates about a million objects. The cyclic collector is paused while it
    runs (its passes over them cost about 0.6 s of the import), and they are then frozen
    out of its reach: they live as long as the process, and without the freeze every later
    full collection rescans them all, and so does interpreter exit (1.5 s, measured)."""
    if "litellm" not in sys.modules:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        enabled = gc.isenabled()
        gc.disable()
        try:
            import litellm
        finally:
            gc.freeze()
            if enabled:
                gc.enable()
    import litellm

    quieten(litellm)
    return litellm


def litellm_model(endpoint: EndpointConfig, model: ModelConfig, name: str) -> str:
    """The model string litellm is called with, e.g. ollama_chat/gemma3:1b."""
    return f"{PROVIDER_PREFIX[endpoint.kind]}/{model.model or name}"


class Endpoint:
    """One server: its settings, its slots, its connections and its breaker."""

    def __init__(self, name: str, config: EndpointConfig, secrets: Secrets | None = None) -> None:
        self.name = name
        self.config = config
        self.secrets = secrets if secrets is not None else Secrets()
        """The run's secrets, this endpoint's among them: its errors are scrubbed with them."""
        self.secrets.add(config.api_key)
        for url in self.servers:
            self.secrets.add_url(url)
        servers = len(config.replicas) or 1
        self.capacity = config.concurrency * servers
        """Requests in flight at most: `concurrency` per server, all models and roles."""
        self.slots = asyncio.Semaphore(self.capacity)
        self._replicas = Replicas(config.replicas) if servers > 1 else None
        self.down: ErrorInfo | None = None
        """Set when a probe found the endpoint down: for the whole run."""
        self.missing_models: dict[str, ErrorInfo] = {}
        """Models a probe found the server does not have, by config name."""
        self.breaker = Breaker(config.breaker_threshold, config.breaker_cooldown)
        """Stops the sending while the server is gone mid-run; see evalkit.endpoints.breaker."""
        self.schema_style: SchemaStyle = "json_schema"
        """The response_format shape a JSON schema is sent in: json_object once an
        OpenAI-compatible server refused json_schema (see evalkit.endpoints.openai_compat)."""
        self._http: Any = None

    @property
    def display_url(self) -> str:
        """The URL as it may be shown: credentials removed."""
        shown = redact_url(self.config.url) or f"({self.config.kind})"
        more = len(self.config.replicas) - 1
        return f"{shown} (+{more} replica{'s' if more > 1 else ''})" if more > 0 else shown

    @property
    def servers(self) -> list[str]:
        """The URL of each server: the replicas, or the one url (none when embedded)."""
        return self.config.replicas or ([self.config.url] if self.config.url else [])

    def mark_down(self, info: ErrorInfo) -> None:
        """Take the endpoint as down: later calls fail at once with this reason."""
        self.down = info

    def leave_out(self, url: str) -> None:
        """Send no request to this replica for the rest of the run (a probe found it down
        or without a model the run needs, while another replica serves)."""
        if self._replicas is not None:
            self._replicas.leave_out(url)

    async def complete(
        self,
        name: str,
        model: ModelConfig,
        messages: list[dict[str, str]],
        *,
        schema: dict | None = None,
        role: str = "candidate",
        overrides: dict[str, Any] | None = None,
    ) -> Answer:
        """One chat completion with retries; raises CallFailed when it cannot be had."""
        self._fail_if_down(name, role)
        litellm = import_litellm()
        if self.config.kind == "embedded":
            from evalkit.endpoints.embedded import register

            register(litellm)
        kwargs = self._request(name, model, messages, schema, overrides or {})
        register_model_info(litellm, kwargs["model"])
        return await self._retrying(litellm, kwargs, name, role)

    async def _retrying(self, litellm: Any, kwargs: dict[str, Any], name: str, role: str) -> Answer:
        """Attempts under the retry policy, each let through by the breaker, all within the
        deadline; the outcome is counted by the breaker. The deadline runs from the first
        attempt's slot: waiting behind the endpoint's own limit is not the server's time."""
        request = object()  # this request, as the breaker tells requests apart
        attempts = 0
        last: Exception | None = None  # the latest attempt's failure
        until = time.monotonic() + self.config.deadline
        retrying = policy(self.config.retries, self.config.deadline, self.config.backoff)
        try:
            async for attempt in retrying:
                with attempt:
                    self._fail_if_down(name, role)
                    if last is not None and time.monotonic() >= until:
                        raise last  # the back-off ran into the deadline: the last failure stands
                    async with self._slot(request, until, role):
                        if attempts == 0:
                            until = time.monotonic() + self.config.deadline
                        attempts += 1
                        try:
                            answer = await self._attempt(litellm, kwargs, until)
                        except Exception as exc:
                            last = exc
                            raise
            self.breaker.settle(request, None)
        except CallFailed:
            raise
        except Exception as exc:  # every failure becomes a recorded reason, never a crash
            failed = self._failed(exc, role, attempts)
            self.breaker.settle(request, failed.info if failed.unavailable else None)
            raise failed from exc
        finally:
            self.breaker.release(request)
        return answer.model_copy(update={"attempts": attempts})

    def _request(
        self,
        name: str,
        model: ModelConfig,
        messages: list[dict[str, str]],
        schema: dict | None,
        overrides: dict[str, Any],
    ) -> dict[str, Any]:
        params = {**model.params(), **overrides}
        if self.config.kind == "openai":
            params = openai_params(params)
        kwargs: dict[str, Any] = {
            "model": litellm_model(self.config, model, name),
            "messages": messages,
            "num_retries": 0,
            "stream": self.config.stream,
            **params,
        }
        if self.config.stream:
            kwargs["stream_options"] = {"include_usage": True}  # else no token counts
        if self.config.url and self._replicas is None:
            kwargs.update(_route(self.config.url))
        if self.config.api_key:
            kwargs["api_key"] = self.config.api_key
        elif self.config.kind == "openai":
            kwargs["api_key"] = NO_KEY  # never OPENAI_API_KEY from the environment
        if self.config.kind == "ollama":
            kwargs["client"] = self._client()
        if schema is not None:
            kwargs["response_format"] = response_format(schema, self.schema_style)
        return kwargs

    def _client(self) -> Any:
        """One pooled HTTP client per endpoint, with the tap that reads Ollama's durations."""
        if self._http is None:
            from evalkit.endpoints.ollama_usage import tapped_handler

            self._http = tapped_handler()
        return self._http

    @contextmanager
    def _server(self) -> Iterator[dict[str, str]]:
        """Where one attempt goes: the endpoint's URL (already in the request), or the
        least busy of its replicas."""
        if self._replicas is None:
            yield {}
            return
        with self._replicas.pick() as url:
            yield _route(url)

    @asynccontextmanager
    async def _slot(self, request: object, until: float, role: str) -> AsyncIterator[None]:
        """The breaker's leave, then a slot; a request that waited for its slot while the
        breaker opened goes back to the breaker instead of to the server."""
        while True:
            blocked = await self.breaker.admit(request, until)
            if blocked is not None:
                raise CallFailed(blocked.model_copy(update={"role": role}), unavailable=True)
            await self.slots.acquire()
            if self.breaker.admits(request):
                break
            self.slots.release()
        try:
            yield
        finally:
            self.slots.release()

    async def _attempt(self, litellm: Any, kwargs: dict[str, Any], until: float) -> Answer:
        """One attempt, in a slot: the call and the whole reply, streamed or not, before the
        monotonic time `until` (the request's deadline)."""
        from evalkit.endpoints.ollama_usage import collect_usage

        began = time.monotonic()
        timeout = max(0.01, min(self.config.timeout, until - began))
        with collect_usage() as usage, self._server() as server:
            async with within_deadline(until, self.config.deadline) as progress:
                response = await self._call(litellm, kwargs, server, timeout)
                if kwargs["stream"]:
                    progress.streaming = True
                    response = await _gather_stream(litellm, response, kwargs["messages"])
        latency = (time.monotonic() - began) * 1000
        choice = response.choices[0]
        tokens = getattr(response, "usage", None)
        return Answer(
            text=choice.message.content or "",
            latency_ms=round(latency, 1),
            prompt_tokens=getattr(tokens, "prompt_tokens", None),
            completion_tokens=getattr(tokens, "completion_tokens", None),
            finish_reason=choice.finish_reason,
            **usage.durations_ms(),
        )

    async def _call(
        self, litellm: Any, kwargs: dict[str, Any], server: dict[str, Any], timeout: float
    ) -> Any:
        """The request to litellm. A server that refuses the json_schema response format
        for json_object is asked again at once in that shape, as is every later request
        to this endpoint (evalkit.endpoints.openai_compat)."""
        try:
            call = litellm.acompletion(timeout=timeout, **kwargs, **server)
            return await asyncio.wait_for(call, timeout=timeout + 5)
        except Exception as exc:
            if self.config.kind != "openai" or not refuses_json_schema(kwargs, exc):
                raise
        self.schema_style = "json_object"
        kwargs["response_format"] = as_json_object(kwargs)
        call = litellm.acompletion(timeout=timeout, **kwargs, **server)
        return await asyncio.wait_for(call, timeout=timeout + 5)

    def _fail_if_down(self, name: str, role: str) -> None:
        known_down = self.down or self.missing_models.get(name)
        if known_down is not None:
            raise CallFailed(known_down.model_copy(update={"role": role}), unavailable=True)

    def _failed(self, exc: BaseException, role: str, attempts: int) -> CallFailed:
        status = status_of(exc)
        info = ErrorInfo(
            kind="Timeout" if is_timeout(exc) else type(exc).__name__,
            message=self.secrets.scrub(
                f"{_reason(exc, status)} from {self.display_url}"
                + auth_hint(status, self.name, bool(self.config.api_key))
            ),
            status_code=status,
            role=role,  # type: ignore[arg-type]
            attempts=attempts,
        )
        return CallFailed(info, unavailable=is_connection_failure(exc) or status == 404)


def _route(url: str) -> dict[str, Any]:
    """litellm's arguments for one server: its URL without credentials, and the credentials
    in a Basic Authorization header. A URL with user-info never reaches litellm: its
    aiohttp transport refuses one ("Cannot combine AUTHORIZATION header with ... credentials
    encoded in URL"), and litellm's errors and debug lines would quote it."""
    bare, headers = server_auth(url)
    return {"api_base": bare, "extra_headers": headers} if headers else {"api_base": bare}


def _reason(exc: BaseException, status: int | None) -> str:
    """A one-line reason: the status and the first line of the message, HTML stripped."""
    text = str(exc).strip()
    if "<html" in text.lower() or "<!doctype" in text.lower():
        text = "HTML error page (proxy or stopped pod)"
    text = text.splitlines()[0][:300] if text else type(exc).__name__
    if is_timeout(exc):
        return f"timed out ({text})"
    return f"HTTP {status}: {text}" if status else text


async def _gather_stream(litellm: Any, stream: Any, messages: list[dict[str, str]]) -> Any:
    """Read a streamed reply to the end and rebuild one response from its chunks; the
    stream is closed however the reading ends (a deadline cancels it midway)."""
    try:
        chunks = [chunk async for chunk in stream]
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
    return litellm.stream_chunk_builder(chunks, messages=messages)


class Pool:
    """The endpoints of one run, each created once on first use and shared by every model
    and role that lives on it, and the run's secrets: theirs."""

    def __init__(self, loaded: Loaded, secrets: Secrets | None = None) -> None:
        self.loaded = loaded
        self.endpoints: dict[str, Endpoint] = {}
        self.secrets = secrets if secrets is not None else Secrets()
        """The secrets of every endpoint used so far; hold `secrets.scrubbing_logs()` while
        the run makes requests."""

    def endpoint(self, name: str) -> Endpoint:
        """The endpoint by config name, with ${VAR} resolved."""
        if name not in self.endpoints:
            config = resolve_endpoint(self.loaded, name)
            self.endpoints[name] = Endpoint(name, config, self.secrets)
        return self.endpoints[name]

    def model(self, name: str, where: str) -> tuple[Endpoint, ModelConfig]:
        """A model by config name and the endpoint that serves it."""
        model = model_config(self.loaded, name, where)
        return self.endpoint(model.endpoint), model

    def model_info(self, name: str) -> ModelInfo:
        """A model's resolved settings for the manifest (URL redacted, no keys)."""
        endpoint, model = self.model(name, "model")
        return ModelInfo(
            name=name,
            endpoint=endpoint.name,
            kind=endpoint.config.kind,
            url=redact_url(endpoint.config.url),
            litellm_model=litellm_model(endpoint.config, model, name),
            params=model.params(),
            notes="; ".join(n for n in (model.notes, endpoint.config.notes) if n) or None,
        )
