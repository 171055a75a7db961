"""Tests of the cache across runs: each test gets its own empty cache file."""

from __future__ import annotations

from pathlib import Path

import pytest
from cached_project import responder
from projects import write_project


@pytest.fixture
def cache_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """EVALKIT_CACHE pointed at a fresh file in the test's tmp folder (the cache is on)."""
    path = tmp_path / "user-cache" / "cache.sqlite3"
    monkeypatch.setenv("EVALKIT_CACHE", str(path))
    return path


@pytest.fixture
def server(ollama, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_file: Path):
    """A project of 3 tasks x 2 candidates in tmp_path (the working directory), its server."""
    fake = ollama(models=["m1", "m2", "judge", "judge-b"], responder=responder())
    write_project(tmp_path, fake.url, n_tasks=3)
    with (tmp_path / "evalkit.toml").open("a") as config:
        config.write('\n[models."judge-b"]\nendpoint = "srv"\n')
    (tmp_path / "judges" / "other.toml").write_text('model = "judge-b"\n')
    monkeypatch.chdir(tmp_path)
    return fake
