"""The rubric judge through the real call path: an invalid reply is sent back once with its
validation error; a second invalid reply makes a judge_error that keeps the raw replies
and the answer, never a score; resuming then only grades."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ollama_replies import schema_instance
from ollama_server import FakeOllama
from projects import is_judge_request, write_project

from evalkit.cli import main
from evalkit.runfile.reader import read_run


def scripted(judge_replies: list[str]) -> Callable[[dict[str, Any]], str]:
    def respond(request: dict[str, Any]) -> str:
        if isinstance(request.get("format"), dict):
            reply = judge_replies.pop(0) if judge_replies else None
            return reply if reply is not None else json.dumps(schema_instance(request["format"]))
        return "an answer"

    return respond


@pytest.mark.parametrize(
    ("replies", "status", "raw"),
    [
        (["{not json", None], "ok", 1),  # the invalid reply is kept: the judge was re-asked
        (["{not json", '{"score": 9}'], "judge_error", 2),
    ],
    ids=["second-try-valid", "both-invalid"],
)
def test_invalid_verdict_is_asked_again_then_recorded_as_judge_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ollama: Callable[..., FakeOllama],
    replies: list[str | None],
    status: str,
    raw: int,
) -> None:
    server = ollama(models=["m1", "judge"], responder=scripted(list(replies)))
    write_project(tmp_path, server.url, n_tasks=1, candidates=("m1",))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", "run.jsonl"]) == (0 if status == "ok" else 3)
    [record] = read_run(tmp_path / "run.jsonl").records.values()
    assert record.status == status and len(record.judge_raw) == raw
    assert record.answer.text == "an answer"
    judge_calls = [r for r in server.requests if is_judge_request(r)]
    assert len(judge_calls) == 2
    retry = judge_calls[1]["body"]["messages"]
    assert (retry[1]["role"], retry[1]["content"]) == ("assistant", "{not json")
    assert "not a valid verdict: not valid JSON" in retry[2]["content"]
    if status == "judge_error":
        assert record.verdict is None and record.error.kind == "InvalidVerdict"
        assert record.judge_raw == ["{not json", '{"score": 9}']


def test_resume_after_judge_error_only_grades(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ollama: Callable[..., FakeOllama]
) -> None:
    server = ollama(models=["m1", "judge"], responder=scripted(["bad", "bad"]))
    write_project(tmp_path, server.url, n_tasks=1, candidates=("m1",))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "gen", "--out", "run.jsonl"]) == 3
    assert main(["run", "--resume", "run.jsonl"]) == 0
    [record] = read_run(tmp_path / "run.jsonl").records.values()
    assert record.status == "ok"
    assert server.count(path="/api/chat", model="m1") == 1  # the answer was kept, not asked again
