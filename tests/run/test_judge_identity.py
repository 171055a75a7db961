"""A judge named by path is the judge a resume uses. Runs, re-grades (`judge`) and pairwise
runs made with `--judge elsewhere/NAME.toml` resume without naming the judge again, with
that very file, not another of the same stem; a judge file changed since is refused with
what changed, unless --force."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from judge_replies import scripted
from ollama_server import FakeOllama
from projects import REPO, is_judge_request, mentions, write_project

from evalkit.cli import main
from evalkit.runfile.reader import read_run

MARKER = "JUDGED-BY-THE-FILE-ELSEWHERE"


@pytest.fixture
def server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama: Callable[..., FakeOllama]
) -> FakeOllama:
    """A project with judges/j.toml beside the config, and two judges elsewhere/: j.toml
    (the same stem, another template) and strict.toml (a stem found nowhere else)."""
    server = ollama(models=["m1", "m2", "judge"], responder=scripted(score=3))
    write_project(tmp_path, server.url, n_tasks=2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    template = (REPO / "judges" / "rubric-judge.md").read_text()
    (elsewhere / "rubric-judge.md").write_text(f"{MARKER}\n{template}")
    shutil.copy(REPO / "judges" / "pairwise-judge.md", elsewhere)
    for name in ("j", "strict"):
        (elsewhere / f"{name}.toml").write_text('model = "judge"\ntemperature = 0.0\n')
    monkeypatch.chdir(tmp_path)
    return server


def judge_prompts(server: FakeOllama) -> list[dict]:
    return [entry for entry in server.requests if is_judge_request(entry)]


@pytest.mark.parametrize("judge", ["elsewhere/strict.toml", "elsewhere/j.toml"])
def test_a_run_resumes_with_the_judge_file_it_was_graded_with(
    server: FakeOllama, judge: str
) -> None:
    assert main(["run", "gen", "--judge", judge, "--out", "run.jsonl", "--limit", "1"]) == 0
    server.requests.clear()
    assert main(["run", "--resume", "run.jsonl", "--limit", "2"]) == 0  # one task more
    prompts = judge_prompts(server)
    assert len(prompts) == 2 and all(mentions(entry, MARKER) for entry in prompts)
    run = read_run("run.jsonl")
    assert len(run.records) == 4 and all(r.status == "ok" for r in run.records.values())
    assert run.manifest.judge.path == str(Path(judge).resolve())


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda p: p.write_text(p.read_text().replace("0.0", "0.5")),
            "judge 'strict' definition changed (temperature 0.0 -> 0.5)",
        ),
        (
            lambda p: (p.parent / "rubric-judge.md").write_text(f"{MARKER}\nnew words"),
            "judge 'strict' definition changed (its prompt template changed)",
        ),
        (
            lambda p: p.write_text(p.read_text() + "# a comment\n"),
            "judge 'strict' definition changed (its file changed (definition sha256",
        ),
    ],
    ids=["setting", "template", "file-bytes"],
)
def test_a_changed_judge_file_is_refused_unless_forced(
    server: FakeOllama, capsys: pytest.CaptureFixture, edit: Callable[[Path], None], expected: str
) -> None:
    assert main(["run", "gen", "--judge", "elsewhere/strict.toml", "--out", "run.jsonl"]) == 0
    edit(Path("elsewhere/strict.toml"))
    before = Path("run.jsonl").read_bytes()
    capsys.readouterr()
    assert main(["run", "--resume", "run.jsonl"]) == 2
    assert expected in " ".join(capsys.readouterr().err.split())
    assert Path("run.jsonl").read_bytes() == before
    assert main(["run", "--resume", "run.jsonl", "--force"]) == 0
    [resume] = read_run("run.jsonl").resumes
    assert any(expected in change for change in resume.forced)  # what --force let through


def test_a_moved_judge_file_is_named_in_the_error(
    server: FakeOllama, capsys: pytest.CaptureFixture
) -> None:
    assert main(["run", "gen", "--judge", "elsewhere/strict.toml", "--out", "run.jsonl"]) == 0
    was = Path("elsewhere/strict.toml").resolve()
    Path("elsewhere").rename("moved")
    capsys.readouterr()
    assert main(["run", "--resume", "run.jsonl"]) == 2
    assert f"was loaded from {was}, which is gone" in " ".join(capsys.readouterr().err.split())
    assert main(["run", "--resume", "run.jsonl", "--judge", "moved/strict.toml"]) == 0


def test_a_regrade_resumes_with_its_judge_file(
    server: FakeOllama, capsys: pytest.CaptureFixture
) -> None:
    assert main(["run", "gen", "--out", "run.jsonl"]) == 0
    regrade = ["judge", "run.jsonl", "--judge", "elsewhere/strict.toml", "--out", "child.jsonl"]
    assert main(regrade) == 0
    assert main(["judge", "--resume", "child.jsonl"]) == 0
    assert len(read_run("child.jsonl").resumes) == 1
    Path("elsewhere/strict.toml").write_text('model = "judge"\ntemperature = 0.5\n')
    capsys.readouterr()
    assert main(["judge", "--resume", "child.jsonl"]) == 2
    assert "temperature 0.0 -> 0.5" in " ".join(capsys.readouterr().err.split())
    assert main(["judge", "--resume", "child.jsonl", "--force"]) == 0


def test_a_pairwise_run_resumes_with_its_judge_file(
    server: FakeOllama, capsys: pytest.CaptureFixture
) -> None:
    pairwise = ["run", "gen", "--pairwise", "m1,m2", "--judge", "elsewhere/j.toml"]
    assert main([*pairwise, "--out", "pairs.jsonl", "--limit", "1"]) == 0
    server.requests.clear()
    assert main(["run", "--resume", "pairs.jsonl", "--limit", "2"]) == 0
    assert len(read_run("pairs.jsonl").pairs) == 2
    assert len(judge_prompts(server)) == 2  # the new task's pair, in both orders
    Path("elsewhere/j.toml").write_text('model = "judge"\ntemperature = 0.5\n')
    capsys.readouterr()
    assert main(["run", "--resume", "pairs.jsonl"]) == 2
    assert "temperature 0.0 -> 0.5" in " ".join(capsys.readouterr().err.split())
