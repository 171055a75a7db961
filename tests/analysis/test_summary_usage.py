"""The end of a run: time, tokens and tokens/s per model and role, from the latest record
of each key, and the one line that tells a newcomer the embedded models are tiny."""

from __future__ import annotations

from pathlib import Path

import pytest
from runfiles import manifest, model_info, record, write_run

from evalkit.analysis.summary import summarize_file
from evalkit.display import console
from evalkit.display.run import TINY_MODELS_NOTE, run_summary
from evalkit.types import Answer, Record


def _timed(task: str, candidate: str, tokens: int, ms: float, judge_tokens: int) -> Record:
    """An ok record whose answer and verdict report tokens and times as Ollama does."""
    answer = Answer(
        text="a", latency_ms=ms, completion_tokens=tokens, eval_ms=ms / 2, prompt_eval_ms=1.0
    )
    judged = Answer(text="{}", latency_ms=2000.0, completion_tokens=judge_tokens, eval_ms=1000.0)
    return record(task, candidate, "ok", 3).model_copy(
        update={"answer": answer, "judge_answer": judged}
    )


def _run(tmp_path: Path, kind: str = "ollama") -> Path:
    rows = [
        _timed("t1", "small", 999, 9000.0, 999),  # superseded below: not counted
        _timed("t1", "small", 100, 2000.0, 50),
        _timed("t2", "small", 300, 4000.0, 70),
        _timed("t1", "big", 40, 1000.0, 30),
        record("t2", "big", "unavailable", None),  # no answer: no tokens, no time
    ]
    models = {
        m: model_info(m).model_copy(update={"kind": kind}) for m in ("small", "big", "gemma3:27b")
    }
    return write_run(tmp_path / "run.jsonl", rows, manifest(["small", "big"], models=models))


def test_usage_counts_each_models_latest_calls_per_role(tmp_path: Path) -> None:
    usage = {(u.model, u.role): u for u in summarize_file(_run(tmp_path)).usage}
    small, big, judge = (
        usage["small", "candidate"],
        usage["big", "candidate"],
        usage["gemma3:27b", "judge"],
    )
    assert (small.calls, small.tokens, small.seconds) == (2, 400, 6.0)
    assert small.tokens_per_s == 133.3  # 400 tokens over 3 s of generation (eval_ms)
    assert (big.calls, big.tokens, big.tokens_per_s) == (1, 40, 80.0)
    assert (judge.calls, judge.tokens, judge.seconds, judge.tokens_per_s) == (3, 150, 6.0, 50.0)


def test_the_end_of_a_run_prints_time_and_speed_per_model(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console.console, "width", 200)
    run_summary(summarize_file(_run(tmp_path)))
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "gemma3:27b" in line and "judge" in line]
    assert lines and "6.0 s" in lines[0] and "50.0" in lines[0]
    assert "tiny offline models" not in out  # real servers: no such note


def test_a_run_with_an_embedded_model_says_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console.console, "width", 400)
    run_summary(summarize_file(_run(tmp_path, kind="embedded")))
    out = capsys.readouterr().out
    assert TINY_MODELS_NOTE in out.replace("\n", "")
    assert "python -m evalkit run big-brain --profile big-brain" in TINY_MODELS_NOTE
