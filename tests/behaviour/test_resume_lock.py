"""One writer per run file: of two processes resuming the same run file at once, the second
is refused at once (exit 2), naming the file and the process writing it, and writes
nothing; the first finishes as if alone."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ollama_replies import default_responder
from ollama_server import FakeOllama
from projects import start_evalkit, write_project

from evalkit.runfile.reader import read_run


def test_a_second_resume_is_refused_while_the_first_writes(
    tmp_path: Path, ollama: Callable[..., FakeOllama]
) -> None:
    gate = threading.Event()  # chat requests wait here: the first resume holds the file

    def held(body: dict) -> str:
        gate.wait(300)
        return default_responder(body)

    server = ollama(models=["m1", "judge"], responder=held)  # m2 is not pulled yet
    write_project(tmp_path, server.url, n_tasks=2, timeout=300, deadline=400)
    path = tmp_path / "run.jsonl"
    gate.set()
    made = start_evalkit(tmp_path, "run", "gen", "--out", str(path))
    assert made.wait(240) == 3, made.stderr.read().decode()  # m2's records unavailable
    server.models.append("m2")
    server.requests.clear()
    gate.clear()

    first = start_evalkit(tmp_path, "run", "--resume", str(path))
    try:
        deadline = time.monotonic() + 240
        while not any(r["path"] == "/api/chat" for r in server.requests):
            assert first.poll() is None, first.stderr.read().decode()
            assert time.monotonic() < deadline, "the first resume never asked a model"
            time.sleep(0.02)
        size = path.stat().st_size
        second = start_evalkit(tmp_path, "run", "--resume", str(path))
        code = second.wait(240)
        err = " ".join(second.stderr.read().decode().split())
        assert first.poll() is None  # the first was still writing all along
    finally:
        gate.set()
    assert code == 2, err
    assert f"{path}: another evalkit process is writing this run file (pid {first.pid}," in err
    assert path.stat().st_size == size  # the second wrote nothing

    assert first.wait(240) == 0, first.stderr.read().decode()
    run = read_run(path)
    assert len(run.resumes) == 1 and all(r.status == "ok" for r in run.records.values())
    lines = [json.loads(x) for x in path.read_text().splitlines()[1:]]
    results = [x for x in lines if x["type"] == "result"]
    ok = Counter((x["task_id"], x["candidate"]) for x in results if x["status"] == "ok")
    assert set(ok.values()) == {1}  # every key ok exactly once
    assert not Path(f"{path}.lock").exists()  # the holder's note goes with the lock
