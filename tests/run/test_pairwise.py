"""Pairwise mode on two loopback candidates: both orders, consistency, win/tie/loss."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from judge_replies import always_first, prefers, scripted, shown_answers
from projects import is_judge_request, write_project

from evalkit.analysis.pairwise import summarize_pairs
from evalkit.cli import main
from evalkit.display import console as display
from evalkit.runfile.reader import read_run
from evalkit.types import PairRecord

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pair_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(display.console, "width", 160)
    return tmp_path


def start(root: Path, ollama, pick, models=("m1", "m2", "judge"), n_tasks: int = 3):
    server = ollama(models=list(models), responder=scripted(pick=pick))
    write_project(root, server.url, n_tasks=n_tasks)
    shutil.copy(REPO / "judges" / "pairwise-judge.md", root / "judges")
    return server


def test_a_fair_judge_is_consistent_and_the_winner_wins(
    pair_project: Path, ollama, capsys: pytest.CaptureFixture
) -> None:
    server = start(pair_project, ollama, prefers("m1"))
    assert main(["run", "gen", "--pairwise", "m1,m2", "--out", "pairs.jsonl"]) == 0
    run = read_run("pairs.jsonl")
    assert run.manifest.pairwise is not None and run.manifest.pairwise.a == "m1"
    assert not run.records
    pairs = list(run.pairs.values())
    assert [p.outcome for p in pairs] == ["a", "a", "a"]
    assert all([j.first for j in p.judgements] == ["a", "b"] for p in pairs)
    judged = [e for e in server.requests if is_judge_request(e)]
    assert len(judged) == 6
    firsts = sorted(shown_answers(e["body"])[0].split(":")[0] for e in judged)
    assert firsts == ["Answer from m1"] * 3 + ["Answer from m2"] * 3  # both orders shown
    out = capsys.readouterr().out
    assert "position consistency: 100%" in out
    assert "win" in out and "100%" in out


def test_the_judge_is_told_which_of_the_two_answers_was_cut(pair_project: Path, ollama) -> None:
    server = ollama(models=["m1", "m2", "judge"], responder=scripted(pick=prefers("m1")))
    write_project(pair_project, server.url, n_tasks=1, max_tokens={"m1": 3})
    shutil.copy(REPO / "judges" / "pairwise-judge.md", pair_project / "judges")
    assert main(["run", "gen", "--pairwise", "m1,m2", "--out", "pairs.jsonl"]) == 0
    [pair] = read_run("pairs.jsonl").pairs.values()
    assert pair.answer_a.truncated and not pair.answer_b.truncated
    judged = [e["body"] for e in server.requests if is_judge_request(e)]
    assert len(judged) == 2
    for body in judged:
        cut = 1 if shown_answers(body)[0].startswith("Answer from m1") else 2
        prompt = " ".join(body["messages"][0]["content"].split())
        assert f"(not part of answer {cut}): Answer {cut} was cut off at the model's" in prompt
        assert f"not part of answer {3 - cut}" not in prompt


def test_a_position_biased_judge_is_inconsistent_and_counted_apart(
    pair_project: Path, ollama, capsys: pytest.CaptureFixture
) -> None:
    start(pair_project, ollama, always_first)
    assert main(["run", "gen", "--pairwise", "m1,m2", "--out", "pairs.jsonl"]) == 0
    summary = summarize_pairs(list(read_run("pairs.jsonl").pairs.values()))
    assert summary.inconsistent == 3 and summary.consistency == 0.0
    assert summary.win is None and summary.tie is None and summary.loss is None
    assert "position consistency: 0% (3 of 3 judged pairs inconsistent" in capsys.readouterr().out


def pair(task: str, outcome: str | None, status: str = "ok") -> PairRecord:
    return PairRecord(task_id=task, a="m1", b="m2", judge="j", status=status, outcome=outcome)


def test_the_summary_counts_rates_and_intervals() -> None:
    outcomes = ["a", "a", "a", "b", "tie", "inconsistent", None]
    records = [pair(f"t{i}", o, "ok" if o else "unavailable") for i, o in enumerate(outcomes)]
    summary = summarize_pairs(records)
    assert (summary.judged, summary.not_judged, summary.inconsistent) == (6, 1, 1)
    assert summary.consistency == pytest.approx(5 / 6)
    assert summary.win is not None and summary.loss is not None and summary.tie is not None
    assert (summary.win.count, summary.tie.count, summary.loss.count) == (3, 1, 1)
    assert summary.win.rate == pytest.approx(0.6)
    for rate in (summary.win, summary.tie, summary.loss):
        assert 0 <= rate.interval.low <= rate.rate <= rate.interval.high <= 1
        assert rate.interval.confidence == 0.95
    assert summary.outcomes["t6"] == "unavailable"


def test_all_wins_have_a_degenerate_interval() -> None:
    summary = summarize_pairs([pair(f"t{i}", "a") for i in range(4)])
    assert summary.win is not None
    assert (summary.win.interval.low, summary.win.interval.high) == (1.0, 1.0)


def test_a_resume_asks_only_the_missing_answer(pair_project: Path, ollama) -> None:
    server = start(pair_project, ollama, prefers("m2"), models=("m1", "judge"), n_tasks=2)
    assert main(["run", "gen", "--pairwise", "m1,m2", "--out", "pairs.jsonl"]) == 3
    assert {p.status for p in read_run("pairs.jsonl").pairs.values()} == {"unavailable"}
    server.models.append("m2")
    server.requests.clear()
    assert main(["run", "--resume", "pairs.jsonl"]) == 0
    asked = [e["model"] for e in server.requests if e["path"] == "/api/chat"]
    assert sorted(asked) == ["judge"] * 4 + ["m2"] * 2  # m1's answers were kept
    assert [p.outcome for p in read_run("pairs.jsonl").pairs.values()] == ["b", "b"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pairwise", "m1"], "expected two or more different candidates"),
        (["--pairwise", "m1,m1"], "expected two or more different candidates"),
        (["--pairwise", "m1,m2", "--baseline", "m9"], "is not one of the candidates"),
        (["--baseline", "m1"], "--baseline goes with --pairwise"),
        (["--pairwise", "m1,m2", "--candidates", "m1"], "replaces --candidates"),
        (["--pairwise", "m1,m2", "--judge", "duo"], "cannot judge pairs"),
    ],
)
def test_bad_pairwise_requests_are_usage_errors(
    pair_project: Path, ollama, capsys: pytest.CaptureFixture, args: list[str], message: str
) -> None:
    start(pair_project, ollama, always_first)
    (pair_project / "judges" / "duo.toml").write_text('panel = ["j", "j"]\n')
    assert main(["run", "gen", *args]) == 2
    assert message in capsys.readouterr().err.replace("\n", " ")


RANKED = ("m1", "m2", "m3")
"""A judge's planted order: m3 beats m2 beats m1."""


