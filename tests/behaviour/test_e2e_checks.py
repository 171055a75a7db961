"""`python -m evalkit run engineering` end to end with checks: two candidates on a loopback
Ollama server answer the suite with its recorded weak and strong answers, a scripted judge
finds every criterion met, and the checks (python ones in the real bwrap sandbox) show in
the run file, in the end-of-run summary, in `show` and in the report, with every place
where a check contradicts the judge."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_files
from judge_replies import scripted
from ollama_server import FakeOllama

from evalkit.checks import BwrapSandbox
from evalkit.cli import main
from evalkit.runfile.reader import read_run

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "suites" / "engineering"
NAMES = ("weak-model", "strong-model")
CONFIG = """
[models."weak-model"]
endpoint = "local"

[models."strong-model"]
endpoint = "local"

[models."judge:7b"]
endpoint = "local"

[profiles.engineering-checks]
candidates = ["weak-model", "strong-model"]
judge = "loop"
"""


def recorded_answers() -> Callable[[dict], str]:
    """A responder: a candidate gets its recorded answer to the task whose prompt it was
    sent; the judge (model judge:7b) finds every criterion met and scores 4."""
    prompts = {
        row["prompt"]: row["id"]
        for row in map(json.loads, (SUITE / "data" / "test.jsonl").read_text().splitlines())
    }
    answers = {
        (row["task_id"], row["candidate"]): row["text"]
        for row in map(
            json.loads, (SUITE / "answers" / "sample-answers.jsonl").read_text().splitlines()
        )
    }
    judge = scripted(score=4, met=True)

    def respond(body: dict) -> str:
        if body["model"] == "judge:7b":
            return judge(body)
        user = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
        return answers[(prompts[user], body["model"])]

    return respond


@pytest.fixture
def checked_run(
    project: Path, ollama: Callable[..., FakeOllama], bwrap: BwrapSandbox, capsys
) -> tuple[Path, str]:
    """The run file of `run engineering`, and what the run printed."""
    server = ollama(models=["weak-model", "strong-model", "judge:7b"], responder=recorded_answers())
    with (project / "evalkit.toml").open("a") as config:
        config.write(CONFIG)
    (project / "judges" / "loop.toml").write_text('model = "judge:7b"\n')
    args = ["run", "engineering", "--profile", "engineering-checks"]
    assert main([*args, "--endpoint", f"local={server.url}"]) == 0
    [path] = run_files(project)
    return path, " ".join(capsys.readouterr().out.split())


def test_the_run_file_holds_check_results_and_disagreements(checked_run) -> None:
    path, _ = checked_run
    records = {(r.task_id, r.candidate): r for r in read_run(path).records.values()}
    assert len(records) == 28 and all(r.status == "ok" for r in records.values())
    weak = records[("safe-file-serving", "weak-model")]
    outcomes = {result.id: result.passed for result in weak.checks}
    assert outcomes == {
        "serves_files_inside": True,
        "refuses_traversal": True,
        "refuses_absolute_names": False,
        "refuses_symlink_escape": False,
        "refuses_sibling_prefix": True,
        "refuses_directories": False,
    }
    assert "an absolute name outside the base is served" in weak.checks[2].detail
    assert [(d.check_id, d.criterion, d.check_passed, d.judge_met) for d in weak.disagreements] == [
        ("refuses_absolute_names", "rejects_absolute_paths", False, True),
        ("refuses_symlink_escape", "symlink_escape", False, True),
        ("refuses_directories", "regular_files_only", False, True),
    ]
    strong = records[("safe-file-serving", "strong-model")]
    assert all(result.passed for result in strong.checks) and not strong.disagreements
    assert strong.checks_hash == weak.checks_hash
    unchecked = records[("postgres-mvcc", "weak-model")]
    assert unchecked.checks == [] and unchecked.checks_hash is None
    raw = path.read_text(encoding="utf-8")
    assert raw.count('"checks":') == 2 * 5  # only the five tasks with checks carry them


def test_the_summary_show_and_report_show_the_checks(checked_run, capsys) -> None:
    path, printed = checked_run
    # weak: 17 checks over 5 tasks, 8 failed, each linked to a criterion the judge found met
    assert "│ 9/17 │ 8 │" in printed and "│ 17/17 │ 0 │" in printed
    assert "checks vs judge loop: 8 disagreement(s) over 10 checked record(s)" in printed

    assert main(["show", str(path), "--task", "signed-download-urls", "--full"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "FAIL no_field_shift" in shown and "pattern not found" in shown
    assert "DISAGREES check no_field_shift failed, the judge found unambiguous_message met" in shown

    assert main(["report", str(path)]) == 0
    text = capsys.readouterr().out
    assert "| Task | Latency | Quality score (1-5) | Verdict | Checks |" in text
    sections = text.split("## Quality assessment: ")
    weak, strong = (next(s for s in sections if s.startswith(name)) for name in NAMES)
    assert re.search(r"\| 3\. safe-file-serving \| [\d,]+ ms \| 4/5 \| SCORE 4 \| 3/6 ≠3 \|", weak)
    assert re.search(r"\| 3\. safe-file-serving \| [\d,]+ ms \| 4/5 \| SCORE 4 \| 6/6 \|", strong)
    assert re.search(r"\| 5\. postgres-mvcc \| [\d,]+ ms \| 4/5 \| SCORE 4 \| - \|", weak)
    assert "| weak-model | 5 | 9 | 8 | 0 | 53% | 8 |" in text
    assert "| strong-model | 5 | 17 | 0 | 0 | 100% | 0 |" in text
    assert "| loop | 10 | 34 | 8 |" in text
