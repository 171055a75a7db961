"""Resuming with a suite, profile, model settings or judge that differ from the run file's
manifest is refused with what changed, unless --force; another suite is always refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ollama_server import FakeOllama
from projects import write_project, write_suite

from evalkit.cli import main


@pytest.fixture
def finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama: Callable[..., FakeOllama]
) -> Path:
    server = ollama(models=["m1", "m2", "judge"])
    write_project(tmp_path, server.url, n_tasks=2)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", "run.jsonl", "--limit", "1"]) == 0
    return tmp_path


def change(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new, 1))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda p: change(p / "evalkit.toml", "temperature = 0.3", "temperature = 0.9"),
            "model 'm1' settings changed",
        ),
        (
            lambda p: change(p / "judges" / "rubric-judge.md", "senior", "junior"),
            "judge 'j' definition changed",
        ),
        (lambda p: write_suite(p, 3), "the suite's tasks changed"),
    ],
    ids=["model-settings", "judge-prompt", "suite-tasks"],
)
def test_changed_settings_refuse_resume_unless_forced(
    finished: Path, capsys: pytest.CaptureFixture, mutate: Callable[[Path], None], expected: str
) -> None:
    mutate(finished)
    before = (finished / "run.jsonl").read_bytes()
    assert main(["run", "--resume", "run.jsonl"]) == 2
    assert expected in " ".join(capsys.readouterr().err.split())
    assert (finished / "run.jsonl").read_bytes() == before
    assert main(["run", "--resume", "run.jsonl", "--force"]) == 0


def test_resuming_with_another_suite_is_refused_even_forced(
    finished: Path, capsys: pytest.CaptureFixture
) -> None:
    write_suite(finished, 2, name="other")
    assert main(["run", "other", "--resume", "run.jsonl", "--force"]) == 2
    assert "made from suite 'gen', not 'other'" in " ".join(capsys.readouterr().err.split())
