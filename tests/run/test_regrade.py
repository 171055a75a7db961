"""Re-grading a run file with another judge, and the recorded gold runs shipped in suites/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from judge_replies import scripted
from projects import is_judge_request, mentions, write_project

from evalkit.analysis.calibrate import calibrate_files
from evalkit.cli import main
from evalkit.runfile.reader import read_run

REPO = Path(__file__).resolve().parents[2]
GOLD = [
    # (suite, answers file, recorded run, labels, notes passed to the script)
    (
        "big-brain",
        "answers/seed-gemma3-1b.jsonl",
        "runs/seed-gemma3-1b.jsonl",
        "labels/seed-expert-grades.jsonl",
        "gemma3:1b on local Ollama (Apple Silicon); answers as recorded in the Big Brain"
        " benchmark of 2026-04-14 (task 4 rewritten from its summary); sampling settings not"
        " recorded",
    ),
    (
        "engineering",
        "answers/sample-answers.jsonl",
        "runs/sample-answers.jsonl",
        "labels/expert-grades.jsonl",
        "written by hand as a weak and a strong answer, for judge calibration",
    ),
]


@pytest.fixture
def graded(tmp_path: Path, ollama, monkeypatch: pytest.MonkeyPatch):
    """A project whose run.jsonl was graded by judge j (score 2); judge `other` (model
    judge-b) gives 4. Returns the server, its request log cleared."""
    models = {"judge": 2, "judge-b": 4}
    server = ollama(
        models=["m1", "m2", "judge", "judge-b"],
        responder=scripted(score=lambda body: models[body["model"]]),
    )
    write_project(tmp_path, server.url, n_tasks=3)
    with (tmp_path / "evalkit.toml").open("a") as config:
        config.write('\n[models."judge-b"]\nendpoint = "srv"\n')
    (tmp_path / "judges" / "other.toml").write_text('model = "judge-b"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", "run.jsonl"]) == 0
    server.requests.clear()
    return server


def test_judge_calls_no_candidate_and_names_its_parent(graded) -> None:
    assert main(["judge", "run.jsonl", "--judge", "other", "--out", "child.jsonl"]) == 0
    chats = [entry for entry in graded.requests if entry["path"] == "/api/chat"]
    assert len(chats) == 6
    assert all(is_judge_request(entry) and entry["model"] == "judge-b" for entry in chats)
    parent, child = read_run("run.jsonl"), read_run("child.jsonl")
    assert child.manifest.parent == "run.jsonl"
    assert child.manifest.judge.name == "other"
    assert child.manifest.run_id != parent.manifest.run_id
    assert child.manifest.models["m1"] == parent.manifest.models["m1"]
    assert "judge-b" in child.manifest.models
    for (task, candidate, _), record in parent.records.items():
        again = child.records[(task, candidate, "other")]
        assert again.answer == record.answer
        assert (record.verdict.score, again.verdict.score) == (2, 4)


def test_judge_resumes_only_the_keys_not_ok(graded) -> None:
    broken = {"on": True}
    good = scripted(score=4)

    def flaky(body: dict) -> str:  # the judge replies nonsense about TASK-001 while broken
        if broken["on"] and "TASK-001" in body["messages"][0]["content"]:
            return "not json"
        return good(body)

    graded.responder = flaky
    assert main(["judge", "run.jsonl", "--judge", "other", "--out", "child.jsonl"]) == 3
    statuses = {key[:2]: r.status for key, r in read_run("child.jsonl").records.items()}
    assert statuses[("t001", "m1")] == "judge_error"
    broken["on"] = False
    graded.requests.clear()
    assert main(["judge", "--resume", "child.jsonl"]) == 0
    chats = [entry for entry in graded.requests if entry["path"] == "/api/chat"]
    assert len(chats) == 2 and all(mentions(entry, "TASK-001") for entry in chats)
    assert all(r.status == "ok" for r in read_run("child.jsonl").records.values())


def test_keys_without_an_answer_are_carried_over(tmp_path: Path, ollama, monkeypatch) -> None:
    server = ollama(models=["m1", "judge"], responder=scripted(score=3))  # m2 is not pulled
    write_project(tmp_path, server.url, n_tasks=2)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", "run.jsonl"]) == 3
    server.requests.clear()
    assert main(["judge", "run.jsonl", "--judge", "j", "--out", "child.jsonl"]) == 3
    assert {e["model"] for e in server.requests if e["path"] == "/api/chat"} == {"judge"}
    child = read_run("child.jsonl").records
    assert {k: r.status for k, r in child.items() if k[1] == "m2"} == {
        ("t000", "m2", "j"): "unavailable",
        ("t001", "m2", "j"): "unavailable",
    }


def test_a_changed_suite_is_refused_unless_forced(graded, capsys) -> None:
    data = Path("suites/gen/data/test.jsonl")
    data.write_text(data.read_text().replace("briefly", "at length"))
    assert main(["judge", "run.jsonl", "--judge", "other", "--out", "child.jsonl"]) == 2
    assert "has changed since the run was made" in capsys.readouterr().err.replace("\n", " ")
    assert main(["judge", "run.jsonl", "--judge", "other", "--force", "--out", "c.jsonl"]) == 0


@pytest.mark.parametrize(("suite", "answers", "run", "labels", "notes"), GOLD)
def test_the_shipped_recorded_runs_are_what_the_script_makes(
    tmp_path: Path, suite: str, answers: str, run: str, labels: str, notes: str
) -> None:
    """A stale recorded run (the suite or the record format changed) fails here, not in a
    user's hands; regenerate it with the command in the README."""
    folder = REPO / "suites" / suite
    out = tmp_path / Path(run).name
    subprocess.run(
        [sys.executable, "scripts/recorded_answers.py", str(folder / answers), "--suite", suite,
         "--out", str(out), "--recorded-at", "2026-04-14", "--notes", notes],
        cwd=REPO, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    made, shipped = out.read_text().splitlines(), (folder / run).read_text().splitlines()
    assert made[1:] == shipped[1:]
    version = {"evalkit_version": None}  # a release alone does not make a recorded run stale
    assert {**json.loads(made[0]), **version} == {**json.loads(shipped[0]), **version}
    recorded = read_run(folder / run)
    lines = [json.loads(line) for line in (folder / answers).read_text().splitlines()]
    assert len(recorded.records) == len(lines)
    for record in recorded.records.values():
        assert record.status == "unavailable" and record.verdict is None
        assert record.error is not None and record.error.kind == "NotGraded"
    texts = {(r.task_id, r.candidate): r.answer.text for r in recorded.records.values()}
    assert texts == {(x["task_id"], x["candidate"]): x["text"] for x in lines}
    label_lines = (folder / labels).read_text().splitlines()
    labelled = {(x["task_id"], x["candidate"]) for x in map(json.loads, label_lines)}
    assert labelled == set(texts)  # every recorded answer has an expert label


@pytest.mark.parametrize("suite", ["big-brain", "engineering"])
def test_extra_folders_do_not_change_what_load_dataset_loads(suite: str) -> None:
    import datasets

    folder = REPO / "suites" / suite
    rows = [json.loads(line) for line in (folder / "data" / "test.jsonl").read_text().splitlines()]
    loaded = datasets.load_dataset(str(folder))
    assert list(loaded) == ["test"]
    assert loaded["test"]["id"] == [row["id"] for row in rows]


def test_gold_runs_regrade_and_calibrate_against_a_loopback_judge(
    project: Path, ollama, capsys
) -> None:
    """Both gold runs, re-graded through the shipped config by a judge on a model string
    (pointed at a loopback server), calibrate against every label they ship with."""
    server = ollama(models=["judge:7b"], responder=scripted(score=lambda body: 2))
    (project / "judges" / "loop.toml").write_text('model = "judge:7b"\nendpoint = "local"\n')
    for suite, _, run, labels, _ in GOLD:
        out = project / f"{suite}.jsonl"
        args = ["judge", f"suites/{suite}/{run}", "--judge", "loop", "--out", str(out)]
        assert main([*args, "--endpoint", f"local={server.url}"]) == 0
        report = calibrate_files(out, f"suites/{suite}/{labels}")
        assert report.matched == len(read_run(out).records)
        assert report.unmatched.no_record == 0 and not report.unmatched.not_ok
    assert {e["model"] for e in server.requests if e["path"] == "/api/chat"} == {"judge:7b"}


@pytest.mark.embedded
def test_the_seed_gold_data_calibrates_out_of_the_box(project: Path, capsys) -> None:
    """The two commands of the README, on the real embedded judge. Its grammar makes every
    reply a verdict, so all four answers are graded and all four match a label."""
    seed = "suites/big-brain/runs/seed-gemma3-1b.jsonl"
    assert main(["judge", seed, "--judge", "embedded", "--out", "seed-embedded.jsonl"]) == 0
    records = read_run("seed-embedded.jsonl").records.values()
    assert len(records) == 4 and {r.judge for r in records} == {"embedded"}
    assert [r.status for r in records] == ["ok"] * 4
    capsys.readouterr()
    labels = "suites/big-brain/labels/seed-expert-grades.jsonl"
    assert main(["calibrate", "seed-embedded.jsonl", "--labels", labels, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["matched"] == 4 and not report["unmatched"]["not_ok"]
    assert report["spearman"] is None  # the expert gave every answer 2: nothing to rank
