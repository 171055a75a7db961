"""A suite read ahead by a helper process (`spool.prefetch`, what `run` starts first) is the
suite `load_suite` reads without it: the same tasks and fingerprint, the same errors; a
helper nobody took leaves no process and no file behind."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.errors import SuiteError
from evalkit.suites import spool
from evalkit.suites.loader import Suite, load_suite
from evalkit.suites.spool import prefetch

ROW = {
    "id": "t1",
    "prompt": "Say hi",
    "reference": "hi",
    "rubric": [{"id": "greets", "criterion": "Says hi", "severity": "fatal"}],
}
CHECK = {"id": "hi", "kind": "contains", "text": "hi", "severity": "fatal"}
SUITES: dict[str, list[object]] = {
    "good": [ROW, {**ROW, "id": "t2", "checks": [CHECK], "tags": None}],
    "bad-row": [ROW, {**ROW, "id": "t2", "rubric": []}],
    "bad-json": [ROW, "{not json"],
    "duplicate-id": [ROW, ROW],
    "empty": [""],
}


def write(base: Path, rows: list[object], name: str = "s") -> Path:
    folder = base / "suites" / name
    (folder / "data").mkdir(parents=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    (folder / "data" / "test.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def outcome(ref: str, base: Path) -> tuple[object, list[object]] | str:
    try:
        suite: Suite = load_suite(ref, base)
    except SuiteError as exc:
        return str(exc)
    return suite.info, list(suite.tasks)


@pytest.mark.parametrize("name", SUITES)
def test_a_prefetched_suite_is_the_suite_load_suite_reads(tmp_path: Path, name: str) -> None:
    write(tmp_path, SUITES[name])
    alone = outcome("s", tmp_path)
    prefetch("s", tmp_path)
    assert outcome("s", tmp_path) == alone
    assert outcome("s", tmp_path) == alone  # taken once; the next load reads it itself


@pytest.mark.parametrize("name", ["good", "bad-row"])
def test_a_helper_in_a_new_interpreter_reads_the_same_suite(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, SUITES[name])
    alone = outcome("s", tmp_path)
    monkeypatch.setattr(spool.threading, "active_count", lambda: 2)  # no fork with threads
    monkeypatch.setattr(spool, "_STARTED", {})  # helpers earlier tests left untaken
    prefetch("s", tmp_path)
    (reading,) = spool._STARTED.values()
    assert not isinstance(reading.process, spool.Forked)
    assert outcome("s", tmp_path) == alone


def test_a_prefetch_for_other_arguments_is_not_taken(tmp_path: Path) -> None:
    write(tmp_path, [ROW], "a")
    write(tmp_path, [{**ROW, "id": "other"}], "b")
    prefetch("a", tmp_path)
    assert [task.id for task in load_suite("b", tmp_path).tasks] == ["other"]
    assert [task.id for task in load_suite("a", tmp_path).tasks] == ["t1"]


def test_an_unknown_suite_is_refused_as_without_a_prefetch(tmp_path: Path) -> None:
    write(tmp_path, [ROW], "alpha")
    prefetch("beta", tmp_path)
    with pytest.raises(SuiteError, match=r"unknown suite 'beta'.*known: alpha"):
        load_suite("beta", tmp_path)


def test_a_helper_nobody_takes_is_stopped_and_its_spool_removed(tmp_path: Path) -> None:
    write(tmp_path, [ROW])
    script = (
        "import sys; from pathlib import Path; from evalkit.suites import spool\n"
        "spool.prefetch('s', Path(sys.argv[1]))\n"
        "(reading,) = spool._STARTED.values()\n"
        "print(reading.process.pid, reading.target)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True
    )
    pid, target = done.stdout.split()
    assert not Path(target).parent.exists()
    assert not Path(f"/proc/{pid}").exists()  # ended, and reaped by the process that started it


def test_run_names_the_file_and_row_of_a_bad_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "evalkit.toml").write_text(
        'default_profile = "p"\n[endpoints.e]\nkind = "ollama"\nurl = "http://127.0.0.1:9"\n'
        '[models.m]\nendpoint = "e"\n[profiles.p]\ncandidates = ["m"]\njudge = "j"\n'
    )
    (tmp_path / "judges").mkdir()
    (tmp_path / "judges" / "j.toml").write_text('model = "m"\n')
    repo = Path(__file__).resolve().parents[2]
    template = (repo / "judges" / "rubric-judge.md").read_text()
    (tmp_path / "judges" / "rubric-judge.md").write_text(template)
    folder = write(tmp_path, [ROW, {**ROW, "id": "t2", "rubric": []}])
    code = main(["run", "s", "--config", str(tmp_path / "evalkit.toml"), "--no-cache"])
    message = capsys.readouterr().err
    assert code == 2
    assert str(folder / "data" / "test.jsonl") in message
    assert "row 2" in message and "rubric" in message
    assert not (tmp_path / "results").exists()
