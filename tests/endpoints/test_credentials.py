"""Endpoints whose URL carries credentials: they serve, through litellm and the probes, the
credentials travelling in an Authorization header, and what their failures record quotes
none of them. Each pool keeps the secrets of its own endpoints."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from ollama_server import FakeOllama

from evalkit.config import EndpointConfig, ModelConfig, load_config
from evalkit.endpoints.pool import CallFailed, Endpoint, Pool
from evalkit.endpoints.probes import probe_server

PASSWORD = "pw-planted-5g2k9q"
BASIC = f"Basic {base64.b64encode(f'gemma:{PASSWORD}'.encode()).decode()}"
HI = [{"role": "user", "content": "hi"}]


def with_credentials(server: FakeOllama) -> str:
    return server.url.replace("http://", f"http://gemma:{PASSWORD}@")


def endpoint(url: str) -> Endpoint:
    return Endpoint("pod", EndpointConfig(kind="ollama", url=url, retries=0))


def test_a_url_with_credentials_serves_and_sends_them_as_basic_auth(
    ollama: Callable[..., FakeOllama],
) -> None:
    server = ollama(models=["gemma3:1b"])
    pod = endpoint(with_credentials(server))
    answer = asyncio.run(pod.complete("gemma3:1b", ModelConfig(endpoint="pod"), HI))
    health = asyncio.run(probe_server(pod, pod.config.url, ["gemma3:1b"]))
    assert answer.text and health.reachable and not health.missing
    sent = [r["headers"].get("authorization") for r in server.requests]
    assert [r["path"] for r in server.requests] == ["/api/chat", "/api/version", "/api/tags"]
    assert sent == [BASIC] * 3


def test_a_failure_that_quotes_the_credentials_records_none_of_them(
    ollama: Callable[..., FakeOllama],
) -> None:
    server = ollama(models=["gemma3:1b"], status_for_chat=500, echo_request=True)
    pod = endpoint(with_credentials(server))
    with pytest.raises(CallFailed) as failed:
        asyncio.run(pod.complete("gemma3:1b", ModelConfig(endpoint="pod"), HI))
    message = failed.value.info.message
    assert "HTTP 500" in message and "(user gemma, password ***)" in message
    assert PASSWORD not in message and BASIC.split()[1] not in message


POD = """
[endpoints.{name}]
kind = "ollama"
url = "https://gemma:{password}@{name}.example"
[models.m-{name}]
endpoint = "{name}"
"""


def test_each_pool_keeps_the_secrets_of_its_own_endpoints(tmp_path: Path) -> None:
    pools = []
    for name, password in (("one", "first-pass-word"), ("two", "second-pass-word")):
        (tmp_path / f"{name}.toml").write_text(POD.format(name=name, password=password))
        pool = Pool(load_config(str(tmp_path / f"{name}.toml")))
        pool.model(f"m-{name}", "test")
        pools.append(pool)
    text = "gemma3:1b: first-pass-word second-pass-word"
    assert pools[0].secrets.scrub(text) == "gemma3:1b: *** second-pass-word"
    assert pools[1].secrets.scrub(text) == "gemma3:1b: first-pass-word ***"
