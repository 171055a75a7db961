"""Shared fixtures: loopback Ollama servers, a real OpenAI-compatible server (llama-cpp-
python's, serving the embedded GGUF) with fault proxies before it, and throwaway project
folders.

A project is a temporary folder with the shipped evalkit.toml, judges/ and suites/, so
end-to-end tests run the real configuration, only pointed at loopback servers with
`--endpoint NAME=URL`, as a user points it at real ones.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ollama_server import FakeOllama  # noqa: E402
from openai_server import FaultProxy, LlamaServer, OneLlamaServer  # noqa: E402

from evalkit.checks import BwrapSandbox, Limits  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def no_cache_across_tests() -> Iterator[None]:
    """The cache across runs is off for the whole session, in module- and session-scoped
    fixtures too, unless a test turns it on (the tests in tests/cache point EVALKIT_CACHE at
    their own tmp folder with monkeypatch, which puts "off" back): otherwise tests would
    share the user's cache, and a test's answers would come from another test's run, or
    from an earlier pytest run on the same machine."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVALKIT_CACHE", "off")
        yield


@pytest.fixture
def ollama() -> Iterator[Callable[..., FakeOllama]]:
    """A factory of started FakeOllama servers, all stopped at the end of the test."""
    started: list[FakeOllama] = []

    def start(**options: Any) -> FakeOllama:
        server = FakeOllama(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def llama_servers() -> Iterator[OneLlamaServer]:
    """llama-cpp-python's OpenAI-compatible server, at most one at a time for the session:
    the unkeyed one most tests share, or one started with an api_key for the tests of keys."""
    if importlib.util.find_spec("fastapi") is None:
        pytest.fail("llama-cpp-python's server extra is missing: pip install -e '.[dev]'")
    servers = OneLlamaServer()
    yield servers
    servers.stop()


@pytest.fixture
def llama_server(llama_servers: OneLlamaServer) -> LlamaServer:
    """The session's server without an api_key (started again if a keyed one replaced it)."""
    return llama_servers.get()


@pytest.fixture
def openai_proxy(llama_server: LlamaServer) -> Iterator[Callable[[], FaultProxy]]:
    """A factory of fault proxies in front of the session's llama server, stopped after."""
    started: list[FaultProxy] = []

    def start() -> FaultProxy:
        proxy = FaultProxy(llama_server.url).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (shipped config, judges and suites) as the working directory."""
    shutil.copy(REPO / "evalkit.toml", tmp_path / "evalkit.toml")
    shutil.copytree(REPO / "judges", tmp_path / "judges")
    (tmp_path / "suites").symlink_to(REPO / "suites")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BIG_BRAIN_URL", raising=False)
    return tmp_path


def run_files(project: Path) -> list[Path]:
    """The run files written under the project's results/."""
    return sorted((project / "results").rglob("*.jsonl"))


TEST_LIMITS = Limits(memory_mb=256, processes=16, output_bytes=16_000)
"""Small enough that every attack hits its limit within a second or two."""


@pytest.fixture
def bwrap() -> BwrapSandbox:
    """The real bwrap sandbox with TEST_LIMITS (small enough that every attack in
    tests/checks hits its limit within a second or two). Without bwrap it skips, except in
    CI (CI=true), where a missing bwrap is a failure: .ci/run installs `bubblewrap`."""
    if shutil.which("bwrap") is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "bwrap is not installed; in CI that is a failure (apt-get install bubblewrap)"
            )
        pytest.skip("bwrap is not installed (apt-get install bubblewrap)")
    return BwrapSandbox(TEST_LIMITS)
