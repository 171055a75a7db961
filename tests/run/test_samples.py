"""`run --samples K`: each candidate answers each task K times (sample i with seed + i),
the sample index is part of the key, and a run killed midway is resumed by asking exactly
the samples that have no answer yet."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ollama_server import FakeOllama
from projects import is_judge_request, start_evalkit, write_project

from evalkit.runfile.reader import read_run
from evalkit.types import record_key

N_TASKS = 4
CANDIDATES = ("m1", "m2")
K = 3


def _candidate_asks(server: FakeOllama, since: int = 0) -> list[tuple[str, str, int | None]]:
    """(task marker, model, seed) of every candidate request after the first `since`."""
    asks = []
    for entry in server.requests[since:]:
        if entry["path"] != "/api/chat" or is_judge_request(entry):
            continue
        body = entry["body"]
        prompt = body["messages"][-1]["content"]
        asks.append((prompt.split(":")[0], entry["model"], (body.get("options") or {}).get("seed")))
    return asks


def _results(path: Path) -> int:
    """Result lines written so far."""
    return path.read_bytes().count(b'{"type":"result"') if path.exists() else 0


def test_a_killed_run_of_three_samples_resumes_by_asking_exactly_the_missing_ones(
    tmp_path: Path, ollama: Callable[..., FakeOllama]
) -> None:
    server = ollama(models=[*CANDIDATES, "judge"], latency=0.1, parallel=2)
    write_project(tmp_path, server.url, n_tasks=N_TASKS, candidates=CANDIDATES, concurrency=2)
    path = tmp_path / "run.jsonl"
    process = start_evalkit(tmp_path, "run", "gen", "--samples", str(K), "--out", str(path))
    deadline = time.monotonic() + 60
    while _results(path) < 7:  # killed after some keys, with others in flight
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the kill point was never reached"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(10)

    before = read_run(path)
    answered = {(r.task_id, r.candidate, r.sample) for r in before.records.values() if r.answer}
    assert 0 < len(answered) < N_TASKS * len(CANDIDATES) * K
    seen = len(server.requests)
    resumed = start_evalkit(tmp_path, "run", "--resume", str(path))
    assert resumed.wait(120) == 0, resumed.stderr.read().decode()

    every = {(f"t{i:03d}", c, s) for i in range(N_TASKS) for c in CANDIDATES for s in range(K)}
    missing = every - answered
    # each missing sample asked once, with seed 0 + i (the models set none; sample 0 none)
    expected = Counter((f"TASK-{t[1:]}", c, s or None) for t, c, s in missing)
    assert Counter(_candidate_asks(server, seen)) == expected
    after = read_run(path)
    assert {(r.task_id, r.candidate, r.sample) for r in after.records.values()} == every
    assert {r.status for r in after.records.values()} == {"ok"}
    assert after.manifest.samples == K


def test_sample_zero_is_written_as_before_samples_existed(
    tmp_path: Path, ollama: Callable[..., FakeOllama]
) -> None:
    """A run of one sample writes neither `sample` nor `samples`: its file reads (and
    compares byte for byte) as it did before the option existed; a run of K writes both."""
    server = ollama(models=[*CANDIDATES, "judge"])
    write_project(tmp_path, server.url, n_tasks=2, candidates=CANDIDATES)
    for name, extra in (("one.jsonl", []), ("two.jsonl", ["--samples", "2"])):
        process = start_evalkit(tmp_path, "run", "gen", "--out", name, *extra)
        assert process.wait(120) == 0, process.stderr.read().decode()
    one = [json.loads(x) for x in (tmp_path / "one.jsonl").read_text().splitlines()]
    two = [json.loads(x) for x in (tmp_path / "two.jsonl").read_text().splitlines()]
    assert "samples" not in one[0] and not any("sample" in x for x in one[1:])
    assert "pass_threshold" not in one[0]
    assert two[0]["samples"] == 2
    results = [x for x in two if x["type"] == "result"]
    assert sorted(x.get("sample", 0) for x in results) == [0] * 4 + [1] * 4


def test_a_sampled_run_is_regraded_and_compared_per_sample(
    tmp_path: Path, ollama: Callable[..., FakeOllama], monkeypatch
) -> None:
    """`judge` grades every sample's answer again (no candidate asked), and `compare`
    joins the two files on (task, candidate, sample), resampling the 2 tasks."""
    from judge_replies import scripted

    from evalkit.analysis.compare import compare_runs
    from evalkit.cli import main
    from evalkit.runfile.lines import read_scores

    models = {"judge": 2, "judge-b": 4}
    server = ollama(
        models=[*CANDIDATES, "judge", "judge-b"],
        responder=scripted(score=lambda body: models[body["model"]]),
    )
    write_project(tmp_path, server.url, n_tasks=2, candidates=CANDIDATES)
    with (tmp_path / "evalkit.toml").open("a") as config:
        config.write('\n[models."judge-b"]\nendpoint = "srv"\n')
    (tmp_path / "judges" / "other.toml").write_text('model = "judge-b"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--samples", "2", "--out", "run.jsonl"]) == 0
    server.requests.clear()
    assert main(["judge", "run.jsonl", "--judge", "other", "--out", "child.jsonl"]) == 0
    assert all(is_judge_request(e) for e in server.requests if e["path"] == "/api/chat")
    parent, child = read_run("run.jsonl"), read_run("child.jsonl")
    assert child.manifest.samples == 2
    for record in parent.records.values():
        again = child.records[record_key(record.task_id, record.candidate, "other", record.sample)]
        assert again.answer == record.answer and again.verdict.score == 4
    result = compare_runs(read_scores("run.jsonl"), read_scores("child.jsonl"), resamples=200)
    for line in result.candidates:
        assert (line.paired, line.units, line.mean_delta) == (4, 2, 2.0)


def test_the_pass_threshold_comes_from_the_flag_else_the_config(
    tmp_path: Path, ollama: Callable[..., FakeOllama]
) -> None:
    server = ollama(models=[*CANDIDATES, "judge"])
    write_project(tmp_path, server.url, n_tasks=1, candidates=("m1",))
    config = tmp_path / "evalkit.toml"
    config.write_text("pass_threshold = 5\n" + config.read_text())
    for name, extra in (("config.jsonl", []), ("flag.jsonl", ["--pass-threshold", "3"])):
        process = start_evalkit(tmp_path, "run", "gen", "--samples", "2", "--out", name, *extra)
        assert process.wait(120) == 0, process.stderr.read().decode()
    assert read_run(tmp_path / "config.jsonl").manifest.pass_threshold == 5
    assert read_run(tmp_path / "flag.jsonl").manifest.pass_threshold == 3
