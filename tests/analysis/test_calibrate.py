"""Calibration: every figure checked against scipy and scikit-learn on the same pairs."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from runfiles import Row, record, write_run
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from evalkit.analysis.calibrate import calibrate_files
from evalkit.analysis.labels import read_labels
from evalkit.cli import main
from evalkit.display import console as display
from evalkit.errors import LabelsError
from evalkit.types import CriterionResult, Verdict

REPO = Path(__file__).resolve().parents[2]

# (id, judge scores, human scores) for the same answers, in order.
CASES = [
    ("perfect", [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
    ("ties", [2, 2, 3, 3, 4, 4, 5, 1], [2, 3, 3, 4, 4, 5, 5, 2]),
    ("lenient-by-one", [3, 4, 5, 5, 2, 3], [2, 3, 4, 5, 1, 2]),
    ("reversed", [5, 4, 3, 2, 1], [1, 2, 3, 4, 5]),
    ("unused-middle-scores", [1, 1, 5, 5, 2, 5], [1, 2, 5, 4, 1, 5]),
    ("constant-judge", [3, 3, 3, 3, 3, 3], [1, 2, 3, 4, 5, 3]),
    ("constant-human", [1, 2, 3, 2], [2, 2, 2, 2]),
    ("both-constant-alike", [2, 2, 2, 2], [2, 2, 2, 2]),
    ("both-constant-apart", [4, 4, 4], [2, 2, 2]),
    ("one-item", [4], [3]),
]


def write_case(tmp_path: Path, judged: list[int], human: list[int]) -> tuple[Path, Path]:
    """A run with the judge's scores and a labels file with the human's, task by task."""
    rows = [Row(f"t{i}", "model", "ok", score) for i, score in enumerate(judged)]
    run = write_run(tmp_path / "run.jsonl", rows)
    labels = tmp_path / "labels.jsonl"
    lines = [{"task_id": f"t{i}", "candidate": "model", "score": s} for i, s in enumerate(human)]
    labels.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return run, labels


def nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


@pytest.mark.parametrize(("judged", "human"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_figures_match_scipy_and_sklearn(
    tmp_path: Path, judged: list[int], human: list[int]
) -> None:
    report = calibrate_files(*write_case(tmp_path, judged, human))
    with warnings.catch_warnings():  # scipy warns where it returns nan
        warnings.simplefilter("ignore")
        kappa = nan_to_none(
            cohen_kappa_score(human, judged, weights="quadratic", labels=[1, 2, 3, 4, 5])
        )
        rho = nan_to_none(spearmanr(judged, human).statistic) if len(judged) > 1 else None
    assert report.matched == len(judged)
    assert report.exact == pytest.approx(np.mean(np.array(judged) == np.array(human)))
    assert report.within_one == pytest.approx(np.mean(abs(np.array(judged) - human) <= 1))
    assert report.kappa_quadratic == (None if kappa is None else pytest.approx(kappa))
    assert report.spearman == (None if rho is None else pytest.approx(rho))
    assert report.mean_difference == pytest.approx(np.mean(np.array(judged) - human))
    expected = confusion_matrix(human, judged, labels=[1, 2, 3, 4, 5]).tolist()
    assert report.confusion == expected
    # an undefined figure is None with its reason, never a number
    assert (report.kappa_quadratic is None) == (report.kappa_undefined is not None)
    assert (report.spearman is None) == (report.spearman_undefined is not None)


def test_a_constant_judge_has_kappa_zero_and_no_spearman(tmp_path: Path) -> None:
    report = calibrate_files(*write_case(tmp_path, [3, 3, 3, 3], [1, 2, 4, 5]))
    assert report.kappa_quadratic == 0.0
    assert report.spearman is None
    assert report.spearman_undefined == "the judge scored every item 3: no ranking to correlate"


def test_the_table_prints_undefined_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, labels = write_case(tmp_path, [2, 2, 2], [2, 2, 2])
    monkeypatch.setattr(display.console, "width", 200)
    assert main(["calibrate", str(run), "--labels", str(labels)]) == 0
    out = capsys.readouterr().out
    assert "undefined (both sides scored every item 2" in out
    assert "undefined (the judge scored every item 2" in out
    assert "nan" not in out.lower()


def test_json_has_null_for_undefined_figures(tmp_path: Path, capsys: pytest.CaptureFixture):
    run, labels = write_case(tmp_path, [2, 2, 2, 2], [1, 2, 2, 3])
    assert main(["calibrate", str(run), "--labels", str(labels), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["spearman"] is None and report["spearman_undefined"]
    assert report["kappa_quadratic"] == 0.0
    assert report["matched"] == 4


def test_records_that_are_not_ok_are_unmatched_not_scored(tmp_path: Path) -> None:
    rows = [
        Row("t1", "model", "ok", 4),
        Row("t2", "model", "judge_error", None),
        Row("t3", "model", "unavailable", None),
        Row("t4", "model", "ok", 5),  # no label
    ]
    run = write_run(tmp_path / "run.jsonl", rows)
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        "".join(
            json.dumps({"task_id": t, "candidate": "model", "score": 2}) + "\n"
            for t in ("t1", "t2", "t3", "t9")
        )
    )
    report = calibrate_files(run, labels)
    assert report.matched == 1
    assert report.unmatched.not_ok == {"judge_error": 1, "unavailable": 1}
    assert report.unmatched.no_record == 1
    assert report.unmatched.unlabelled == 1
    assert report.mean_difference == 2.0


def test_nothing_matched_exits_2(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run.jsonl", [Row("t1", "model", "judge_error", None)])
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"task_id": "t1", "candidate": "model", "score": 2}) + "\n")
    assert main(["calibrate", str(run), "--labels", str(labels), "--format", "json"]) == 2


def test_per_criterion_agreement_and_the_worst_disagreements(tmp_path: Path) -> None:
    def graded(task: str, score: int, met: dict[str, bool]):
        item = record(task, "model", "ok", score)
        criteria = [CriterionResult(id=k, met=v) for k, v in met.items()]
        verdict = Verdict(reasoning=f"judge on {task}", criteria=criteria, score=score, label="X")
        return item.model_copy(update={"verdict": verdict})

    records = [
        graded("t1", 5, {"hmac": True, "header": True}),
        graded("t2", 2, {"hmac": False, "header": True}),
        graded("t3", 3, {"hmac": True, "header": False}),
    ]
    run = write_run(tmp_path / "run.jsonl", records)
    labels = tmp_path / "labels.jsonl"
    lines = [
        {"task_id": "t1", "candidate": "model", "score": 1, "reasoning": "human t1",
         "criteria": {"hmac": False, "header": True, "typo": True}},
        {"task_id": "t2", "candidate": "model", "score": 2, "criteria": {"hmac": False}},
        {"task_id": "t3", "candidate": "model", "score": 5, "reasoning": "human t3"},
    ]  # fmt: skip
    labels.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = calibrate_files(run, labels, top=2)
    rates = {(c.task_id, c.criterion): (c.agree, c.n) for c in report.criteria}
    assert rates == {("t1", "hmac"): (0, 1), ("t1", "header"): (1, 1), ("t2", "hmac"): (1, 1)}
    assert report.unknown_criteria == ["t1/typo"]
    assert report.criteria_agreement == pytest.approx(2 / 3)
    worst = [(i.task_id, i.difference, i.judge_reasoning, i.human_reasoning) for i in
             report.disagreements]  # fmt: skip
    assert worst == [("t1", 4, "judge on t1", "human t1"), ("t3", -2, "judge on t3", "human t3")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"task_id": "t1", "candidate": "m", "score": 7}', "line 2: field score"),
        ('{"task_id": "t1", "candidate": "m", "score": true}', "line 2: field score"),
        ('{"task_id": "t1", "candidate": "m", "score": 2.0}', "line 2: field score"),
        ('{"task_id": "t1", "score": 2}', "line 2: field candidate"),
        ('{"task_id": "t1", "candidate": "m", "score": 2, "scroe": 2}', "scroe: unknown key"),
        ('{"task_id": "t1", "candidate": "m", "score": 2, "criteria": {"a": "y"}}', "criteria.a"),
        ('{"task_id": "t1", "candidate": "m", "score": 2', "line 2: not valid JSON"),
        ('["t1", "m", 2]', "line 2: a label must be a JSON object"),
        ('{"task_id": "t0", "candidate": "m", "score": 3}', "a second label for task 't0'"),
    ],
)
def test_a_bad_labels_line_names_the_line_and_field(
    tmp_path: Path, line: str, message: str
) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"task_id": "t0", "candidate": "m", "score": 3}\n' + line + "\n")
    with pytest.raises(LabelsError) as caught:
        read_labels(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_calibrate_imports_neither_litellm_nor_datasets(tmp_path: Path) -> None:
    run, labels = write_case(tmp_path, [1, 2, 3], [1, 3, 3])
    code = (
        "import sys; from evalkit.cli import main;"
        f" rc = main(['calibrate', {str(run)!r}, '--labels', {str(labels)!r}]);"
        " print(rc, sorted(m for m in ('litellm', 'datasets') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "0 []"
