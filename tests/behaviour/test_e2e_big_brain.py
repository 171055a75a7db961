"""The seed's story end to end, against two loopback Ollama servers through real litellm:
both up; the pod down (404 with an HTML body); the pod back and --resume, and the report
that tells it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from conftest import run_files
from ollama_server import FakeOllama

from evalkit.cli import main
from evalkit.runfile.reader import read_run


def pointed_at(local: FakeOllama, pod: FakeOllama) -> list[str]:
    """The flags a user gives to aim the shipped config at their two servers."""
    return ["--endpoint", f"local={local.url}", "--endpoint", f"big-brain={pod.url}"]


def big_brain(local: FakeOllama, pod: FakeOllama, *extra: str) -> int:
    return main(["run", "big-brain", "--profile", "big-brain", *pointed_at(local, pod), *extra])


def resume(path: Path, local: FakeOllama, pod: FakeOllama) -> int:
    return main(["run", "--resume", str(path), *pointed_at(local, pod)])


def test_both_servers_up_gives_eight_graded_records(
    project: Path, ollama: Callable[..., FakeOllama]
) -> None:
    local = ollama(models=["gemma3:1b"])
    pod = ollama(models=["gemma3:27b"])
    assert big_brain(local, pod) == 0
    [path] = run_files(project)
    run = read_run(path)
    assert len(run.records) == 8
    for record in run.records.values():
        assert record.status == "ok" and record.verdict is not None
        assert record.answer.latency_ms > 0 and record.answer.completion_tokens > 0
        assert record.answer.eval_ms is not None  # Ollama's durations, which litellm drops
    assert local.count(path="/api/chat", model="gemma3:1b") == 4
    assert pod.count(path="/api/chat", model="gemma3:27b") == 4 + 8  # 4 answers, 8 verdicts
    assert run.manifest.models["gemma3:27b"].url == pod.url
    assert all(h.reachable for h in run.manifest.health)


def test_pod_down_keeps_local_answers_then_resume_finishes(
    project: Path, ollama: Callable[..., FakeOllama]
) -> None:
    local = ollama(models=["gemma3:1b"])
    pod = ollama(models=["gemma3:27b"], down_404_html=True)
    assert big_brain(local, pod) == 3
    [path] = run_files(project)
    records = read_run(path).records.values()
    small = [r for r in records if r.candidate == "gemma3:1b"]
    big = [r for r in records if r.candidate == "gemma3:27b"]
    assert len(small) == len(big) == 4
    for record in small:  # answered, kept, not graded: the judge lives on the pod
        assert record.status == "unavailable" and record.answer.text and record.verdict is None
        assert record.error.role == "judge"
        assert f"HTTP 404 from {pod.url}: endpoint down" in record.error.message
    for record in big:
        assert record.status == "unavailable" and record.answer is None
        assert f"HTTP 404 from {pod.url}: endpoint down" in record.error.message
    assert pod.count(path="/api/chat") == 0  # the probe found it down: no request wasted

    pod.clear_faults()
    asked_before = local.count(path="/api/chat", model="gemma3:1b")
    assert resume(path, local, pod) == 0
    run = read_run(path)
    assert len(run.records) == 8 and all(r.status == "ok" for r in run.records.values())
    assert local.count(path="/api/chat", model="gemma3:1b") == asked_before  # not asked again
    assert pod.count(path="/api/chat", model="gemma3:27b") == 4 + 8  # 4 answers, 8 verdicts


def report(path: Path) -> str:
    """The Markdown report of a run file, as `report -o` writes it."""
    out = path.with_suffix(".md")
    assert main(["report", str(path), "-o", str(out)]) == 0
    return " ".join(out.read_text(encoding="utf-8").split())


def hhmm(at: str, start: str) -> str:
    """A time as the report writes it: with the date when not the run's start date."""
    same_day = at[:10] == start[:10]
    return datetime.fromisoformat(at).strftime("%H:%M UTC" if same_day else "%Y-%m-%d %H:%M UTC")


def test_the_report_of_a_resumed_run_tells_the_pod_came_back(
    project: Path, ollama: Callable[..., FakeOllama]
) -> None:
    local = ollama(models=["gemma3:1b"])
    pod = ollama(models=["gemma3:27b"], down_404_html=True)
    assert big_brain(local, pod) == 3
    [path] = run_files(project)
    manifest_line = path.read_bytes().split(b"\n")[0]
    before = report(path)
    assert "| Status | Operational (server 0.6.5) | OFFLINE (HTTP 404) |" in before
    assert "Bring endpoint big-brain back" in before

    pod.clear_faults()
    assert resume(path, local, pod) == 0
    after = report(path)
    assert "Bring endpoint" not in after and "--resume" not in after
    assert "UNAVAILABLE" not in after
    run = read_run(path)
    assert path.read_bytes().split(b"\n")[0] == manifest_line  # line 1 is never rewritten
    assert not any(h.reachable for h in run.manifest.health if h.endpoint == "big-brain")
    [resumed] = run.resumes  # the probe at the resume, with its time
    assert all(h.reachable for h in resumed.health)
    assert resumed.at > run.manifest.started_at

    start = run.manifest.started_at
    down, back = hhmm(start, start), hhmm(resumed.at, start)
    assert (
        f"big-brain: down at {down} (HTTP 404), back at {back};"
        f" 8 record(s) filled by the resume at {back}."
    ) in after
    assert f"OFFLINE (HTTP 404) at {down}; Operational (server 0.6.5) at {back}" in after


def test_resume_of_a_complete_run_sends_no_request(
    project: Path, ollama: Callable[..., FakeOllama]
) -> None:
    local = ollama(models=["gemma3:1b"])
    pod = ollama(models=["gemma3:27b"])
    assert big_brain(local, pod, "--limit", "1") == 0
    [path] = run_files(project)
    chats = local.count(path="/api/chat") + pod.count(path="/api/chat")
    assert resume(path, local, pod) == 0
    assert local.count(path="/api/chat") + pod.count(path="/api/chat") == chats


def test_missing_model_is_unavailable_with_reason(
    project: Path, ollama: Callable[..., FakeOllama]
) -> None:
    local = ollama(models=["llama3:8b"])  # gemma3:1b not pulled
    pod = ollama(models=["gemma3:27b"])
    assert big_brain(local, pod, "--limit", "1") == 3
    [path] = run_files(project)
    [record] = [r for r in read_run(path).records.values() if r.candidate == "gemma3:1b"]
    assert record.status == "unavailable"
    assert "model 'gemma3:1b' is not on" in record.error.message
    assert local.count(path="/api/chat") == 0


def test_check_reports_each_endpoint_and_what_is_missing(
    project: Path, ollama: Callable[..., FakeOllama], capsys: pytest.CaptureFixture
) -> None:
    local = ollama(models=["gemma3:1b"], version="0.6.5")
    pod = ollama(models=["gemma3:12b"])  # the pod is up but lacks gemma3:27b
    overrides = pointed_at(local, pod)
    assert main(["check", "--profile", "big-brain", *overrides]) == 3
    table = capsys.readouterr().out
    assert "0.6.5" in table and "gemma3:1b" in table and "gemma3:27b" in table  # missing
    pod.models.append("gemma3:27b")
    assert main(["check", "--profile", "big-brain", *overrides]) == 0
    pod.set_faults(down_404_html=True)
    assert main(["check", "--profile", "big-brain", *overrides]) == 3
    table = capsys.readouterr().out
    assert "down" in table and "404" in table
