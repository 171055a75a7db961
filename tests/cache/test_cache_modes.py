"""What is never cached (failures), --no-cache and --refresh, `judge` (re-grade) with the
cache, and several processes on one cache file at once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from cached_project import EVERY, asked, from_cache, responder, run

from evalkit.cache import CacheStore
from evalkit.cli import main
from evalkit.runfile.reader import read_run

REPO = Path(__file__).resolve().parents[2]


def entries(cache_file: Path) -> dict[str, int]:
    store = CacheStore(cache_file)
    stats = store.stats()
    store.close()
    return {"answers": stats.answers, "verdicts": stats.verdicts}


def test_errors_unavailable_and_judge_errors_are_never_cached(server, cache_file: Path) -> None:
    server.set_faults(model="m1", status_for_chat=400)  # m1's requests fail: error
    server.models.remove("m2")  # m2 is not on the server: unavailable
    server.models.append("m3")
    assert run("broken.jsonl") == 3
    statuses = {r.candidate: r.status for r in read_run("broken.jsonl").records.values()}
    assert statuses == {"m1": "error", "m2": "unavailable"}
    assert entries(cache_file) == {"answers": 0, "verdicts": 0}

    server.clear_faults()
    server.models.append("m2")
    server.responder = responder(score=9)  # the judge never gives a valid verdict
    assert run("invalid.jsonl") == 3
    assert {r.status for r in read_run("invalid.jsonl").records.values()} == {"judge_error"}
    assert entries(cache_file) == {"answers": 6, "verdicts": 0}  # the answers were fine

    server.responder = responder(score=4)
    server.requests.clear()
    assert run("fixed.jsonl") == 0
    assert asked(server) == (0, 6)  # every answer from the cache, every verdict asked again
    answers, verdicts = from_cache("fixed.jsonl")
    assert (answers, verdicts) == (EVERY, set())


def test_no_cache_asks_everything_and_leaves_the_cache_alone(server, cache_file: Path) -> None:
    assert run("first.jsonl") == 0
    first = read_run("first.jsonl").manifest.run_id
    server.requests.clear()
    assert run("uncached.jsonl", "--no-cache") == 0
    assert asked(server) == (6, 6)
    assert from_cache("uncached.jsonl") == (set(), set())
    manifest = json.loads(Path("uncached.jsonl").read_text().splitlines()[0])
    assert "cache" not in manifest
    server.requests.clear()
    assert run("third.jsonl") == 0
    assert asked(server) == (0, 0)
    records = read_run("third.jsonl").records.values()
    assert {r.cached_answer_from for r in records} == {first}  # not the --no-cache run's


def test_refresh_asks_again_and_overwrites(server) -> None:
    assert run("first.jsonl") == 0
    server.requests.clear()
    assert run("refreshed.jsonl", "--refresh") == 0
    assert asked(server) == (6, 6)
    assert from_cache("refreshed.jsonl") == (set(), set())
    refreshed = read_run("refreshed.jsonl").manifest
    assert refreshed.cache is not None and refreshed.cache.mode == "refresh"
    server.requests.clear()
    assert run("third.jsonl") == 0
    assert asked(server) == (0, 0)
    records = read_run("third.jsonl").records.values()
    assert {r.cached_verdict_from for r in records} == {refreshed.run_id}


def test_no_cache_and_refresh_together_is_a_usage_error(server, capsys) -> None:
    try:
        run("x.jsonl", "--no-cache", "--refresh")
    except SystemExit as exc:
        assert exc.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_regrade_uses_the_verdict_cache(server) -> None:
    assert run("run.jsonl") == 0
    regrade = ["judge", "run.jsonl", "--judge", "other"]
    assert main([*regrade, "--out", "child.jsonl"]) == 0
    server.requests.clear()
    assert main([*regrade, "--out", "again.jsonl"]) == 0
    assert asked(server) == (0, 0)
    child = read_run("child.jsonl")
    for record in read_run("again.jsonl").records.values():
        assert record.cached_verdict_from == child.manifest.run_id
        assert record.cached_answer_from is None  # the answers are the parent's, as always
        assert record.verdict == child.records[record.key].verdict
    server.requests.clear()
    assert main([*regrade, "--out", "fresh.jsonl", "--refresh"]) == 0
    assert asked(server) == (0, 6)


def test_a_resume_keeps_the_cache_mark_of_a_kept_answer(server) -> None:
    assert run("first.jsonl") == 0
    server.responder = responder(score=lambda body: 9 if body["model"] == "judge-b" else 4)
    assert run("second.jsonl", "--judge", "other") == 3  # answers from the cache, judge_error
    server.responder = responder(score=4)
    server.requests.clear()
    assert main(["run", "--resume", "second.jsonl"]) == 0
    assert asked(server) == (0, 6)  # the kept answers are only graded
    first = read_run("first.jsonl").manifest.run_id
    second = read_run("second.jsonl")
    records = second.records.values()
    assert {(r.cached_answer_from, r.cached_verdict_from) for r in records} == {(first, None)}
    (resume,) = second.resumes
    assert resume.cache is not None and resume.cache == second.manifest.cache


def test_each_resume_line_says_how_its_session_used_the_cache(server) -> None:
    server.set_faults(model="m1", status_for_chat=400)  # m1 fails: something left to resume
    assert run("runs.jsonl") == 3
    server.clear_faults()
    assert main(["run", "--resume", "runs.jsonl", "--no-cache"]) == 0
    assert main(["run", "--resume", "runs.jsonl", "--refresh"]) == 0
    lines = [json.loads(line) for line in Path("runs.jsonl").read_text().splitlines()]
    resumes = [line for line in lines if line["type"] == "resume"]
    assert [line.get("cache", {}).get("mode") for line in resumes] == [None, "refresh"]
    assert "cache" not in resumes[0]  # as the line was written before the field existed
    assert resumes[1]["cache"]["path"] == lines[0]["cache"]["path"]


def test_two_runs_at_once_share_the_cache(server, tmp_path: Path, cache_file: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "EVALKIT_CACHE": str(cache_file)}
    command = [sys.executable, "-m", "evalkit", "run", "gen", "--out"]
    both = [
        subprocess.Popen(
            [*command, f"{name}.jsonl"],
            cwd=tmp_path,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name in ("a", "b")
    ]
    for process in both:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert "failed" not in out + err  # no cache read or write failed
    for name in ("a", "b"):
        assert {r.status for r in read_run(f"{name}.jsonl").records.values()} == {"ok"}
    assert entries(cache_file) == {"answers": 6, "verdicts": 6}
    server.requests.clear()
    assert run("c.jsonl") == 0
    assert asked(server) == (0, 0)


def test_each_sample_is_its_own_key(server) -> None:
    assert run("one.jsonl") == 0
    server.requests.clear()
    assert run("two.jsonl", "--samples", "2") == 0
    assert asked(server) == (6, 6)  # sample 0 from the cache; sample 1 (seed + 1) asked
    records = read_run("two.jsonl").records.values()
    assert {r.sample for r in records if r.cached_answer_from} == {0}
    assert {r.sample for r in records if not r.cached_answer_from} == {1}
    server.requests.clear()
    assert run("again.jsonl", "--samples", "2") == 0
    assert asked(server) == (0, 0)


def test_a_pairwise_run_takes_the_answers_an_absolute_run_stored(
    server, tmp_path: Path, capsys
) -> None:
    """The same models, settings and prompts: a pairwise run after an absolute one asks
    the judge only; its pair lines say where each answer came from; picks are not cached,
    so a second pairwise run asks the judge again."""
    shutil.copy(REPO / "judges" / "pairwise-judge.md", tmp_path / "judges")
    assert run("absolute.jsonl") == 0
    first = read_run("absolute.jsonl")
    server.requests.clear()
    assert run("pairs.jsonl", "--pairwise", "m1,m2") == 0
    assert asked(server) == (0, 6)  # 3 tasks x both orders; no candidate asked
    pairs = read_run("pairs.jsonl").pairs.values()
    assert {(p.cached_answer_a_from, p.cached_answer_b_from) for p in pairs} == {
        (first.manifest.run_id, first.manifest.run_id)
    }
    answers = {(r.task_id, r.candidate): r.answer.text for r in first.records.values()}
    assert all(p.answer_a.text == answers[(p.task_id, "m1")] for p in pairs)
    assert "from the cache: 6 answer(s) of 3 pair(s)" in capsys.readouterr().out
    manifest = json.loads(Path("pairs.jsonl").read_text().splitlines()[0])
    assert manifest["cache"]["mode"] == "use"

    server.requests.clear()
    assert run("uncached-pairs.jsonl", "--pairwise", "m1,m2", "--no-cache") == 0
    assert asked(server) == (6, 6)
    lines = Path("uncached-pairs.jsonl").read_text().splitlines()
    assert not any("cached_answer" in line for line in lines)  # written as before the cache


def test_a_resumed_pairwise_run_keeps_the_marks_of_its_kept_answers(server, tmp_path: Path) -> None:
    shutil.copy(REPO / "judges" / "pairwise-judge.md", tmp_path / "judges")
    assert run("absolute.jsonl") == 0
    first = read_run("absolute.jsonl").manifest.run_id
    server.set_faults(model="judge", status_for_chat=400)  # every pick fails
    assert run("pairs.jsonl", "--pairwise", "m1,m2") == 3
    assert {p.status for p in read_run("pairs.jsonl").pairs.values()} == {"error"}
    server.clear_faults()
    server.requests.clear()
    assert main(["run", "--resume", "pairs.jsonl"]) == 0
    assert asked(server) == (0, 6)  # the kept answers are only judged
    pairs = read_run("pairs.jsonl").pairs.values()
    assert {(p.status, p.cached_answer_a_from, p.cached_answer_b_from) for p in pairs} == {
        ("ok", first, first)
    }
