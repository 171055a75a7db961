"""compare resamples tasks (a task's samples together) or clusters of tasks, never rows:
on null data with strong clustering the row-level verdict fires far more often than 5%,
the clustered one stays under 8%; the minimum detectable difference and Holm's p-values
are checked against direct formulas (scipy's normal quantiles), and the regression gate
says when a drop is smaller than the suite can detect."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from exact_stats import bootstrap_quantile_band
from runfiles import manifest, record, write_run, write_suite

from evalkit.analysis.compare import compare_runs
from evalkit.cli import main
from evalkit.cli.common import EXIT_OK, EXIT_REGRESSION
from evalkit.runfile.lines import ScoreAnswer, ScoreFile, ScoreLine, ScoreVerdict, read_scores

np = pytest.importorskip("numpy")
scipy_stats = pytest.importorskip("scipy.stats")


def _line(task: str, candidate: str, score: int, sample: int = 0) -> ScoreLine:
    return ScoreLine(
        task_id=task,
        candidate=candidate,
        judge="j",
        status="ok",
        answer=ScoreAnswer(text=f"{task} {candidate} {sample}"),
        verdict=ScoreVerdict(score=score, label="L"),
        sample=sample,
    )


def _file(lines: list[ScoreLine], tasks: int) -> ScoreFile:
    head = manifest(list(dict.fromkeys(x.candidate for x in lines)), judge="j", tasks=tasks)
    return ScoreFile(path="mem", manifest=head, records={x.key: x for x in lines})


def _clustered_null(seed: int, categories: int = 30, per: int = 6):
    """A and B with no true difference; B's score moves by a category-wide effect plus a
    task's own noise, symmetric around zero (intra-cluster correlation about 0.7)."""
    rng = random.Random(seed)
    a, b, clusters = [], [], {}
    for c in range(categories):
        effect = rng.choice((-2, -1, 0, 1, 2))
        for t in range(per):
            task = f"c{c}t{t}"
            clusters[task] = f"c{c}"
            a.append(_line(task, "m", 3))
            b.append(_line(task, "m", min(5, max(1, 3 + effect + rng.choice((-1, 0, 1))))))
    return _file(a, categories * per), _file(b, categories * per), clusters


def _declares(a: ScoreFile, b: ScoreFile, clusters=None, resamples: int = 400) -> bool:
    line = compare_runs(a, b, resamples=resamples, clusters=clusters).candidates[0]
    assert line.ci is not None
    return not line.ci.low <= 0 <= line.ci.high


def test_on_clustered_null_data_rows_declare_differences_and_clusters_rarely() -> None:
    naive = [_declares(*_clustered_null(s)[:2], resamples=200) for s in range(100)]
    clustered = [_declares(*_clustered_null(s)) for s in range(300)]
    assert sum(naive) / len(naive) > 0.25  # measured 0.42 and 0.49 (seeds 0-99, 1000-1099)
    assert sum(clustered) / len(clustered) < 0.08  # measured 0.050 and 0.053


def test_the_samples_of_a_task_move_together() -> None:
    """Three samples per task, each with the task's delta: the interval is the bootstrap
    of the 40 task deltas (exact bootstrap distribution), not of 120 independent rows."""
    rng = random.Random(7)
    deltas = [rng.choice((-2, -1, 0, 0, 1, 2, 2)) for _ in range(40)]
    a = [_line(f"t{i}", "m", 3, s) for i in range(40) for s in range(3)]
    b = [_line(f"t{i}", "m", 3 + d, s) for i, d in enumerate(deltas) for s in range(3)]
    line = compare_runs(_file(a, 40), _file(b, 40), resamples=4000).candidates[0]
    assert (line.paired, line.units) == (120, 40)
    slack = 4 * (0.025 * 0.975 / 4000) ** 0.5
    low = bootstrap_quantile_band(deltas, 0.025, slack)
    high = bootstrap_quantile_band(deltas, 0.975, slack)
    assert low[0] <= line.ci.low <= low[1] and high[0] <= line.ci.high <= high[1]
    rows = bootstrap_quantile_band(deltas * 3, 0.025, slack)  # what rows would have given
    assert line.ci.low < rows[0]


def test_mde_and_holm_match_direct_formulas() -> None:
    rng = random.Random(3)
    a, b = [], []
    for i in range(30):
        for name, shift in (("m1", (0, 1, 1)), ("m2", (-1, 0, 1))):
            a.append(_line(f"t{i}", name, 3))
            b.append(_line(f"t{i}", name, 3 + rng.choice(shift)))
    result = compare_runs(_file(a, 30), _file(b, 30), resamples=2000)
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    for line in result.candidates:
        d = np.array([x.verdict.score for x in b if x.candidate == line.candidate]) - 3
        assert line.mde == pytest.approx(z * d.std(ddof=1) / np.sqrt(len(d)))
    p = [line.p_value for line in result.candidates]
    low, high = sorted(p)
    holm = {low: min(1, 2 * low), high: max(min(1, 2 * low), high)}
    assert [line.p_holm for line in result.candidates] == pytest.approx([holm[x] for x in p])


def _category_runs(tmp_path: Path, drop: int) -> tuple[str, str]:
    """A suite of 12 tasks in 4 categories; B is `drop` lower on one task of each."""
    tasks = [
        {
            "id": f"t{i}",
            "prompt": f"Prompt {i}",
            "reference": "ref",
            "rubric": [{"id": "r", "criterion": "does it", "severity": "major"}],
            "category": f"cat{i % 4}",
        }
        for i in range(12)
    ]
    write_suite(tmp_path / "suites" / "cats", tasks)
    head = manifest(["m"], judge="j", suite="cats", tasks=12)
    a = [record(f"t{i}", "m", "ok", 4, judge="j") for i in range(12)]
    b = [
        record(f"t{i}", "m", "ok", 4 - drop * (i < 4) + (i % 3 == 1), judge="j") for i in range(12)
    ]
    pa = write_run(tmp_path / "a.jsonl", a, head)
    pb = write_run(tmp_path / "b.jsonl", b, head)
    return str(pa), str(pb)


def test_compare_cluster_category_resamples_the_suites_categories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a, b = _category_runs(tmp_path, 1)
    assert main(["compare", a, b, "--cluster", "category", "--format", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["cluster"] == "category"
    line = data["candidates"][0]
    assert line["units"] == 4
    scores = {x.task_id: x.verdict.score for x in read_scores(b).records.values()}
    means = [np.mean([scores[f"t{i}"] - 4 for i in range(12) if i % 4 == c]) for c in range(4)]
    z = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    assert line["mde"] == pytest.approx(z * np.std(means, ddof=1) / 2)


def test_the_gate_says_when_a_drop_is_smaller_than_the_suite_can_detect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a, _ = _category_runs(tmp_path, 1)
    b_rows = [record(f"t{i}", "m", "ok", 4 - (i == 0), judge="j") for i in range(12)]
    head = manifest(["m"], judge="j", suite="cats", tasks=12)
    b = str(write_run(tmp_path / "drop.jsonl", b_rows, head))  # one task one point lower
    code = main(["compare", a, b, "--fail-on-regression", "--rows", "none"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_REGRESSION
    assert "the drop is smaller than the" in err and "cannot be told from noise" in err
    code = main(["compare", a, b, "--fail-on-regression", "0.5", "--rows", "none"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_OK
    assert "warning: m: a drop of 0.083 is smaller than the" in err