def prefers_better(first: str, second: str) -> str:
    """Picks whichever answer comes from the candidate ranked higher in RANKED."""
    rank = {name: i for i, name in enumerate(RANKED)}
    found = [
        max((rank[m] for m in RANKED if f"from {m}" in text), default=-1)
        for text in (first, second)
    ]
    return "1" if found[0] > found[1] else "2" if found[1] > found[0] else "tie"


def write_three(root: Path, server) -> None:
    write_project(root, server.url, n_tasks=3, candidates=RANKED)
    shutil.copy(REPO / "judges" / "pairwise-judge.md", root / "judges")


def test_three_candidates_judge_every_pair_and_each_answers_a_task_once(
    pair_project: Path, ollama, capsys: pytest.CaptureFixture
) -> None:
    server = ollama(models=[*RANKED, "judge"], responder=scripted(pick=prefers_better))
    write_three(pair_project, server)
    assert main(["run", "gen", "--pairwise", "m1,m2,m3", "--out", "pairs.jsonl"]) == 0
    run = read_run("pairs.jsonl")
    assert run.manifest.pairwise is not None and run.manifest.pairwise.candidates == list(RANKED)
    pairs = {(p.a, p.b) for p in run.pairs.values()}
    assert pairs == {("m1", "m2"), ("m1", "m3"), ("m2", "m3")}
    assert len(run.pairs) == 9 and {p.outcome for p in run.pairs.values()} == {"b"}
    asked = [e["model"] for e in server.requests if e["path"] == "/api/chat"]
    assert sorted(m for m in asked if m != "judge") == sorted(RANKED * 3)  # once per task
    assert asked.count("judge") == 18  # 9 pairs, both orders
    out = capsys.readouterr().out
    assert "Leaderboard" in out and out.index("m3") < out.index("m1")


def test_a_baseline_judges_each_candidate_against_it_only(pair_project: Path, ollama) -> None:
    server = ollama(models=[*RANKED, "judge"], responder=scripted(pick=prefers_better))
    write_three(pair_project, server)
    args = ["run", "gen", "--pairwise", "m1,m2,m3", "--baseline", "m1", "--out", "pairs.jsonl"]
    assert main(args) == 0
    run = read_run("pairs.jsonl")
    assert {(p.a, p.b) for p in run.pairs.values()} == {("m1", "m2"), ("m1", "m3")}
    assert run.manifest.pairwise is not None and run.manifest.pairwise.baseline == "m1"


def test_a_resume_of_three_candidates_asks_only_the_missing_answers(
    pair_project: Path, ollama
) -> None:
    server = ollama(models=["m1", "m2", "judge"], responder=scripted(pick=prefers_better))
    write_three(pair_project, server)
    assert main(["run", "gen", "--pairwise", "m1,m2,m3", "--out", "pairs.jsonl"]) == 3
    statuses = {(p.a, p.b): p.status for p in read_run("pairs.jsonl").pairs.values()}
    assert statuses == {
        ("m1", "m2"): "ok",
        ("m1", "m3"): "unavailable",
        ("m2", "m3"): "unavailable",
    }
    server.models.append("m3")
    server.requests.clear()
    assert main(["run", "--resume", "pairs.jsonl"]) == 0
    asked = [e["model"] for e in server.requests if e["path"] == "/api/chat"]
    assert sorted(asked) == ["judge"] * 12 + ["m3"] * 3  # m1's and m2's answers were kept
    assert {p.status for p in read_run("pairs.jsonl").pairs.values()} == {"ok"}
