"""Repeated samples and many candidates in what people read: the report's samples section
and leaderboard, `show` and the end-of-run summary, each figure checked against a direct
computation (numpy)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from runfiles import manifest, record, write_run

from evalkit.analysis.summary import summarize_file
from evalkit.cli import main
from evalkit.cli.common import EXIT_OK

np = pytest.importorskip("numpy")

K = 3
NAMES = ("m1", "m2")


def _scores(seed: int = 5) -> dict[tuple[str, str], list[int]]:
    rng = random.Random(seed)
    return {(f"t{i}", c): [rng.randint(2, 5) for _ in range(K)] for i in range(6) for c in NAMES}


def _sampled_run(path: Path, scores: dict[tuple[str, str], list[int]], **kw) -> Path:
    head = manifest(list(NAMES), judge="j", tasks=6).model_copy(update={"samples": K, **kw})
    records = [
        record(task, name, "ok", score, judge="j").model_copy(update={"sample": s})
        for (task, name), samples in scores.items()
        for s, score in enumerate(samples)
    ]
    return write_run(path, records, head)


def _expected(scores: dict[tuple[str, str], list[int]], name: str, threshold: int = 4):
    per_task = [np.array(v) for (_, c), v in scores.items() if c == name]
    return (
        float(np.mean(np.concatenate(per_task))),
        float(np.mean([(v >= threshold).all() for v in per_task])),
        float(np.mean([(v >= threshold).any() for v in per_task])),
    )


def test_the_report_gives_pass_hat_k_pass_at_k_and_each_tasks_spread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scores = _scores()
    path = _sampled_run(tmp_path / "run.jsonl", scores)
    assert main(["report", str(path), "--format", "md"]) == EXIT_OK
    text = capsys.readouterr().out
    assert "## Repeated samples (3 per task)" in text
    for name in NAMES:
        mean, every, some = _expected(scores, name)
        assert f"| {name} | {mean:.2f} | {every:.0%} | {some:.0%} | 6 | 0 |" in text
    values = scores[("t0", "m1")]
    sd = np.std(values, ddof=1)
    row = f"| t0 | m1 | {' '.join(map(str, values))} | {np.mean(values):.2f} | {sd:.2f} |"
    assert row in text
    assert "## Leaderboard" not in text  # two candidates: no leaderboard


def test_the_threshold_comes_from_the_run_and_a_flag_overrides_it(tmp_path: Path) -> None:
    scores = _scores()
    path = _sampled_run(tmp_path / "run.jsonl", scores, pass_threshold=3)
    summary = summarize_file(path)
    assert summary.samples is not None and summary.samples.threshold == 3
    for line in summary.samples.candidates:
        mean, every, some = _expected(scores, line.candidate, threshold=3)
        assert (line.mean, line.pass_hat_k, line.pass_at_k) == pytest.approx((mean, every, some))
    from evalkit.analysis.show import select
    from evalkit.runfile.index import read_index

    shown = select(read_index(path), threshold=5)
    assert shown.samples is not None
    for line in shown.samples.candidates:
        assert line.pass_at_k == pytest.approx(_expected(scores, line.candidate, 5)[2])


def test_a_killed_sampled_run_counts_its_missing_samples_as_not_run(tmp_path: Path) -> None:
    scores = _scores()
    del scores[("t5", "m2")]  # none of its three samples was written
    path = _sampled_run(tmp_path / "run.jsonl", scores)
    summary = summarize_file(path)
    assert summary.not_run == K
    assert summary.samples is not None
    m2 = next(line for line in summary.samples.candidates if line.candidate == "m2")
    assert m2.tasks == 5


def _absolute(path: Path, means: dict[str, float], seed: int = 1) -> Path:
    rng = random.Random(seed)
    records = [
        record(f"t{i}", name, "ok", min(5, max(1, round(mean + rng.choice((-1, 0, 0, 1))))))
        for i in range(20)
        for name, mean in means.items()
    ]
    return write_run(path, records)


def test_the_report_ranks_more_than_two_candidates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _absolute(tmp_path / "three.jsonl", {"low": 2, "mid": 3, "high": 4.4})
    assert main(["report", str(path), "--format", "md"]) == EXIT_OK
    text = capsys.readouterr().out
    section = text[text.index("## Leaderboard") :]
    assert section.index("| high |") < section.index("| mid |") < section.index("| low |")


def test_runs_given_together_are_ranked_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _absolute(tmp_path / "a.jsonl", {"low": 2, "mid": 3})
    second = _absolute(tmp_path / "b.jsonl", {"high": 4.4}, seed=2)
    assert main(["report", str(first), "--format", "md"]) == EXIT_OK
    assert "## Leaderboard" not in capsys.readouterr().out
    assert main(["report", str(first), str(second), "--format", "html"]) == EXIT_OK
    page = capsys.readouterr().out
    board = page[page.index("<h2>Leaderboard</h2>") :]
    assert board.index(">high<") < board.index(">mid<") < board.index(">low<")


def test_calibrate_matches_a_label_to_sample_zero(tmp_path: Path) -> None:
    """A label grades one answer per (task, candidate): in a sampled run, sample 0's,
    whatever order the samples were written in."""
    import json

    from evalkit.analysis.calibrate import calibrate_files

    scores = {(f"t{i}", name): [2, 5, 5] for i in range(6) for name in NAMES}
    path = _sampled_run(tmp_path / "run.jsonl", scores)
    labels = tmp_path / "labels.jsonl"
    rows = [{"task_id": t, "candidate": c, "score": 2} for t, c in scores]
    labels.write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = calibrate_files(path, labels)
    assert report.matched == 12 and report.exact == 1.0
