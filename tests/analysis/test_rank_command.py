"""`python -m evalkit rank`: pairwise run files with planted strengths and absolute-score
run files ranked from the command line, in every format, reading no heavy library."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from runfiles import manifest, record, write_run

from evalkit.cli import main
from evalkit.runfile.writer import RunWriter
from evalkit.types import Answer, PairJudgement, PairRecord

STRENGTH = {"small": 0.0, "medium": 1.0, "large": 2.0}
"""Planted log-odds strengths: large beats medium beats small."""


def pairwise_run(path: Path, tasks: int = 60, seed: int = 1) -> Path:
    """A pairwise run of every pair, each pick drawn from the planted strengths; the
    larger candidate also answers at greater length."""
    rng = random.Random(seed)
    names = list(STRENGTH)
    head = manifest(names, suite="gen", tasks=tasks)
    with RunWriter(path, head) as writer:
        for t in range(tasks):
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    judgements = []
                    for first in ("a", "b"):
                        p_a = 1 / (1 + pow(2.718281828, STRENGTH[b] - STRENGTH[a]))
                        preferred = "a" if rng.random() < p_a else "b"
                        judgements.append(PairJudgement(first=first, preferred=preferred))
                    writer.write(
                        PairRecord(
                            task_id=f"t{t:03d}",
                            a=a,
                            b=b,
                            judge=head.judge.name,
                            status="ok",
                            answer_a=Answer(text="word " * (10 + 10 * names.index(a))),
                            answer_b=Answer(text="word " * (10 + 10 * names.index(b))),
                            judgements=judgements,
                            outcome="tie",
                        )
                    )
    return path


def test_rank_orders_planted_strengths_and_prints_json(tmp_path: Path, capsys) -> None:
    run = pairwise_run(tmp_path / "pairs.jsonl")
    assert main(["rank", str(run), "--format", "json", "--resamples", "200"]) == 0
    board = json.loads(capsys.readouterr().out)
    order = [s["candidate"] for s in board["standings"]]
    assert order == ["large", "medium", "small"]
    for standing in board["standings"]:
        lo, hi = standing["ci"]
        assert lo <= standing["rating"] <= hi
        assert {"candidate", "rating", "ci", "rank"} <= set(standing)
    assert [s["rank"] for s in board["standings"]] == [1, 2, 3]
    assert board["method"] == "bradley-terry" and board["runs"] == [str(run)]
    assert board["win_rates"]["large"]["small"] > 0.5


def test_rank_table_and_markdown_show_every_candidate(tmp_path: Path, capsys) -> None:
    run = pairwise_run(tmp_path / "pairs.jsonl", tasks=20)
    assert main(["rank", str(run), "--format", "md", "--resamples", "100"]) == 0
    text = capsys.readouterr().out
    assert "# Leaderboard" in text and "| 1 | large |" in text and "## Win rates" in text
    assert main(["rank", str(run), "--resamples", "100"]) == 0
    table = capsys.readouterr().out
    assert all(name in table for name in STRENGTH) and "Win rates" in table


def test_style_control_reports_ratings_with_and_without_it(tmp_path: Path, capsys) -> None:
    run = pairwise_run(tmp_path / "pairs.jsonl", tasks=30)
    args = ["rank", str(run), "--style-control", "--format", "json", "--resamples", "50"]
    assert main(args) == 0
    board = json.loads(capsys.readouterr().out)
    assert board["style_control"] is True
    assert {s["candidate"] for s in board["uncontrolled"]} == set(STRENGTH)
    assert "length" in board["style"]


def test_absolute_score_runs_rank_by_mean_score(tmp_path: Path, capsys) -> None:
    rows = [record(f"t{t}", "good", score=4 + t % 2) for t in range(12)]
    rows += [record(f"t{t}", "poor", score=1 + t % 2) for t in range(12)]
    rows += [record("t99", "poor", status="unavailable", score=None)]
    run = write_run(tmp_path / "scores.jsonl", rows)
    assert main(["rank", str(run), "--format", "json", "--resamples", "200"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert board["method"] == "mean-score"
    good, poor = board["standings"]
    assert good["candidate"] == "good" and good["rating"] == pytest.approx(4.5)
    assert poor["rating"] == pytest.approx(1.5) and poor["n"] == 12  # the unavailable left out


def test_style_control_on_absolute_scores_is_a_clear_error(tmp_path: Path, capsys) -> None:
    rows = [record("t1", "a", score=3), record("t1", "b", score=4)]
    run = write_run(tmp_path / "scores.jsonl", rows)
    assert main(["rank", str(run), "--style-control"]) == 2
    assert "style-control ranks pairwise runs" in capsys.readouterr().err


def test_rank_imports_neither_litellm_nor_datasets(tmp_path: Path) -> None:
    run = pairwise_run(tmp_path / "pairs.jsonl", tasks=5)
    probe = (
        "import sys\nfrom evalkit.cli import main\n"
        f"main(['rank', {str(run)!r}, '--format', 'json', '--resamples', '20'])\n"
        "print([m for m in ('litellm', 'datasets', 'llama_cpp', 'scipy') if m in sys.modules],"
        " file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"
