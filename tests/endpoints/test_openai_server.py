"""`kind = "openai"` endpoints against a real OpenAI-compatible server: llama-cpp-python's
own (`python -m llama_cpp.server`) serving the embedded Gemma 3 270M, started by the tests,
through the real litellm call path. A loopback proxy before it logs what evalkit sends and
answers 503 or 429 on demand, as a busy vLLM or a gateway does."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import jsonschema
import pytest
from openai_server import MODEL, FaultProxy, LlamaServer, OneLlamaServer, free_port

from evalkit.config import EndpointConfig, ModelConfig
from evalkit.endpoints.pool import CallFailed, Endpoint
from evalkit.endpoints.probes import probe_all, probe_server
from evalkit.types import Answer

HI = [{"role": "user", "content": "Say hello."}]
SHORT = ModelConfig(endpoint="srv", model=MODEL, max_tokens=4, temperature=0.0, seed=1)
OPENAI_CHAT_FIELDS = {
    "model", "messages", "temperature", "seed", "max_tokens", "top_p", "stream",
    "stream_options", "response_format",
}  # fmt: skip
SCORE = {
    "type": "object",
    "properties": {"score": {"type": "integer", "enum": [1, 2, 3, 4, 5]}},
    "required": ["score"],
    "additionalProperties": False,
}


def endpoint(url: str | list[str], **settings: object) -> Endpoint:
    where = {"replicas": url} if isinstance(url, list) else {"url": url}
    options = {"retries": 0, "backoff": 0.05, **where, **settings}
    return Endpoint("srv", EndpointConfig(kind="openai", **options))


def ask(server: Endpoint, model: ModelConfig = SHORT, **options: object) -> Answer:
    return asyncio.run(server.complete(MODEL, model, HI, **options))


def test_a_local_server_answers_without_an_api_key(
    openai_proxy: Callable[[], FaultProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key configured: a placeholder goes, never OPENAI_API_KEY from the environment,
    and the request carries only what the OpenAI API defines (num_ctx is Ollama's)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-for-openai-only")
    proxy = openai_proxy()
    model = SHORT.model_copy(update={"num_ctx": 1024, "top_p": 0.9})
    answer = ask(endpoint(proxy.url), model)
    assert answer.text and answer.finish_reason in ("length", "stop")
    assert answer.completion_tokens and answer.prompt_tokens and answer.attempts == 1
    [chat] = proxy.chats()
    assert chat["headers"]["authorization"] == "Bearer no-key"
    assert set(chat["body"]) <= OPENAI_CHAT_FIELDS
    assert chat["body"]["max_tokens"] == 4 and chat["body"]["top_p"] == 0.9


def test_a_streamed_reply_is_gathered_into_one_answer(
    openai_proxy: Callable[[], FaultProxy],
) -> None:
    proxy = openai_proxy()
    answer = ask(endpoint(proxy.url, stream=True))
    assert answer.text and answer.attempts == 1
    [chat] = proxy.chats()
    assert chat["body"]["stream"] is True


def test_a_json_schema_constrains_the_reply(openai_proxy: Callable[[], FaultProxy]) -> None:
    """OpenAI's json_schema shape first; llama-cpp-python's server refuses it naming
    json_object, so the same request goes again at once in that shape, and so does every
    later one: two requests, then one."""
    proxy = openai_proxy()
    server = endpoint(proxy.url)
    model = SHORT.model_copy(update={"max_tokens": 16})
    for _ in range(2):
        answer = ask(server, model, schema=SCORE, role="judge")
        jsonschema.validate(json.loads(answer.text), SCORE)
        assert answer.attempts == 1
    shapes = [c["body"]["response_format"] for c in proxy.chats()]
    assert [s["type"] for s in shapes] == ["json_schema", "json_object", "json_object"]
    assert shapes[0]["json_schema"] == {"name": "verdict", "schema": SCORE, "strict": True}
    assert shapes[1]["schema"] == SCORE


@pytest.mark.parametrize("fault", [503, 429])
def test_a_busy_server_is_asked_again(openai_proxy: Callable[[], FaultProxy], fault: int) -> None:
    proxy = openai_proxy()
    proxy.faults = [fault, fault]
    answer = ask(endpoint(proxy.url, retries=3))
    assert answer.text and answer.attempts == 3
    assert len(proxy.chats()) == 3


def test_retry_after_is_waited(openai_proxy: Callable[[], FaultProxy]) -> None:
    proxy = openai_proxy()
    proxy.faults, proxy.retry_after = [429], "1"
    answer = ask(endpoint(proxy.url, retries=1))
    first, second = proxy.chats()
    assert answer.attempts == 2 and second["time"] - first["time"] >= 1.0


def test_a_server_busy_past_the_retries_is_an_error_with_its_status(
    openai_proxy: Callable[[], FaultProxy],
) -> None:
    proxy = openai_proxy()
    proxy.faults = [503] * 3
    with pytest.raises(CallFailed) as failed:
        ask(endpoint(proxy.url, retries=2))
    info = failed.value.info
    assert info.status_code == 503 and info.attempts == 3 and "HTTP 503" in info.message
    assert not failed.value.unavailable


def test_the_probe_lists_the_servers_models(openai_proxy: Callable[[], FaultProxy]) -> None:
    proxy = openai_proxy()
    server = endpoint(proxy.url)
    [health] = asyncio.run(probe_all({server: {"small": MODEL, "big": "gemma3:27b"}}))
    assert health.reachable and health.kind == "openai"
    assert health.models == [MODEL] and health.missing == ["gemma3:27b"]
    assert "small" not in server.missing_models
    missing = server.missing_models["big"].message
    assert "'gemma3:27b' is not on" in missing and f"it serves: {MODEL}" in missing
    assert proxy.requests[0]["path"] == "/v1/models" and not proxy.chats()


def test_a_server_that_is_not_there_is_down() -> None:
    server = endpoint(f"http://127.0.0.1:{free_port()}/v1")
    [health] = asyncio.run(probe_all({server: {"small": MODEL}}))
    assert not health.reachable and "endpoint down" in (health.error or "")
    with pytest.raises(CallFailed) as failed:
        ask(server)
    assert failed.value.unavailable  # no request was sent: the probe found it down


def test_replicas_share_the_requests_and_one_down_at_the_start_is_left_out(
    openai_proxy: Callable[[], FaultProxy],
) -> None:
    """Two proxies before the one server are two replicas; a third, a closed port, is
    probed, found down and sent nothing."""
    first, second = openai_proxy(), openai_proxy()
    down = f"http://127.0.0.1:{free_port()}/v1"
    server = endpoint([first.url, down, second.url], concurrency=1)
    health = asyncio.run(probe_all({server: {"small": MODEL}}))
    assert [h.reachable for h in health] == [True, False, True]

    async def two_at_once() -> list[Answer]:
        return await asyncio.gather(*(server.complete(MODEL, SHORT, HI) for _ in range(2)))

    answers = asyncio.run(two_at_once())
    assert all(a.text and a.attempts == 1 for a in answers)
    assert len(first.chats()) == len(second.chats()) == 1


@pytest.fixture
def keyed_server(llama_servers: OneLlamaServer) -> LlamaServer:
    """A server started with --api_key, as vLLM's --api-key or a gateway wants one (in place
    of the session's unkeyed one: one llama.cpp server at a time)."""
    return llama_servers.get(api_key="sk-local-test", n_ctx=512)


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        (None, "the server wants an API key: set api_key in endpoints.srv"),
        ("sk-wrong", "the server refused the api_key of endpoints.srv"),
    ],
    ids=["missing", "wrong"],
)
def test_a_key_the_server_wants_and_does_not_get_is_a_configuration_error(
    keyed_server: LlamaServer, key: str | None, hint: str
) -> None:
    """Told by the probe before any request; a request sent anyway fails at once with the
    setting to change, never retried as a server error."""
    server = endpoint(keyed_server.url, api_key=key, retries=4)
    health = asyncio.run(probe_server(server, server.config.url, [MODEL]))
    assert not health.reachable and health.status_code == 401 and hint in (health.error or "")
    began = time.monotonic()
    with pytest.raises(CallFailed) as failed:
        ask(server)
    info = failed.value.info
    assert info.status_code == 401 and info.attempts == 1 and hint in info.message
    assert time.monotonic() - began < 5 and not failed.value.unavailable
    assert "sk-wrong" not in info.message


def test_the_right_key_is_sent_and_served(keyed_server: LlamaServer) -> None:
    server = endpoint(keyed_server.url, api_key="sk-local-test")
    health = asyncio.run(probe_server(server, server.config.url, [MODEL]))
    assert health.reachable and health.models == [MODEL]
    assert ask(server).text
