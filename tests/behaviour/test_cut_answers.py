"""Answers that are not whole, end to end: gemma3:1b (max_tokens 1024 in the shipped
config) writes past its limit on two tasks and nothing on a third, against two loopback
Ollama servers through real litellm. The local server stops at `num_predict` with
done_reason "length", as Ollama does.

Every place a user looks says so: the run file, the prompt the judge received (the pod's
request log), the end-of-run summary, `show`, and the report in Markdown and HTML."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from conftest import REPO
from ollama_replies import default_responder
from ollama_server import FakeOllama
from projects import is_judge_request

from evalkit.cli import main
from evalkit.runfile.reader import RunFile, read_run

LONG = " ".join(f"word{i}" for i in range(1500))
"""More words than gemma3:1b's max_tokens (1024): the server cuts it there."""
CUT = "The answer was cut off at the model's token limit (max_tokens)"
EMPTY = "The answer is empty: the model stopped without writing anything."
CUT_COUNT = (
    "gemma3:1b: 2 answers cut at max_tokens (1024): a low score may be a too-small max_tokens."
)
EMPTY_COUNT = "gemma3:1b: 1 answer empty (the model wrote nothing), graded as missing everything."


def talkative(body: dict[str, Any]) -> str:
    """gemma3:1b: rambles on the Gitea and cron tasks, says nothing on Evennia."""
    prompt = str((body.get("messages") or [{}])[-1].get("content", ""))
    if "Gitea" in prompt or "cron job" in prompt:
        return LONG
    if "Evennia" in prompt:
        return ""
    return default_responder(body)


class Session(NamedTuple):
    """One big-brain run with cut answers, and what the user saw."""

    root: Path
    path: Path
    run: RunFile
    pod: FakeOllama
    output: str
    """The run command's terminal output, whitespace folded."""


def folded(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    root = tmp_path_factory.mktemp("cut")
    shutil.copy(REPO / "evalkit.toml", root / "evalkit.toml")
    shutil.copytree(REPO / "judges", root / "judges")
    (root / "suites").symlink_to(REPO / "suites")
    with (
        pytest.MonkeyPatch.context() as patch,
        FakeOllama(models=["gemma3:1b"], responder=talkative) as local,
        FakeOllama(models=["gemma3:27b"]) as pod,
    ):
        patch.chdir(root)
        patch.delenv("BIG_BRAIN_URL", raising=False)
        out = io.StringIO()
        servers = ["--endpoint", f"local={local.url}", "--endpoint", f"big-brain={pod.url}"]
        command = ["run", "big-brain", "--profile", "big-brain", "--out", "run.jsonl", *servers]
        with contextlib.redirect_stdout(out):
            code = main(command)
        assert code == 0, out.getvalue()  # cut and empty answers are graded: every key ok
        path = root / "run.jsonl"
        yield Session(root, path, read_run(path), pod, folded(out.getvalue()))


def records_of(session: Session, candidate: str) -> dict[str, Any]:
    return {r.task_id: r for r in session.run.records.values() if r.candidate == candidate}


def judge_prompts(session: Session) -> list[str]:
    return [
        entry["body"]["messages"][-1]["content"]
        for entry in session.pod.requests
        if is_judge_request(entry)
    ]


def after_answer(prompt: str) -> str:
    """The part of a judge prompt after the answer's closing tag."""
    nonce = re.search(r"<answer-(\w+)>", prompt)
    assert nonce is not None
    return prompt.split(f"</answer-{nonce.group(1)}>", 1)[1]


def test_the_run_file_records_cut_answers_as_graded_and_cut(session: Session) -> None:
    small = records_of(session, "gemma3:1b")
    for task in ("gitea-webhook-parser", "fleet-burndown-cron"):
        answer = small[task].answer
        assert small[task].status == "ok" and small[task].verdict is not None
        assert answer.finish_reason == "length" and answer.truncated
        assert answer.completion_tokens == 1024 and len(answer.text.split()) == 1024
    assert small["debug-async-fetch"].answer.finish_reason == "stop"
    assert all(r.answer.finish_reason == "stop" for r in records_of(session, "gemma3:27b").values())


def test_an_empty_answer_is_graded_not_an_error(session: Session) -> None:
    record = records_of(session, "gemma3:1b")["evennia-architecture"]
    assert record.status == "ok" and record.verdict is not None
    assert record.answer.text == "" and record.answer.empty and not record.answer.truncated


def test_the_judge_is_told_outside_the_answer_when_it_was_cut_or_empty(session: Session) -> None:
    prompts = judge_prompts(session)
    assert len(prompts) == 8
    cut = [p for p in prompts if "word0 word1" in p]
    empty = [p for p in prompts if "Evennia" in p and "Answer from" not in p]
    whole = [p for p in prompts if p not in cut and p not in empty]
    assert len(cut) == 2 and len(empty) == 1 and len(whole) == 5
    for prompt in cut:
        assert CUT in folded(after_answer(prompt))  # evalkit's note, not inside the answer
        assert "Note from evalkit" not in prompt.split("</answer-")[0]
    assert EMPTY in folded(after_answer(empty[0]))
    assert not any("Note from evalkit" in prompt for prompt in whole)


def test_the_end_of_run_summary_counts_them_per_candidate(session: Session) -> None:
    assert CUT_COUNT in session.output
    assert EMPTY_COUNT in session.output
    assert session.output.count("[cut]") == 2 and session.output.count("[empty]") == 1
    assert "gemma3:27b:" not in session.output  # its answers are whole


def test_show_marks_them_and_counts_them(
    session: Session, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(session.root)
    assert main(["show", str(session.path)]) == 0
    table = folded(capsys.readouterr().out)
    assert table.count("[cut] word0") == 2 and table.count("[empty]") == 1
    assert CUT_COUNT in table and EMPTY_COUNT in table
    assert main(["show", str(session.path), "--task", "gitea*", "--full"]) == 0
    full = folded(capsys.readouterr().out)
    assert "answer cut at max_tokens (finish reason 'length')" in full
    assert "gemma3:1b: 1 answer cut at max_tokens (1024)" in full  # of the records shown


def test_the_report_marks_them_and_says_max_tokens_may_be_too_small(
    session: Session, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(session.root)
    assert main(["report", str(session.path), "--format", "md"]) == 0
    markdown = capsys.readouterr().out
    assert f"- {CUT_COUNT}" in markdown and f"- {EMPTY_COUNT}" in markdown  # key findings
    assert "2 answer(s) cut at max_tokens, 1 answer(s) empty." in folded(markdown)  # summary
    assert "Raise max_tokens of gemma3:1b (now 1024)" in markdown  # next steps
    assert markdown.count("**The answer was cut at max_tokens") == 2  # above each answer
    table = markdown.split("## Comparison table")[1].split("##")[0]
    assert table.count("[cut at max_tokens]") == 2 and table.count("[empty]") == 1
    assert main(["report", str(session.path), "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert CUT_COUNT in page and EMPTY_COUNT in page
    assert page.count("<p class='cut'>The answer was cut at max_tokens") == 2
    assert "<span class='cut'>cut at max_tokens</span>" in page
