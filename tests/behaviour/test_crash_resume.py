"""Crash safety: a run killed with SIGKILL at any moment, then resumed, ends with every key
ok exactly once, and no key that was ok before the kill is asked or graded again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from ollama_server import FakeOllama
from projects import is_judge_request, mentions, start_evalkit, write_project

from evalkit.runfile.reader import read_run

N_TASKS = 8
CANDIDATES = ("m1", "m2")


def kill_when(process: subprocess.Popen, ready: Callable[[], bool], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not ready():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the kill point was never reached"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def candidate_calls(server: FakeOllama) -> int:
    return sum(1 for r in server.requests if r["path"] == "/api/chat" and not is_judge_request(r))


def judge_calls(server: FakeOllama) -> int:
    return sum(1 for r in server.requests if is_judge_request(r))


KILL_POINTS = {
    "during-generation": lambda s: candidate_calls(s) >= 3,
    "during-judging": lambda s: judge_calls(s) >= 4,
    "during-a-write": lambda s: judge_calls(s) >= 6,  # then a half-written line is left
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_kill_and_resume_loses_nothing_and_repeats_nothing(
    point: str, tmp_path: Path, ollama: Callable[..., FakeOllama]
) -> None:
    server = ollama(models=[*CANDIDATES, "judge"], latency=0.15, parallel=2)
    write_project(tmp_path, server.url, n_tasks=N_TASKS, candidates=CANDIDATES, concurrency=2)
    path = tmp_path / "run.jsonl"
    process = start_evalkit(tmp_path, "run", "gen", "--out", str(path))
    kill_when(process, lambda: KILL_POINTS[point](server))
    if point == "during-a-write":  # the bytes a write cut short by the kill would leave
        with path.open("ab") as handle:
            handle.write(b'{"type":"result","task_id":"t00')

    before = read_run(path)
    ok_before = {k for k, r in before.records.items() if r.status == "ok"}
    seen = len(server.requests)
    resumed = start_evalkit(tmp_path, "run", "--resume", str(path))
    assert resumed.wait(120) == 0, resumed.stderr.read().decode()

    after = read_run(path)
    assert not after.partial_tail
    assert len(after.records) == N_TASKS * len(CANDIDATES)
    assert all(r.status == "ok" for r in after.records.values())
    lines = [json.loads(x) for x in path.read_text().splitlines()[1:]]
    assert sum(x["type"] == "resume" for x in lines) == 1  # the resume's probe, recorded
    results = [x for x in lines if x["type"] == "result"]
    ok_lines = Counter((x["task_id"], x["candidate"]) for x in results if x["status"] == "ok")
    assert set(ok_lines.values()) == {1}  # every key ok exactly once
    for task_id, candidate, _ in ok_before:  # nothing that was ok is asked or graded again
        marker = f"TASK-{task_id[1:]}"
        for entry in server.requests[seen:]:
            if entry["path"] != "/api/chat":
                continue
            assert not (entry["model"] == candidate and mentions(entry, marker))
            assert not mentions(entry, f"Answer from {candidate}: {marker}")


def test_ctrl_c_sums_up_what_is_durable_and_names_the_resume_command(
    tmp_path: Path, ollama: Callable[..., FakeOllama]
) -> None:
    """SIGINT mid-run: exit 130 with the end-of-run summary of what was written and the
    resume command, not a bare 'interrupted'; a resume then finishes every key."""
    server = ollama(models=[*CANDIDATES, "judge"], latency=0.15, parallel=2)
    write_project(tmp_path, server.url, n_tasks=N_TASKS, candidates=CANDIDATES, concurrency=2)
    path = tmp_path / "run.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "evalkit", "run", "gen", "--out", str(path)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
        # SIGINT as a terminal delivers it: an ignored SIGINT is inherited across exec
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while judge_calls(server) < 4:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    # every request from now on is held, so the run cannot finish (and exit 0) before the
    # signal lands, however late this process gets the CPU back on a busy machine
    server.latency = 60.0
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err.decode()
    server.latency = 0.15
    text = " ".join((out + err).decode().split())
    assert f"interrupted; finish them with: python -m evalkit run --resume {path}" in text
    assert "m1" in text and "m2" in text  # the per-candidate summary was printed
    resumed = start_evalkit(tmp_path, "run", "--resume", str(path))
    assert resumed.wait(120) == 0, resumed.stderr.read().decode()
    assert {r.status for r in read_run(path).records.values()} == {"ok"}
    assert len(read_run(path).records) == N_TASKS * len(CANDIDATES)
