"""Verdict replies are read strictly: a field of the wrong JSON type (`"score": true`,
`5.0`, `"5"`, `"met": "true"`) is an invalid verdict, sent back once with the error and
then `judge_error`, never coerced into a score. Servers that ignore the JSON schema (litellm
drops parameters it does not support) are where such replies come from."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from judge_replies import scripted, verdict_reply
from ollama_replies import default_responder
from projects import is_judge_request, write_project

from evalkit.cli import main
from evalkit.runfile.reader import read_run

REPO = Path(__file__).resolve().parents[2]
Body = dict[str, Any]


def replying(*changes: Callable[[dict], None]) -> Callable[[Body], str]:
    """A judge whose n-th verdict reply is a valid verdict (score 4) changed by changes[n]
    (the last change again for any later reply); candidates get text."""
    replies: list[int] = []

    def respond(body: Body) -> str:
        if not isinstance(body.get("format"), dict):
            return default_responder(body)
        verdict = json.loads(verdict_reply(body["format"], 4, label="GOOD"))
        changes[min(len(replies), len(changes) - 1)](verdict)
        replies.append(1)
        return json.dumps(verdict)

    return respond


def setting(field: str, value: object) -> Callable[[dict], None]:
    def change(verdict: dict) -> None:
        verdict[field] = value

    return change


def setting_met(value: object) -> Callable[[dict], None]:
    def change(verdict: dict) -> None:
        verdict["criteria"][0]["met"] = value

    return change


def unchanged(verdict: dict) -> None:
    pass


WRONG_TYPES = {
    "score-true": (setting("score", True), "score"),
    "score-float": (setting("score", 5.0), "score"),
    "score-string": (setting("score", "5"), "score"),
    "met-string": (setting_met("true"), "criteria.0.met"),
    "met-int": (setting_met(1), "criteria.0.met"),
    "met-yes": (setting_met("yes"), "criteria.0.met"),
    "note-number": (lambda v: v["criteria"][0].update(note=7), "criteria.0.note"),
    "label-number": (setting("label", 4), "label"),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_one(project: Path, ollama, responder: Callable[[Body], str]) -> tuple[int, Any]:
    server = ollama(models=["m1", "judge"], responder=responder)
    write_project(project, server.url, n_tasks=1, candidates=("m1",))
    code = main(["run", "gen", "--out", "run.jsonl"])
    return code, server


@pytest.mark.parametrize("case", list(WRONG_TYPES), ids=list(WRONG_TYPES))
def test_a_wrong_json_type_is_asked_again_then_judge_error(
    project: Path, ollama, case: str
) -> None:
    change, field = WRONG_TYPES[case]
    code, server = run_one(project, ollama, replying(change))
    assert code == 3
    [record] = read_run("run.jsonl").records.values()
    assert record.status == "judge_error" and record.verdict is None
    assert record.error is not None and record.error.kind == "InvalidVerdict"
    assert f"{field}:" in record.error.message
    assert len(record.judge_raw) == 2  # the first reply and the one asked again
    assert sum(is_judge_request(e) for e in server.requests) == 2


def test_a_wrong_type_then_a_valid_reply_grades_with_the_valid_one(project: Path, ollama) -> None:
    code, server = run_one(project, ollama, replying(setting("score", True), unchanged))
    assert code == 0
    [record] = read_run("run.jsonl").records.values()
    assert (record.status, record.verdict.score, record.verdict.label) == ("ok", 4, "GOOD")
    retry = [e for e in server.requests if is_judge_request(e)][1]["body"]["messages"][-1]
    assert "score" in retry["content"]  # the judge was told what was wrong


def test_a_pick_with_the_wrong_json_type_is_judge_error(project: Path, ollama) -> None:
    server = ollama(models=["m1", "m2", "judge"], responder=scripted(pick=lambda a, b: 1))
    write_project(project, server.url, n_tasks=1)
    shutil.copy(REPO / "judges" / "pairwise-judge.md", project / "judges")
    assert main(["run", "gen", "--pairwise", "m1,m2", "--out", "pairs.jsonl"]) == 3
    [pair] = read_run("pairs.jsonl").pairs.values()
    assert pair.status == "judge_error" and pair.outcome is None
    assert all(j.preferred is None and len(j.raw) == 2 for j in pair.judgements)
    assert "winner" in pair.error.message
