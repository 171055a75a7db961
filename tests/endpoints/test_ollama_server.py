"""Tests of `FakeOllama`, and what litellm makes of each thing it can answer.

Measured with litellm 1.110.2 (its async path runs on aiohttp), calling
``litellm.acompletion(model="ollama_chat/gemma3:1b", api_base=url, timeout=..,
num_retries=0)``; ``test_litellm_raises`` below re-checks every row:

| server answers                             | litellm raises (class, .status_code)            |
| ------------------------------------------ | ----------------------------------------------- |
| 404 JSON ``model 'x' not found``           | NotFoundError, 404                              |
| 404 HTML (stopped RunPod pod, Cloudflare)  | NotFoundError, 404 (the HTML is the message)    |
| 400 JSON                                   | BadRequestError, 400                            |
| 429 JSON                                   | RateLimitError, 429                             |
| 500 JSON                                   | InternalServerError, 500                        |
| 502 HTML (Cloudflare)                      | BadGatewayError, 502                            |
| 503 JSON (Ollama queue full)               | ServiceUnavailableError, 503                    |
| 504                                        | Timeout, 504                                    |
| 520 / 524 HTML (Cloudflare)                | APIError itself (no subclass), 520 / 524        |
| nothing before ``timeout`` (stall)         | Timeout, 408                                    |
| connection refused                         | APIConnectionError, 500                         |
| close before any response                  | APIConnectionError, 500 ("Server disconnected") |
| close mid-body, ``stream=False``           | APIConnectionError, 500 (ContentLengthError)    |
| close mid-body, ``stream=True``            | MidStreamFallbackError, 500: a subclass of      |
|                                            | ServiceUnavailableError, NOT of                 |
|                                            | APIConnectionError; ``.original_exception`` is  |
|                                            | the APIConnectionError                          |

So a retry predicate cannot go by ``status_code`` alone (connection errors claim 500, a
stall claims 408), nor by class alone (524 is a bare APIError): check Timeout and
APIConnectionError and MidStreamFallbackError by class, then the status. Stream or not,
an error status raises the same class at the ``acompletion`` call. ``Retry-After`` is in
``exc.litellm_response_headers`` (``exc.response.headers`` does not carry it).

On the wire: ``stream`` is always sent (false unless ``stream=True``); temperature, seed
and max_tokens go in ``options`` (max_tokens as ``num_predict``); ``response_format``
``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`` becomes ``format``
= the bare ``schema`` dict (name and strict dropped), ``{"type": "json_object"}`` becomes
``format: "json"``. Usage: ``prompt_tokens``/``completion_tokens`` are Ollama's
``prompt_eval_count``/``eval_count``; when streaming they arrive only with
``stream_options={"include_usage": True}`` (a last chunk with ``choices == []``).
Ollama's ``load_duration``/``eval_duration``/``total_duration`` are dropped: not in the
response, its ``_hidden_params`` or its chunks. Only a litellm success callback sees them,
in ``kwargs["original_response"]`` (the raw JSON text), and for non-streaming calls only.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest
from ollama_faults import OLLAMA_BUSY
from ollama_replies import schema_instance
from ollama_server import FakeOllama, running
from pydantic import BaseModel, Field

CHAT = "/api/chat"
HELLO = [{"role": "user", "content": "Why is the sky blue?"}]


class Criterion(BaseModel):
    id: Literal["correct", "complete", "runs"]
    met: bool
    note: str


class Issue(BaseModel):
    severity: Literal["fatal", "wrong", "inaccurate", "missing", "vague", "minor"]
    description: str


class Verdict(BaseModel):
    reasoning: str
    criteria: list[Criterion] = Field(min_length=1)
    issues: list[Issue]
    score: Literal[1, 2, 3, 4, 5]
    label: str


HTTP = httpx.Client(timeout=5)  # one client: building one costs ~30 ms of CPU


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    HTTP.close()


@pytest.fixture
def server() -> Iterator[FakeOllama]:
    yield from running(models=["gemma3:1b", "gemma3:27b"])


def chat(server: FakeOllama, timeout: float = 5, **body: Any) -> httpx.Response:
    payload = {"model": "gemma3:1b", "messages": HELLO, "stream": False, **body}
    return HTTP.post(server.url + CHAT, json=payload, timeout=timeout)


def last_chat(server: FakeOllama) -> dict[str, Any]:
    """The body of the latest ``/api/chat`` request (litellm also posts ``/api/show``)."""
    return [r for r in server.requests if r["path"] == CHAT][-1]["body"]


def stream_lines(server: FakeOllama, **body: Any) -> list[dict[str, Any]]:
    payload = {"model": "gemma3:1b", "messages": HELLO, **body}
    with HTTP.stream("POST", server.url + CHAT, json=payload, timeout=5) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        return [json.loads(line) for line in response.iter_lines()]


# --- the API ---------------------------------------------------------------------------


def test_version_tags_and_root(server: FakeOllama) -> None:
    assert HTTP.get(server.url + "/api/version").json() == {"version": "0.6.5"}
    assert HTTP.get(server.url + "/").text == "Ollama is running"
    models = HTTP.get(server.url + "/api/tags").json()["models"]
    assert [m["name"] for m in models] == ["gemma3:1b", "gemma3:27b"]
    assert models[0]["model"] == "gemma3:1b"
    assert {"modified_at", "size", "digest", "details"} <= models[0].keys()
    assert models[1]["details"]["parameter_size"] == "27B"


def test_non_streaming_chat_is_one_object_with_usage() -> None:
    with FakeOllama(latency=0.1) as server:
        reply = chat(server)
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert body["message"] == {
        "role": "assistant",
        "content": "Answer from gemma3:1b: Why is the sky blue?",
    }
    assert (body["done"], body["done_reason"]) == (True, "stop")
    assert (body["prompt_eval_count"], body["eval_count"]) == (5, 8)
    assert body["total_duration"] >= 100_000_000  # ns, and the latency was held
    assert body["total_duration"] >= body["load_duration"] + body["eval_duration"]


def test_chat_streams_ndjson_when_stream_is_absent(server: FakeOllama) -> None:
    lines = stream_lines(server)
    assert all(not line["done"] for line in lines[:-1])
    text = "".join(line["message"]["content"] for line in lines)
    assert text == "Answer from gemma3:1b: Why is the sky blue?"
    final = lines[-1]
    assert (final["done"], final["done_reason"], final["eval_count"]) == (True, "stop", 8)
    assert final["message"] == {"role": "assistant", "content": ""}


@pytest.mark.parametrize("model", ["llama3:8b", "gemma3"])
def test_unknown_model_is_404_in_ollamas_words(server: FakeOllama, model: str) -> None:
    reply = chat(server, model=model)
    assert reply.status_code == 404
    assert reply.json() == {"error": f"model '{model}' not found"}


def test_show_describes_a_model_as_litellm_asks(server: FakeOllama) -> None:
    shown = HTTP.post(server.url + "/api/show", json={"name": "gemma3:27b"}).json()
    assert shown["model_info"]["gemma3.context_length"] == 32768
    missing = HTTP.post(server.url + "/api/show", json={"model": "x:1b"})
    assert (missing.status_code, missing.json()) == (404, {"error": "model 'x:1b' not found"})


def test_untagged_name_means_latest() -> None:
    with FakeOllama(models=["phi4:latest"]) as server:
        assert chat(server, model="phi4").status_code == 200


def test_empty_messages_load_the_model(server: FakeOllama) -> None:
    body = chat(server, messages=[]).json()
    assert (body["done_reason"], body["message"]["content"]) == ("load", "")


def test_format_json_answers_a_json_object(server: FakeOllama) -> None:
    content = chat(server, format="json").json()["message"]["content"]
    assert isinstance(json.loads(content), dict)


def test_responder_gets_the_request_body() -> None:
    seen: list[dict[str, Any]] = []

    def responder(request: dict[str, Any]) -> str:
        seen.append(request)
        return "forty two"

    with FakeOllama(responder=responder) as server:
        reply = chat(server, options={"seed": 42, "num_ctx": 8192}, keep_alive="5m")
    assert reply.json()["message"]["content"] == "forty two"
    assert seen[0]["options"] == {"seed": 42, "num_ctx": 8192}
    assert seen[0]["keep_alive"] == "5m"


def test_a_failing_responder_is_a_500(server: FakeOllama) -> None:
    def responder(request: dict[str, Any]) -> str:
        raise RuntimeError("model crashed")

    server.responder = responder
    reply = chat(server)
    assert (reply.status_code, reply.json()) == (500, {"error": "RuntimeError: model crashed"})


# --- the default structured answer -----------------------------------------------------


def test_default_answer_validates_against_the_verdict_schema(server: FakeOllama) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = Verdict.model_json_schema()
    assert "$defs" in schema  # the refs are exercised
    content = chat(server, format=schema).json()["message"]["content"]
    jsonschema.validate(json.loads(content), schema)
    assert Verdict.model_validate_json(content).score == 1


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer", "minimum": 3}, 3),
        ({"type": "integer", "exclusiveMinimum": 3}, 4),
        ({"type": "integer", "maximum": -2}, -2),
        ({"type": "number", "exclusiveMaximum": 0}, -0.5),
        ({"type": "string", "minLength": 10}, "examplexxx"),
        ({"type": "string", "maxLength": 3}, "exa"),
        ({"type": "string", "format": "date"}, "2026-04-14"),
        ({"const": "x"}, "x"),
        ({"type": ["null", "boolean"]}, True),
        ({"anyOf": [{"type": "null"}, {"type": "integer", "enum": [5, 6]}]}, 5),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [0, 0]),
        ({"type": "array", "items": {"type": "integer"}, "maxItems": 0}, []),
        ({"allOf": [{"properties": {"a": {"type": "boolean"}}}, {"required": ["a"]}]}, {"a": True}),
        ({"$defs": {"A": {"enum": ["z"]}}, "properties": {"a": {"$ref": "#/$defs/A"}}}, {"a": "z"}),
    ],
)
def test_schema_instance(schema: dict[str, Any], expected: Any) -> None:
    assert schema_instance(schema) == expected


# --- log, latency, slots ---------------------------------------------------------------


def test_request_log_counts_concurrent_requests(server: FakeOllama) -> None:
    def hit(model: str) -> None:
        chat(server, model=model)

    threads = [
        threading.Thread(target=hit, args=(m,)) for m in ["gemma3:1b"] * 6 + ["gemma3:27b"] * 4
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    HTTP.get(server.url + "/api/tags")
    assert server.count(path=CHAT) == 10
    assert server.count(path=CHAT, model="gemma3:27b") == 4
    assert server.count(method="GET") == 1
    entry = server.requests[0]
    assert entry.keys() == {"method", "path", "model", "time", "body", "headers"}


def test_parallel_slots_queue_extra_requests() -> None:
    with FakeOllama(latency=0.3, parallel=2) as server:
        started = time.monotonic()
        threads = [threading.Thread(target=chat, args=(server,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    assert server.max_active == 2
    assert 0.55 <= elapsed < 1.15  # two waves of 0.3 s; one at a time would take 1.2 s


def test_latency_per_model() -> None:
    with FakeOllama(models=["a:1b", "b"], latency={"a:1b": 0.3}) as server:
        started = time.monotonic()
        chat(server, model="b:latest")
        assert time.monotonic() - started < 0.2
        chat(server, model="a:1b")
        assert time.monotonic() - started >= 0.3


def test_a_client_that_hangs_up_frees_its_slot() -> None:
    """Ollama cancels a request whose client left; the queue behind it moves on."""
    with FakeOllama(models=["slow:1b", "fast:1b"], latency={"slow:1b": 3}, parallel=1) as srv:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            chat(srv, model="slow:1b", timeout=0.2)
        assert chat(srv, model="fast:1b").status_code == 200
        assert time.monotonic() - started < 1.5


# --- faults ----------------------------------------------------------------------------


def test_down_pod_answers_404_html_everywhere_until_it_is_back(server: FakeOllama) -> None:
    server.faults.down_404_html = True
    for reply in (HTTP.get(server.url + "/api/tags"), chat(server)):
        assert reply.status_code == 404
        assert reply.headers["content-type"].startswith("text/html")
        assert "cloudflare" in reply.text
    server.faults.down_404_html = False
    assert chat(server).status_code == 200


@pytest.mark.parametrize("status", [502, 524])
def test_proxy_error_page_on_every_path(server: FakeOllama, status: int) -> None:
    server.set_faults(proxy_html_status=status)
    reply = HTTP.get(server.url + "/api/version")
    assert reply.status_code == status
    assert f"Error code {status}" in reply.text


def test_status_fault_with_retry_after_and_body(server: FakeOllama) -> None:
    server.set_faults(status_for_chat=503, retry_after=7)
    reply = chat(server)
    assert (reply.status_code, reply.headers["retry-after"]) == (503, "7")
    assert reply.json() == {"error": OLLAMA_BUSY}
    server.set_faults(status_for_chat=500, status_body={"error": "boom"})
    assert chat(server).json() == {"error": "boom"}
    assert HTTP.get(server.url + "/api/tags").status_code == 200  # chat only


def test_fault_sequence_then_success(server: FakeOllama) -> None:
    server.set_faults(fault_sequence=[503, 524, None, 429])
    statuses = [chat(server).status_code for _ in range(6)]
    assert statuses == [503, 524, 200, 429, 200, 200]


def test_fault_sequence_holds_connection_faults(server: FakeOllama) -> None:
    server.set_faults(fault_sequence=["no_response", "stall", "drop", None], stall=0.5)
    with pytest.raises(httpx.RemoteProtocolError):
        chat(server)
    with pytest.raises(httpx.ReadTimeout):
        chat(server, timeout=0.2)
    with pytest.raises(httpx.RemoteProtocolError):
        chat(server)
    assert chat(server).status_code == 200


def test_fail_rate_is_reproducible_from_the_seed() -> None:
    def pattern() -> list[int]:
        with FakeOllama(fail_rate=0.3, seed=7) as server:
            return [chat(server).status_code for _ in range(40)]

    first = pattern()
    assert first == pattern()
    assert set(first) == {200, 503}
    assert 4 <= first.count(503) <= 20


def test_faults_per_model(server: FakeOllama) -> None:
    server.set_faults(model="gemma3:27b", down_404_html=True)
    assert chat(server, model="gemma3:27b").status_code == 404
    assert chat(server, model="gemma3:1b").status_code == 200
    server.clear_faults()
    assert chat(server, model="gemma3:27b").status_code == 200


def test_stall_outlasts_the_client_and_stop_is_prompt() -> None:
    server = FakeOllama(stall=60).start()
    with pytest.raises(httpx.ReadTimeout):
        chat(server, timeout=0.3)
    outcome: list[BaseException] = []

    def wait_long() -> None:
        try:
            chat(server, timeout=30)
        except httpx.HTTPError as error:
            outcome.append(error)

    held = threading.Thread(target=wait_long)
    held.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    held.join(timeout=5)
    assert time.monotonic() - started < 1.0
    assert isinstance(outcome[0], httpx.RemoteProtocolError)  # closed, not answered


@pytest.mark.parametrize("drop", ["mid_body", "no_response"])
def test_drop_closes_the_connection(server: FakeOllama, drop: str) -> None:
    server.set_faults(drop=drop)
    with pytest.raises(httpx.RemoteProtocolError):
        chat(server)


def test_drop_mid_stream_after_the_first_chunk(server: FakeOllama) -> None:
    server.set_faults(drop=True)
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        payload = {"model": "gemma3:1b", "messages": HELLO}
        with HTTP.stream("POST", server.url + CHAT, json=payload, timeout=5) as response:
            received.extend(response.iter_lines())
    assert len(received) <= 1


def test_trickle_sends_a_piece_every_interval_then_the_reply(server: FakeOllama) -> None:
    server.set_faults(trickle=0.1, trickle_for=0.5)
    started = time.monotonic()
    lines = stream_lines(server)
    assert 0.5 <= time.monotonic() - started < 2.0
    pieces = [line["message"]["content"] for line in lines if not line["done"]]
    assert 4 <= pieces.count(".") <= 6  # one every 0.1 s for 0.5 s
    assert lines[-1]["done"] is True and lines[-1]["eval_count"] > 0


def test_first_byte_deadline_cuts_a_slow_answer_but_not_a_stream() -> None:
    with FakeOllama(latency=1.0, first_byte_deadline=0.3) as server:
        started = time.monotonic()
        reply = chat(server)
        assert reply.status_code == 524 and "cloudflare" in reply.text.lower()
        assert 0.25 <= time.monotonic() - started < 0.9
        lines = stream_lines(server)
        assert lines[-1]["done"] is True


# --- through litellm, as evalkit calls it ---------------------------------------------


@pytest.fixture(scope="module")
def litellm() -> Any:
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    module = pytest.importorskip("litellm")
    module.suppress_debug_info = True
    return module


def complete(litellm: Any, url: str, model: str = "gemma3:1b", **kwargs: Any) -> Any:
    """One `acompletion` the way evalkit makes it; a stream is drained into its chunks."""

    async def call() -> Any:
        kwargs.setdefault("timeout", 10)
        response = await litellm.acompletion(
            model=f"ollama_chat/{model}", api_base=url, messages=HELLO, num_retries=0, **kwargs
        )
        return [chunk async for chunk in response] if kwargs.get("stream") else response

    return asyncio.run(call())


def test_litellm_takes_usage_from_ollamas_counts(litellm: Any) -> None:
    # one whitespace token but many tokenizer tokens: a recount would not give 1
    with FakeOllama(responder=lambda _: "x-y-z-w-v-u-t-s-r-q") as server:
        response = complete(litellm, server.url, temperature=0.3, seed=42, max_tokens=64)
        wire = last_chat(server)
    assert response.choices[0].message.content == "x-y-z-w-v-u-t-s-r-q"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (5, 1)
    assert response.choices[0].finish_reason == "stop"
    assert wire["stream"] is False
    assert wire["options"] == {"temperature": 0.3, "seed": 42, "num_predict": 64}
    assert "load_duration" not in json.dumps(response.model_dump(), default=str)


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_past_num_predict_is_cut_with_done_reason_length(
    litellm: Any, stream: bool
) -> None:
    with FakeOllama(responder=lambda _: "one two  three four five") as server:
        options = {"stream_options": {"include_usage": True}} if stream else {}
        response = complete(litellm, server.url, max_tokens=3, stream=stream, **options)
    if stream:
        response = litellm.stream_chunk_builder(response, messages=HELLO)
    assert response.choices[0].message.content == "one two  three"
    assert response.choices[0].finish_reason == "length"
    assert response.usage.completion_tokens == 3


def test_litellm_streaming_gives_usage_only_when_asked(litellm: Any) -> None:
    with FakeOllama(responder=lambda _: "x-y-z-w-v-u-t-s-r-q and more") as server:
        chunks = complete(litellm, server.url, stream=True)
        assert last_chat(server)["stream"] is True
        with_usage = complete(
            litellm, server.url, stream=True, stream_options={"include_usage": True}
        )
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "x-y-z-w-v-u-t-s-r-q and more"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(getattr(c, "usage", None) is None for c in chunks)
    assert with_usage[-1].choices == []
    assert (with_usage[-1].usage.prompt_tokens, with_usage[-1].usage.completion_tokens) == (5, 3)


def test_litellm_sends_the_bare_schema_as_format(litellm: Any, server: FakeOllama) -> None:
    schema = Verdict.model_json_schema()
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "Verdict", "schema": schema, "strict": True},
    }
    response = complete(litellm, server.url, response_format=response_format)
    assert last_chat(server)["format"] == schema
    Verdict.model_validate_json(response.choices[0].message.content)
    complete(litellm, server.url, response_format={"type": "json_object"})
    assert last_chat(server)["format"] == "json"


def test_evalkit_calls_never_trigger_api_show() -> None:
    """Raw litellm's success logging looks each model up with a blocking POST /api/show on
    the event loop (repeated while it fails); evalkit registers its models and switches
    that logging off, so a run sends none."""
    from evalkit.config import EndpointConfig, ModelConfig
    from evalkit.endpoints.pool import Endpoint

    async def ask(url: str) -> None:
        endpoint = Endpoint("srv", EndpointConfig(kind="ollama", url=url, retries=0))
        for model in ("unknown:1b", "known:1b"):
            await endpoint.complete(model, ModelConfig(endpoint="srv"), HELLO)
            await asyncio.sleep(0.3)  # the logging would run after the call returns

    with FakeOllama(models=["unknown:1b", "known:1b"]) as server:
        asyncio.run(ask(server.url))
        assert server.count(path="/api/chat") == 2
        assert server.count(path="/api/show") == 0


def _refused_url() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


ERROR_CASES = [
    # (id, server faults, model, stream, litellm class name, status_code)
    ("unknown-model", {}, "nope:1b", False, "NotFoundError", 404),
    ("down-404-html", {"down_404_html": True}, "gemma3:1b", False, "NotFoundError", 404),
    ("400", {"status_for_chat": 400}, "gemma3:1b", False, "BadRequestError", 400),
    ("429", {"status_for_chat": 429}, "gemma3:1b", False, "RateLimitError", 429),
    ("500", {"status_for_chat": 500}, "gemma3:1b", False, "InternalServerError", 500),
    ("502-html", {"proxy_html_status": 502}, "gemma3:1b", False, "BadGatewayError", 502),
    ("503", {"status_for_chat": 503}, "gemma3:1b", False, "ServiceUnavailableError", 503),
    ("503-stream", {"status_for_chat": 503}, "gemma3:1b", True, "ServiceUnavailableError", 503),
    ("504", {"status_for_chat": 504}, "gemma3:1b", False, "Timeout", 504),
    ("520-html", {"proxy_html_status": 520}, "gemma3:1b", False, "APIError", 520),
    ("524-html", {"proxy_html_status": 524}, "gemma3:1b", False, "APIError", 524),
    ("524-deadline", {"first_byte_deadline": 0.2}, "slow:1b", False, "APIError", 524),
    ("stall", {"stall": 30}, "gemma3:1b", False, "Timeout", 408),
    ("stall-stream", {"stall": 30}, "gemma3:1b", True, "Timeout", 408),
    ("no-response", {"drop": "no_response"}, "gemma3:1b", False, "APIConnectionError", 500),
    ("drop-mid-body", {"drop": "mid_body"}, "gemma3:1b", False, "APIConnectionError", 500),
    ("drop-mid-stream", {"drop": True}, "gemma3:1b", True, "MidStreamFallbackError", 500),
]


@pytest.mark.parametrize(
    ("faults", "model", "stream", "name", "status"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_litellm_raises(
    litellm: Any, faults: dict[str, Any], model: str, stream: bool, name: str, status: int
) -> None:
    server = FakeOllama(models=["gemma3:1b", "slow:1b"], latency={"slow:1b": 2}, **faults)
    with server, pytest.raises(getattr(litellm.exceptions, name)) as caught:
        complete(litellm, server.url, model=model, stream=stream, timeout=1)
    assert type(caught.value).__name__ == name  # exactly, not a subclass
    assert caught.value.status_code == status


def test_litellm_connection_refused(litellm: Any) -> None:
    with pytest.raises(litellm.APIConnectionError) as caught:
        complete(litellm, _refused_url(), timeout=2)
    assert caught.value.status_code == 500


def test_litellm_mid_stream_drop_is_not_a_connection_error(litellm: Any) -> None:
    with FakeOllama(drop=True) as server, pytest.raises(litellm.ServiceUnavailableError) as caught:
        complete(litellm, server.url, stream=True)
    assert not isinstance(caught.value, litellm.APIConnectionError)
    assert isinstance(caught.value.original_exception, litellm.APIConnectionError)


def test_litellm_exposes_retry_after(litellm: Any) -> None:
    server = FakeOllama(status_for_chat=503, retry_after=7)
    with server, pytest.raises(litellm.ServiceUnavailableError) as caught:
        complete(litellm, server.url)
    assert caught.value.litellm_response_headers["retry-after"] == "7"


def test_litellm_stream_survives_the_first_byte_deadline(litellm: Any) -> None:
    with FakeOllama(latency=0.6, first_byte_deadline=0.2) as server:
        chunks = complete(litellm, server.url, stream=True, timeout=5)
    assert chunks[-1].choices[0].finish_reason == "stop"
