"""Flaky endpoints: a fault storm completes with nothing missing and nothing invented; a
dead endpoint trips the circuit breaker in seconds, and an endpoint that comes back serves
again; a request, a trickling stream included, never outlives its deadline; streaming
survives a proxy that cuts responses not started in time."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ollama_server import FakeOllama
from projects import write_project

from evalkit.cli import main
from evalkit.endpoints.pool import import_litellm
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


@pytest.fixture
def litellm_imported() -> None:
    """litellm imported before the run: a record's time then measures the endpoint, not a
    first import (seconds on a loaded machine)."""
    import_litellm()


@pytest.mark.usefixtures("litellm_imported")
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


@pytest.mark.usefixtures("litellm_imported")
def test_a_trickling_stream_is_cut_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama: Callable[..., FakeOllama]
) -> None:
    """A piece every 0.2 s never lets a read time out; the deadline still ends the request."""
    server = ollama(models=["m1", "judge"])
    server.set_faults(model="m1", trickle=0.2, trickle_for=15)
    write_project(
        tmp_path,
        server.url,
        n_tasks=1,
        candidates=("m1",),
        timeout=1,
        retries=2,
        deadline=3,
        stream=True,
    )
    monkeypatch.chdir(tmp_path)
    assert run(tmp_path) == 3  # on time: the trickle would go on for 15 s
    [record] = read_run(tmp_path / "run.jsonl").records.values()
    took = datetime.fromisoformat(record.finished_at) - datetime.fromisoformat(record.started_at)
    assert took.total_seconds() < 3 + 1
    assert record.status == "error" and record.error.kind == "Timeout"
    assert "deadline of 3 s" in record.error.message and record.verdict is None


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
        breaker=(3, 1.0),
    )
    server.set_faults(drop="no_response")  # up for the probe, then every chat is cut
    monkeypatch.chdir(tmp_path)
    assert run(tmp_path) == 3
    first_chat = min(r["time"] for r in server.requests if r["path"] == "/api/chat")
    assert time.monotonic() - first_chat < 10  # start-up aside: litellm's import is slow
    records = list(read_run(tmp_path / "run.jsonl").records.values())
    assert len(records) == 30 and all(r.status == "unavailable" for r in records)
    assert any("circuit breaker" in r.error.message for r in records)
    # 3 requests fail after their retries while the others in flight (8 at most) retry too,
    # then one probe after the cool-down finds it still down: not 30 x 5 attempts
    assert server.count(path="/api/chat") < 60


class Outage:
    """The pod stops (404 HTML on every path, as behind RunPod's proxy) once the server has
    seen `after` chat requests, and is back `lasting` seconds later."""

    def __init__(self, server: FakeOllama, after: int, lasting: float) -> None:
        self.server, self.after, self.lasting = server, after, lasting
        self.began: datetime | None = None
        self.began_at = float("inf")
        """When it began, as `time.monotonic` (the server's request log's clock)."""
        self.ended: datetime | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self.server.count(path="/api/chat") < self.after:
            time.sleep(0.01)
        self.began, self.began_at = datetime.now(UTC), time.monotonic()
        self.server.faults.down_404_html = True
        time.sleep(self.lasting)
        self.server.faults.down_404_html = False
        self.ended = datetime.now(UTC)

    def join(self) -> None:
        self._thread.join(timeout=30)
        assert self.began is not None and self.ended is not None, "the outage never happened"


def assert_outage_accounted_for(records: list, outage: Outage) -> None:
    """Records started after the outage are ok; those it failed say why, without a score."""
    assert outage.ended is not None
    after = [r for r in records if datetime.fromisoformat(r.started_at) > outage.ended]
    assert after, "no record was left to run after the outage"
    for record in after:
        assert record.status == "ok", record.error
    for record in records:
        if record.status != "ok":
            assert record.status == "unavailable" and record.verdict is None
            assert "HTTP 404" in record.error.message
    assert any(r.status != "ok" for r in records), "the outage failed no request"


def test_a_short_outage_holds_requests_and_the_endpoint_serves_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama: Callable[..., FakeOllama]
) -> None:
    """Down for 1.5 s mid-run: 2 requests find it gone, the breaker holds the rest for its
    3 s cool-down, a probe finds it back, and every other record is ok."""
    server = ollama(models=["m1", "judge"], latency=0.05)
    write_project(
        tmp_path, server.url, n_tasks=16, candidates=("m1",), concurrency=1, breaker=(2, 3.0)
    )
    monkeypatch.chdir(tmp_path)
    outage = Outage(server, after=8, lasting=1.5)
    assert run(tmp_path) == 3
    outage.join()
    records = list(read_run(tmp_path / "run.jsonl").records.values())
    assert len(records) == 16
    assert_outage_accounted_for(records, outage)
    assert sum(r.status != "ok" for r in records) == 2  # one slot: nothing else in flight
    sent = [r["time"] for r in server.requests if r["path"] == "/api/chat"]
    sent = [t for t in sent if t >= outage.began_at]
    assert sent[2] - sent[1] >= 3.0 - 0.1  # after the 2 failures, nothing for the cool-down


def test_a_long_outage_fails_fast_and_a_later_probe_finds_the_endpoint_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama: Callable[..., FakeOllama]
) -> None:
    """The judge's server is down for 2.5 s with a 0.5 s cool-down: the first probe finds
    it still down, grading fails at once (answers kept), and a later probe finds it back."""
    candidates = ollama(models=["m1"], latency=0.1)  # paces the run: one answer at a time
    judge = ollama(models=["judge"])
    write_project(
        tmp_path,
        candidates.url,
        n_tasks=40,
        candidates=("m1",),
        concurrency=1,
        judge_url=judge.url,
        breaker=(2, 0.5),
    )
    monkeypatch.chdir(tmp_path)
    outage = Outage(judge, after=5, lasting=2.5)
    assert run(tmp_path) == 3
    outage.join()
    records = list(read_run(tmp_path / "run.jsonl").records.values())
    assert len(records) == 40
    assert_outage_accounted_for(records, outage)
    failed = [r for r in records if r.status != "ok"]
    assert any("circuit breaker" in r.error.message for r in failed)  # failed at once
    assert all(r.answer is not None for r in failed)  # kept: a resume only grades them
    assert sum(r.status == "ok" for r in records) >= 10


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
