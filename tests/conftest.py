"""Shared fixtures: loopback Ollama servers and throwaway project folders.

A project is a temporary folder with the shipped evalkit.toml, judges/ and suites/, so
end-to-end tests run the real configuration, only pointed at loopback servers with
`--endpoint NAME=URL`, as a user points it at real ones.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ollama_server import FakeOllama  # noqa: E402


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
