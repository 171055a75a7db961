"""`run --shard I/N` against a loopback server, then `merge`: the merged shards hold the keys
and statuses of one whole run, and the merged file is read by compare, report and
calibrate and finished by `run --resume` like any run file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from judge_replies import prefers, scripted
from ollama_server import FakeOllama
from projects import write_project

from evalkit.cli import main
from evalkit.display import console as display
from evalkit.run.shard import take_shard
from evalkit.runfile.reader import read_run
from evalkit.suites.loader import TaskStream
from evalkit.types import Task

REPO = Path(__file__).resolve().parents[2]
TASKS = 7


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama) -> FakeOllama:
    """A project of 7 tasks and candidates m1, m2, where the server lacks m2: m2's keys
    are `unavailable`, so statuses differ between keys."""
    server = ollama(models=["m1", "judge"])
    write_project(tmp_path, server.url, n_tasks=TASKS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(display.console, "width", 200)
    return server


def statuses(path: str) -> dict[tuple[str, str, str], str]:
    return {key: record.status for key, record in read_run(path).records.items()}


def run_shards(count: int) -> list[str]:
    paths = [f"shard{i}.jsonl" for i in range(1, count + 1)]
    for index, path in enumerate(paths, start=1):
        assert main(["run", "gen", "--shard", f"{index}/{count}", "--out", path]) == 3
    return paths


def test_merged_shards_hold_the_keys_and_statuses_of_one_run(shop: FakeOllama) -> None:
    assert main(["run", "gen", "--out", "whole.jsonl"]) == 3
    shards = run_shards(3)
    sizes = [read_run(p).manifest.shard.tasks for p in shards]  # type: ignore[union-attr]
    assert sorted(sizes) == [2, 2, 3]
    assert main(["merge", *shards, "-o", "merged.jsonl"]) == 0
    whole = statuses("whole.jsonl")
    assert statuses("merged.jsonl") == whole
    assert set(whole.values()) == {"ok", "unavailable"}
    assert len(whole) == 2 * TASKS


def test_a_shard_asks_only_its_tasks_and_reads_as_complete(
    shop: FakeOllama, capsys: pytest.CaptureFixture
) -> None:
    shop.models.append("m2")
    assert main(["run", "gen", "--shard", "2/3", "--out", "s.jsonl"]) == 0
    run = read_run("s.jsonl")
    mine = {key[0] for key in run.records}
    assert len(mine) == run.manifest.shard.tasks == 2  # type: ignore[union-attr]
    asked = {e["body"]["messages"][-1]["content"][:8] for e in _candidate_chats(shop)}
    assert asked == {f"TASK-{t[1:]}" for t in mine}
    capsys.readouterr()
    assert main(["report", "s.jsonl"]) == 0  # the other shards' tasks are not NOT RUN
    assert "not run" not in capsys.readouterr().out.lower()


def _candidate_chats(server: FakeOllama) -> list[dict]:
    return [e for e in server.requests if e["path"] == "/api/chat" and e["model"] != "judge"]


def test_a_resumed_shard_keeps_its_shard(shop: FakeOllama, capsys: pytest.CaptureFixture) -> None:
    assert main(["run", "gen", "--shard", "1/2", "--out", "s1.jsonl"]) == 3
    mine = {key[0] for key in read_run("s1.jsonl").records}
    assert main(["run", "--resume", "s1.jsonl", "--shard", "2/2"]) == 2
    assert "s1.jsonl is shard 1/2; a resume keeps its shard" in capsys.readouterr().err
    shop.models.append("m2")
    shop.requests.clear()
    assert main(["run", "--resume", "s1.jsonl"]) == 0
    asked = {e["body"]["messages"][-1]["content"][:8] for e in _candidate_chats(shop)}
    assert asked == {f"TASK-{t[1:]}" for t in mine}
    assert {e["model"] for e in _candidate_chats(shop)} == {"m2"}  # m1's were ok
    assert set(statuses("s1.jsonl").values()) == {"ok"}


def test_the_merged_file_is_read_by_compare_report_and_calibrate(
    shop: FakeOllama, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["run", "gen", "--out", "whole.jsonl"]) == 3
    assert main(["merge", *run_shards(2), "-o", "merged.jsonl"]) == 0
    capsys.readouterr()
    assert main(["compare", "whole.jsonl", "merged.jsonl", "--format", "json"]) == 0
    comparison = json.loads(capsys.readouterr().out)
    assert comparison["model_changes"] == []
    m1 = next(c for c in comparison["candidates"] if c["candidate"] == "m1")
    assert (m1["paired"], m1["only_a"], m1["only_b"]) == (TASKS, 0, 0)
    assert main(["report", "merged.jsonl", "-o", "report.html"]) == 0
    page = (tmp_path / "report.html").read_text()
    assert all(f"t{i:03d}" in page for i in range(TASKS))
    labels = tmp_path / "labels.jsonl"
    lines = [{"task_id": f"t{i:03d}", "candidate": "m1", "score": 2} for i in range(TASKS)]
    labels.write_text("".join(json.dumps(line) + "\n" for line in lines))
    capsys.readouterr()
    assert main(["calibrate", "merged.jsonl", "--labels", str(labels), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["matched"] == TASKS


def test_the_merged_file_is_finished_by_resume(shop: FakeOllama) -> None:
    assert main(["merge", *run_shards(2), "-o", "merged.jsonl"]) == 0
    shop.models.append("m2")
    shop.requests.clear()
    assert main(["run", "--resume", "merged.jsonl"]) == 0
    assert {e["model"] for e in _candidate_chats(shop)} == {"m2"}  # m1's were ok
    assert len(_candidate_chats(shop)) == TASKS  # every task: the shard is cleared
    assert set(statuses("merged.jsonl").values()) == {"ok"}


def test_pairwise_shards_merge_into_the_whole_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama
) -> None:
    server = ollama(models=["m1", "m2", "judge"], responder=scripted(pick=prefers("m1")))
    write_project(tmp_path, server.url, n_tasks=5)
    shutil.copy(REPO / "judges" / "pairwise-judge.md", tmp_path / "judges")
    monkeypatch.chdir(tmp_path)
    for index in (1, 2):
        out = f"p{index}.jsonl"
        pairwise = ["run", "gen", "--pairwise", "m1,m2", "--shard", f"{index}/2", "--out", out]
        assert main(pairwise) == 0
    assert main(["merge", "p1.jsonl", "p2.jsonl", "-o", "pairs.jsonl"]) == 0
    pairs = read_run("pairs.jsonl").pairs
    assert sorted(key[0] for key in pairs) == [f"t{i:03d}" for i in range(5)]
    assert {p.outcome for p in pairs.values()} == {"a"}


def test_a_streamed_suite_stays_streamed_and_yields_the_same_shard(tmp_path: Path) -> None:
    from projects import task_row

    tasks = [Task.model_validate(task_row(i)) for i in range(23)]
    spool = tmp_path / "tasks.jsonl"
    spool.write_text("".join(task.model_dump_json() + "\n" for task in tasks))
    for index in (1, 2, 3):
        held, info = take_shard(tasks, index, 3)
        streamed, same = take_shard(TaskStream(spool), index, 3)
        assert not isinstance(streamed, list)  # read from the spool on each pass
        assert list(streamed) == held and len(streamed) == len(held) == info.tasks
        assert same == info
        assert streamed[1] == held[1] and list(streamed[:2]) == held[:2]
