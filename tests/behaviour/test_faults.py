"""Flaky endpoints: a fault storm completes with nothing missing and nothing invented; a
dead endpoint trips the circuit breaker in seconds; a request never outlives its deadline;
streaming survives a proxy that cuts responses not started in time."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from ollama_server import FakeOllama
from projects import write_project

from evalkit.cli import main
from evalkit.runfile.reader import read_run

FAULTS = [503, "stall", "drop", "no_response", 502, 524]


def storm(n: int, rate: float, seed: int) -> list:
    rng = random.Random(seed)
    return [rng.choice(FAULTS) if rng.random() < rate else None for _ in range(n)]


def run(project: Path, *extra: str) -> int:
    return main(["run", "gen", "--out", str(project / "run.jsonl"), *extra])


def test_fault_storm_completes_with_every_record_accounted_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama: Callable[..., FakeOllama]
) -> None:
    server = ollama(models=["m1", "m2", "judge"], stall=3.0)
    server.set_faults(fault_sequence=storm(400, 0.3, seed=7), stall=3.0)
    write_project(tmp_path, server.url, n_tasks=20, timeout=1, retries=6, deadline=20)
    monkeypatch.chdir(tmp_path)
    code = run(tmp_path)
    records = read_run(tmp_path / "run.jsonl").records
    assert len(records) == 40  # 20 tasks x 2 candidates: nothing missing
    for record in records.values():
        assert record.status in ("ok", "error", "unavailable")
        if record.status == "ok":
            assert record.verdict is not None and record.answer is not None
        else:  # an explicit reason and attempt count, never a score
            assert record.verdict is None and record.error.message and record.error.attempts
    retried = [r for r in records.values() if r.answer and r.answer.attempts > 1]
    assert retried, "the storm should have forced retries"
    assert code == (0 if all(r.status == "ok" for r in records.values()) else 3)


def test_request_never_outlives_its_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama: Callable[..., FakeOllama]
) -> None:
    server = ollama(models=["m1", "judge"], stall=30)  # every chat request hangs
    write_project(
        tmp_path, server.url, n_tasks=1, candidates=("m1",), timeout=1, retries=20, deadline=3
    )
    monkeypatch.chdir(tmp_path)
    assert run(tmp_path) == 3
    [record] = read_run(tmp_path / "run.jsonl").records.values()
    took = datetime.fromisoformat(record.finished_at) - datetime.fromisoformat(record.started_at)
    assert took.total_seconds() < 3 + 1  # the deadline, plus slack for a loaded machine
    assert record.status == "error" and record.error.kind == "Timeout"
    assert 2 <= record.error.attempts < 20


def test_dead_endpoint_trips_breaker_in_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama: Callable[..., FakeOllama]
) -> None:
    server = ollama(models=["m1", "judge"])
    write_project(
        tmp_path,
        server.url,
        n_tasks=30,
        candidates=("m1",),
        timeout=2,
        retries=4,
        deadline=60,
        concurrency=2,
    )
    server.set_faults(drop="no_response")  # up for the probe, then every chat is cut
    monkeypatch.chdir(tmp_path)
    began = time.monotonic()
    assert run(tmp_path) == 3
    assert time.monotonic() - began < 10
    records = list(read_run(tmp_path / "run.jsonl").records.values())
    assert len(records) == 30 and all(r.status == "unavailable" for r in records)
    assert any("circuit breaker" in r.error.message for r in records)
    assert server.count(path="/api/chat") < 15  # not 30 x 5 attempts


def test_streaming_survives_a_proxy_first_byte_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama: Callable[..., FakeOllama]
) -> None:
    server = ollama(models=["m1", "judge"], latency=1.5, first_byte_deadline=0.5)
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, server.url, n_tasks=1, candidates=("m1",), retries=0)
    assert run(tmp_path) == 3  # not streaming: the proxy answers 524 before the reply starts
    [record] = read_run(tmp_path / "run.jsonl").records.values()
    assert record.status == "error" and record.error.status_code == 524

    write_project(tmp_path, server.url, n_tasks=1, candidates=("m1",), retries=0, stream=True)
    (tmp_path / "run.jsonl").unlink()
    server.requests.clear()
    assert run(tmp_path) == 0
    [record] = read_run(tmp_path / "run.jsonl").records.values()
    assert record.status == "ok" and record.answer.completion_tokens
    assert all(r["body"].get("stream") is True for r in server.requests if r["path"] == "/api/chat")
