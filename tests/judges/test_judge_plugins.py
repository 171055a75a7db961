"""A new judge needs no change to evalkit: a TOML file, a path, a model on an endpoint, or
a Python class in an installed package registered under the entry-point group."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from judge_replies import scripted
from projects import is_judge_request, write_project

from evalkit.cli import main
from evalkit.config import load_config
from evalkit.endpoints.pool import Pool
from evalkit.judges.loading import known_judges, load_judge
from evalkit.runfile.reader import read_run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """tests/plugin_pkg installed with pip into a folder of its own (dist-info included,
    so importlib.metadata finds its entry point once the folder is on sys.path)."""
    root = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(REPO / "tests" / "plugin_pkg", root / "src")  # builds write here
    target = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    yield target


@pytest.fixture
def project(tmp_path: Path, ollama, monkeypatch: pytest.MonkeyPatch):
    server = ollama(models=["m1", "m2", "judge", "qwen2.5:7b"], responder=scripted(score=4))
    write_project(tmp_path, server.url, n_tasks=2)
    monkeypatch.chdir(tmp_path)
    return server


def test_a_judge_defined_only_by_a_new_file_grades_a_run(project, tmp_path: Path) -> None:
    (tmp_path / "judges" / "fresh.toml").write_text('model = "judge"\nmax_tokens = 300\n')
    assert main(["run", "gen", "--judge", "fresh", "--out", "run.jsonl"]) == 0
    run = read_run("run.jsonl")
    assert run.manifest.judge.name == "fresh"
    assert run.manifest.judge.settings["max_tokens"] == 300
    assert {(r.judge, r.status, r.verdict.score) for r in run.records.values()} == {
        ("fresh", "ok", 4)
    }


def test_a_judge_given_by_path(project, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(REPO / "judges" / "rubric-judge.md", elsewhere / "strict.md")
    (elsewhere / "my-judge.toml").write_text('model = "judge"\ntemplate = "strict.md"\n')
    path = str(elsewhere / "my-judge.toml")
    assert main(["run", "gen", "--judge", path, "--limit", "1", "--out", "run.jsonl"]) == 0
    assert {r.judge for r in read_run("run.jsonl").records.values()} == {"my-judge"}


def test_a_judge_on_a_litellm_model_string_and_an_endpoint(project, tmp_path: Path) -> None:
    (tmp_path / "judges" / "qwen.toml").write_text(
        'model = "ollama_chat/qwen2.5:7b"\nendpoint = "srv"\n'
    )
    assert main(["run", "gen", "--judge", "qwen", "--limit", "1", "--out", "run.jsonl"]) == 0
    judged = {entry["model"] for entry in project.requests if is_judge_request(entry)}
    assert judged == {"qwen2.5:7b"}
    run = read_run("run.jsonl")
    assert run.manifest.models["ollama_chat/qwen2.5:7b"].litellm_model == "ollama_chat/qwen2.5:7b"
    assert all(r.status == "ok" for r in run.records.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('model = "ollama/qwen2.5:7b"\nendpoint = "srv"\n', "called as ollama_chat/"),
        ('model = "qwen2.5:7b"\nendpoint = "nowhere"\n', "unknown endpoint 'nowhere'"),
        ('model = "judge"\nendpoint = "srv"\n', "also a config model"),  # same name, other model
        ('model = "not-in-config"\n', "unknown model 'not-in-config'"),
    ],
)
def test_bad_judge_models_are_config_errors(
    project, tmp_path: Path, capsys: pytest.CaptureFixture, text: str, message: str
) -> None:
    (tmp_path / "judges" / "bad.toml").write_text(text)
    assert main(["check", "--judge", "bad"]) == 2
    assert message in capsys.readouterr().err.replace("\n", " ")


def test_an_unknown_judge_lists_the_judges_that_exist(
    project, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "judges" / "other.toml").write_text('model = "judge"\n')
    assert main(["run", "gen", "--judge", "nope"]) == 2
    err = capsys.readouterr().err.replace("\n", " ")
    assert "unknown judge 'nope'; known: " in err
    assert "j, " in err and "other" in err


def test_an_installed_plugin_is_known_and_loads_by_name(
    plugin_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(tmp_path, "http://127.0.0.1:9", n_tasks=1)
    monkeypatch.syspath_prepend(str(plugin_site))
    loaded = load_config(str(tmp_path / "evalkit.toml"))
    assert "keyword" in known_judges(loaded.base_dir)
    judge = load_judge("keyword", Pool(loaded))
    assert judge.info().kind == "keyword"


def test_a_plugin_judge_grades_a_run(plugin_site: Path, project, tmp_path: Path) -> None:
    """The whole CLI in a fresh process that has the plugin installed, and nothing else."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_site), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-m", "evalkit", "run", "gen", "--judge", "keyword", "--out", "run.jsonl"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    run = read_run(tmp_path / "run.jsonl")
    assert run.manifest.judge.kind == "keyword"
    records = list(run.records.values())
    assert len(records) == 4 and all(r.judge == "keyword" and r.status == "ok" for r in records)
    # "Answer from m1: TASK-000: explain item 0 briefly." names "brief", not "explains":
    # the plugin scores 3, and the missed fatal criterion caps it at 2, as for any judge
    assert {(r.verdict.score, r.verdict.capped_from) for r in records} == {(2, 3)}
    assert not any(is_judge_request(entry) for entry in project.requests)


def test_a_plugin_judge_written_for_the_text_alone_grades_cut_answers(
    plugin_site: Path, project, tmp_path: Path
) -> None:
    """A plugin's grade(task, answer) takes no finish_reason: evalkit gives it the text
    only, as before, and the cut answers are graded."""
    write_project(tmp_path, project.url, n_tasks=2, max_tokens={"m1": 3})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_site), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-m", "evalkit", "run", "gen", "--judge", "keyword", "--out", "run.jsonl"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    records = list(read_run(tmp_path / "run.jsonl").records.values())
    assert len(records) == 4 and all(r.status == "ok" for r in records)
    assert {r.candidate for r in records if r.answer.truncated} == {"m1"}
    assert "m1: 2 answers cut at max_tokens (3)" in " ".join(done.stdout.split())
