"""The command line: help with worked examples that loads no heavy library, and the
embedded default model end to end on one real task."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.runfile.reader import read_run

HEAVY = ("litellm", "datasets", "llama_cpp")


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"]])
def test_help_shows_examples_and_imports_nothing_heavy(args: list[str]) -> None:
    probe = (
        "import sys, contextlib, io\n"
        "from evalkit.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
        f"    main({args!r})\n"
        f"print(repr(out.getvalue())); print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    help_text, loaded = result.stdout.strip().splitlines()
    assert "examples:" in help_text and "python -m evalkit run big-brain" in help_text
    assert loaded == "[]"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture) -> None:
    from evalkit.cli import main

    assert main([]) == 2
    assert "examples:" in capsys.readouterr().out


@pytest.mark.embedded
def test_embedded_models_run_one_big_brain_task(project: Path) -> None:
    """The README's first command, cut to one task and short answers: both embedded models
    answer in-process and the embedded judge grades each answer. The judge's grammar makes
    every reply a verdict, so the run is complete: exit 0, every record ok."""
    config = project / "evalkit.toml"
    config.write_text(re.sub(r"max_tokens = \d+", "max_tokens = 48", config.read_text()))
    result = subprocess.run(
        [sys.executable, "-m", "evalkit", "run", "big-brain", "--limit", "1", "--out", "one.jsonl"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "one.jsonl" in out and "tiny offline models" in out and "tokens/s" in out
    run = read_run(project / "one.jsonl")
    assert {run.manifest.models[m].kind for m in run.manifest.candidates} == {"embedded"}
    assert sorted(r.candidate for r in run.records.values()) == [
        "gemma3-270m",
        "smollm2-135m-instruct",
    ]
    rubric = json.loads((project / "suites/big-brain/data/test.jsonl").read_text().splitlines()[0])
    for record in run.records.values():
        assert record.status == "ok", record.error
        assert record.answer.text and 0 < record.answer.completion_tokens <= 48
        assert record.verdict.score in range(1, 6)
        assert [c.id for c in record.verdict.criteria] == [c["id"] for c in rubric["rubric"]]
        assert record.judge_answer.eval_ms and record.judge_answer.prompt_eval_ms
