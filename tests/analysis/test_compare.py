"""compare: rows joined on (task, candidate), per-candidate statistics checked against
numpy and scipy, re-grade agreement against scikit-learn, and the CLI's exit codes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import msgspec
import pytest
from exact_stats import bootstrap_quantile_band, signed_rank_reference
from runfiles import Row, manifest, model_info, write_run

from evalkit.analysis.compare import compare_runs
from evalkit.analysis.comparison import Comparison, comparison_json
from evalkit.analysis.gate import regressions
from evalkit.cli import main
from evalkit.cli.common import EXIT_OK, EXIT_REGRESSION
from evalkit.report.compare_markdown import render
from evalkit.runfile.lines import read_scores

np = pytest.importorskip("numpy")
scipy_stats = pytest.importorskip("scipy.stats")
sklearn_metrics = pytest.importorskip("sklearn.metrics")


def _compare(tmp_path: Path, rows_a: list[Row], rows_b: list[Row], **kw) -> Comparison:
    a = write_run(tmp_path / "a.jsonl", rows_a, kw.get("manifest_a"))
    b = write_run(tmp_path / "b.jsonl", rows_b, kw.get("manifest_b"))
    return compare_runs(read_scores(a), read_scores(b))


# (row in A, row in B) -> outcome, delta. None: the file has no record for the row.
ROW_CASES = [
    (Row("t", "m", "ok", 2), Row("t", "m", "ok", 4), "improved", 2),
    (Row("t", "m", "ok", 4), Row("t", "m", "ok", 1), "regressed", -3),
    (Row("t", "m", "ok", 3), Row("t", "m", "ok", 3), "unchanged", 0),
    (Row("t", "m", "ok", 3), None, "only_a", None),
    (None, Row("t", "m", "ok", 3), "only_b", None),
    (Row("t", "m", "ok", 3), Row("t", "m", "error", None), "not_ok", None),
    (Row("t", "m", "unavailable", None), Row("t", "m", "ok", 5), "not_ok", None),
    (Row("t", "m", "judge_error", None), Row("t", "m", "unavailable", None), "not_ok", None),
]


@pytest.mark.parametrize(("a", "b", "outcome", "delta"), ROW_CASES)
def test_each_row_gets_its_outcome_and_delta(
    tmp_path: Path, a: Row | None, b: Row | None, outcome: str, delta: int | None
) -> None:
    keep = Row("other", "m", "ok", 3)  # a file needs a record; this row is the same in both
    result = _compare(tmp_path, [keep, *([a] if a else [])], [keep, *([b] if b else [])])
    row = next(r for r in result.rows if r.task_id == "t")
    assert (row.outcome, row.delta) == (outcome, delta)
    assert (row.status_a, row.status_b) == (a.status if a else None, b.status if b else None)


def _paired_runs(n: int, seed: int) -> tuple[list[Row], list[Row]]:
    """n tasks for two candidates; B shifts m2 up and m1 down a little, at random."""
    rng = random.Random(seed)
    rows_a, rows_b = [], []
    for i in range(n):
        for candidate, shift in (("m1", (-1, -1, 0, 0, 1)), ("m2", (-1, 0, 1, 1, 2))):
            score = rng.randint(1, 5)
            rows_a.append(Row(f"t{i}", candidate, "ok", score))
            rows_b.append(Row(f"t{i}", candidate, "ok", min(5, max(1, score + rng.choice(shift)))))
    # Rows that must not count: missing in B, not ok in A, not ok in B.
    rows_a += [Row("gone", "m1", "ok", 5), Row("down", "m2", "unavailable", None)]
    rows_b += [Row("down", "m2", "ok", 1), Row("bad", "m1", "judge_error", None)]
    rows_a.append(Row("bad", "m1", "ok", 5))
    return rows_a, rows_b


@pytest.mark.parametrize(("n", "seed"), [(12, 1), (40, 2), (120, 3)])
def test_candidate_figures_match_numpy_and_scipy(tmp_path: Path, n: int, seed: int) -> None:
    rows_a, rows_b = _paired_runs(n, seed)
    result = _compare(tmp_path, rows_a, rows_b)
    for line in result.candidates:
        a, b = (_paired_scores(rows, line.candidate) for rows in (rows_a, rows_b))
        d = b - a
        assert line.paired == n
        assert line.mean_a == pytest.approx(a.mean())
        assert line.mean_b == pytest.approx(b.mean())
        assert line.mean_delta == pytest.approx(d.mean())
        assert (line.improved, line.regressed, line.unchanged) == (
            int((d > 0).sum()),
            int((d < 0).sum()),
            int((d == 0).sum()),
        )
        _check_p_value(line.wilcoxon.p_value, d)
        _check_interval(line.ci, d)


def _paired_scores(rows: list[Row], candidate: str):
    """The scores of the candidate's t<i> rows (the ones ok in both files), in order."""
    return np.array([r.score for r in rows if r.candidate == candidate and r.task_id[1:].isdigit()])


def _check_p_value(p_value: float | None, d) -> None:
    nonzero = int((d != 0).sum())
    if nonzero <= 13:  # scipy enumerates every sign flip: exact, ties included
        method = scipy_stats.PermutationMethod(n_resamples=np.inf)
        expected = scipy_stats.wilcoxon(d, method=method).pvalue
    elif nonzero <= 50:  # too many flips for scipy.stats.wilcoxon's loop: the same test
        reference = signed_rank_reference(d.tolist())  # by scipy.stats.permutation_test
        assert p_value == pytest.approx(reference.p_value, rel=1e-9, abs=reference.tolerance)
        return
    else:
        expected = scipy_stats.wilcoxon(d, correction=False, method="asymptotic").pvalue
    assert p_value == pytest.approx(expected, rel=1e-9)


def _check_interval(ci, d) -> None:
    """The interval's ends lie on the exact bootstrap distribution's 2.5% and 97.5%
    quantiles (numpy convolutions), give or take four Monte Carlo standard errors."""
    slack = 4 * (0.025 * 0.975 / ci.resamples) ** 0.5
    low = bootstrap_quantile_band(d.tolist(), 0.025, slack)
    high = bootstrap_quantile_band(d.tolist(), 0.975, slack)
    assert low[0] <= ci.low <= low[1]
    assert high[0] <= ci.high <= high[1]


def test_rows_not_ok_or_in_one_file_are_counted_apart_never_scored(tmp_path: Path) -> None:
    rows_a, rows_b = _paired_runs(10, 4)
    result = _compare(tmp_path, rows_a, rows_b)
    m1, m2 = result.candidates
    assert (m1.only_a, m1.only_b, m1.not_ok) == (1, 0, 1)  # gone; bad (judge_error in B)
    assert (m2.only_a, m2.only_b, m2.not_ok) == (0, 0, 1)  # down (unavailable in A)
    unscored = {(r.task_id, r.outcome) for r in result.rows if not r.scored}
    assert unscored == {("gone", "only_a"), ("bad", "not_ok"), ("down", "not_ok")}


def test_a_candidate_with_nothing_paired_has_no_figures(tmp_path: Path) -> None:
    result = _compare(tmp_path, [Row("t", "m", "unavailable", None)], [Row("t", "m", "ok", 3)])
    line = result.candidates[0]
    assert (line.paired, line.mean_delta, line.ci, line.wilcoxon) == (0, None, None, None)
    assert regressions(result) == []


def test_the_same_files_give_the_same_json(tmp_path: Path) -> None:
    rows_a, rows_b = _paired_runs(30, 5)
    first = _compare(tmp_path / "1", rows_a, rows_b)
    second = _compare(tmp_path / "2", rows_a, rows_b)
    first.a = first.b = second.a = second.b = None  # the paths differ
    assert first == second


# --- re-grades -----------------------------------------------------------------------


def _regrade_rows(seed: int, judge_b: str = "embedded", same_text: bool = True):
    rng = random.Random(seed)
    rows_a, rows_b = [], []
    for i in range(25):
        score = rng.randint(1, 5)
        other = min(5, max(1, score + rng.choice((-1, 0, 0, 1))))
        text = f"answer {i}"
        rows_a.append(Row(f"t{i}", "m", "ok", score, text=text))
        rows_b.append(Row(f"t{i}", "m", "ok", other, text=text if same_text else text + "!"))
    rows_b = [r._replace(judge=judge_b) for r in rows_b]
    return rows_a, rows_b


def test_a_regrade_reports_inter_judge_agreement_as_sklearn_computes_it(tmp_path: Path) -> None:
    rows_a, rows_b = _regrade_rows(6)
    result = _compare(tmp_path, rows_a, rows_b, manifest_b=manifest(["m"], judge="embedded"))
    assert result.regrade is not None
    figures = result.regrade.agreement
    a = [r.score for r in rows_a]
    b = [r.score for r in rows_b]
    kappa = sklearn_metrics.cohen_kappa_score(a, b, labels=[1, 2, 3, 4, 5], weights="quadratic")
    assert figures.kappa_quadratic == pytest.approx(kappa)
    assert figures.exact == pytest.approx(np.mean(np.array(a) == np.array(b)))
    assert figures.within_one == pytest.approx(np.mean(abs(np.array(a) - np.array(b)) <= 1))
    assert (result.regrade.judge_a, result.regrade.judge_b) == ("gemma3-27b", "embedded")


def test_a_changed_judge_prompt_under_the_same_name_is_a_regrade(tmp_path: Path) -> None:
    rows_a, rows_b = _regrade_rows(7, judge_b="gemma3-27b")
    changed = manifest(["m"], prompt_sha256="1" * 64)
    result = _compare(tmp_path, rows_a, rows_b, manifest_b=changed)
    assert result.regrade is not None


@pytest.mark.parametrize(
    ("judge_b", "same_text", "note"),
    [
        ("gemma3-27b", True, None),  # same judge, same answers: a re-run, not a re-grade
        ("embedded", False, "deltas mix answer and judge differences"),
    ],
)
def test_not_a_regrade(tmp_path: Path, judge_b: str, same_text: bool, note: str | None) -> None:
    rows_a, rows_b = _regrade_rows(8, judge_b, same_text)
    result = _compare(tmp_path, rows_a, rows_b, manifest_b=manifest(["m"], judge=judge_b))
    assert result.regrade is None
    assert any(note in n for n in result.notes) if note else result.notes == []


def test_a_file_with_several_judges_is_read_through_its_manifest_judge(tmp_path: Path) -> None:
    rows_a = [Row("t", "m", "ok", 2, judge="other"), Row("t", "m", "ok", 4)]
    result = _compare(tmp_path, rows_a, [Row("t", "m", "ok", 4)])
    assert result.rows[0].score_a == 4
    assert any("1 record(s) by other judges" in n for n in result.notes)


def test_changed_settings_and_suite_are_noted(tmp_path: Path) -> None:
    hot = model_info("m")
    hot.params["temperature"] = 0.9
    changed = manifest(["m"], models={"m": hot}, fingerprint="0" * 64)
    result = _compare(
        tmp_path, [Row("t", "m", "ok", 3)], [Row("t", "m", "ok", 3)], manifest_b=changed
    )
    assert "suite 'big-brain' changed between the runs (its fingerprint differs)" in result.notes
    assert "m: temperature 0.3 -> 0.9" in result.notes


def _served(identity: str | None, source: str | None, model: str = "m") -> dict:
    info = model_info("m").model_copy(
        update={
            "identity": identity,
            "identity_source": source,
            "litellm_model": f"ollama_chat/{model}",
        }
    )
    return {"m": info}


# (A's identity, B's identity) of candidate m -> what compare says first, if anything
IDENTITY_CASES = {
    "re-pulled": (
        ("a" * 64, "digest", "m"),
        ("b" * 64, "digest", "m"),
        "candidate m changed: digest aaaaaaaaaaaa… → bbbbbbbbbbbb…",
    ),
    "same-digest": (("a" * 64, "digest", "m"), ("a" * 64, "digest", "m"), None),
    "unknown-in-a": ((None, None, "m"), ("b" * 64, "digest", "m"), None),
    "server-was-down-in-b": (("a" * 64, "digest", "m"), ("ollama_chat/m", "model", "m"), None),
    "another-model-string": (
        ("ollama_chat/m", "model", "m"),
        ("ollama_chat/m2", "model", "m2"),
        "candidate m changed: model ollama_chat/m → ollama_chat/m2",
    ),
}


@pytest.mark.parametrize(("a", "b", "said"), IDENTITY_CASES.values(), ids=IDENTITY_CASES.keys())
def test_a_changed_identity_is_said_and_an_unknown_one_is_not(
    tmp_path: Path, a: tuple, b: tuple, said: str | None
) -> None:
    result = _compare(
        tmp_path,
        [Row("t", "m", "ok", 3)],
        [Row("t", "m", "ok", 3)],
        manifest_a=manifest(["m"], models=_served(*a)),
        manifest_b=manifest(["m"], models=_served(*b)),
    )
    assert [c.message for c in result.model_changes] == ([said] if said else [])
    assert not any("model ollama_chat/m ->" in n for n in result.notes)  # said once, first


# --- output and the command line -----------------------------------------------------


def test_markdown_escapes_model_text(tmp_path: Path) -> None:
    rows_a = [Row("t|<b>", "m", "ok", 2)]
    rows_b = [Row("t|<b>", "m", "ok", 4)]
    text = render(_compare(tmp_path, rows_a, rows_b), rows="all")
    assert "t\\|&lt;b&gt;" in text and "<b>" not in text


def _cli_files(tmp_path: Path, drop: int) -> tuple[str, str]:
    """A and B over ten tasks; B's m2 is `drop` points lower on half of them."""
    rows_a = [Row(f"t{i}", c, "ok", 4) for i in range(10) for c in ("m1", "m2")]
    rows_b = [
        r._replace(score=r.score - drop) if r.candidate == "m2" and int(r.task_id[1:]) % 2 else r
        for r in rows_a
    ]
    a = write_run(tmp_path / "a.jsonl", rows_a)
    b = write_run(tmp_path / "b.jsonl", rows_b)
    return str(a), str(b)


@pytest.mark.parametrize(
    ("drop", "flag", "code"),
    [
        (0, ["--fail-on-regression"], EXIT_OK),
        (1, [], EXIT_OK),  # no gate asked for
        (1, ["--fail-on-regression"], EXIT_REGRESSION),  # mean drops 0.5 > 0
        (1, ["--fail-on-regression", "0.5"], EXIT_OK),  # a drop of 0.5 is allowed
        (1, ["--fail-on-regression", "0.4"], EXIT_REGRESSION),
        (2, ["--fail-on-regression", "0.5"], EXIT_REGRESSION),  # mean drops 1.0
    ],
)
def test_fail_on_regression_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture, drop: int, flag: list[str], code: int
) -> None:
    a, b = _cli_files(tmp_path, drop)
    assert main(["compare", a, b, "--format", "json", *flag]) == code
    captured = capsys.readouterr()
    assert ("regression: m2" in captured.err) == (code == EXIT_REGRESSION)


def test_json_output_is_the_comparison_model(tmp_path: Path, capsys) -> None:
    a, b = _cli_files(tmp_path, 1)
    main(["compare", a, b, "--format", "json"])
    out = capsys.readouterr().out
    parsed = msgspec.json.decode(out, type=Comparison, strict=True)
    assert [c.mean_delta for c in parsed.candidates] == [0.0, -0.5]
    assert len(parsed.rows) == 20
    assert comparison_json(parsed) == out
    row = json.loads(out)["rows"][0]
    assert list(row) == [
        "task_id", "candidate", "status_a", "status_b", "score_a", "score_b", "label_a",
        "label_b", "delta", "outcome", "same_answer", "sample",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("md", ["## Per candidate", "| m2 | 10 | 4.00 | 3.50 | -0.50 |", "## Not scored"]),
        ("table", ["Per candidate", "m2", "-0.50", "Rows that changed"]),
    ],
)
def test_formats_show_the_candidate_figures(tmp_path: Path, capsys, fmt, expected) -> None:
    a, b = _cli_files(tmp_path, 1)
    assert main(["compare", a, b, "--format", fmt]) == EXIT_OK
    out = capsys.readouterr().out
    for piece in expected:
        assert piece in out


def test_a_missing_file_is_an_input_error(tmp_path: Path, capsys) -> None:
    a, _ = _cli_files(tmp_path, 0)
    assert main(["compare", a, str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("b_status", "flags", "code", "message"),
    [
        # B holds the row but could not grade it: the gate cannot pass on no data
        ("unavailable", [], EXIT_REGRESSION, "regression: m: 1 row(s) graded ok in A are not ok"),
        ("judge_error", [], EXIT_REGRESSION, "regression: m: 1 row(s) graded ok in A are not ok"),
        # B has no record of the row: it stopped early, so the gate cannot pass either
        (None, [], EXIT_REGRESSION, "regression: m: 1 row(s) graded ok in A are missing from B"),
        # unless the user says B ran fewer tasks on purpose: reported, the gate covers the rest
        (
            None,
            ["--allow-missing"],
            EXIT_OK,
            "warning: m: 1 row(s) graded ok in A are absent from B",
        ),
    ],
)
def test_rows_lost_in_b_fail_the_gate_when_b_failed_them(
    tmp_path: Path, capsys, b_status: str | None, flags: list[str], code: int, message: str
) -> None:
    rows_a = [Row("t1", "m", "ok", 4), Row("t2", "m", "ok", 4)]
    rows_b = [Row("t1", "m", "ok", 4)]
    if b_status:
        rows_b.append(Row("t2", "m", b_status, None))
    a = write_run(tmp_path / "a.jsonl", rows_a)
    b = write_run(tmp_path / "b.jsonl", rows_b)
    line = compare_runs(read_scores(a), read_scores(b)).candidates[0]
    assert (line.lost, line.failed) == (1, 1 if b_status else 0)
    gate = ["--format", "json", "--fail-on-regression", *flags]
    assert main(["compare", str(a), str(b), *gate]) == code
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("kept", [0, 4], ids=["no-records", "some-records"])
def test_the_gate_fails_on_a_run_that_crashed_after_its_manifest(
    tmp_path: Path, capsys, kept: int
) -> None:
    """B was killed after writing its manifest (and `kept` of m2's records): every row A
    graded ok that B lacks fails the gate, named by candidate and count, in every format."""
    a, _ = _cli_files(tmp_path, 0)
    rows_b = [Row(f"t{i}", "m2", "ok", 4) for i in range(kept)]
    b = str(write_run(tmp_path / "crashed.jsonl", rows_b, manifest(["m1", "m2"])))
    assert main(["compare", a, b, "--fail-on-regression"]) == EXIT_REGRESSION
    captured = capsys.readouterr()
    assert "regression: m1: 10 row(s) graded ok in A are missing from B" in captured.err
    assert f"regression: m2: {10 - kept} row(s) graded ok in A are missing from B" in captured.err
    missing = f"B has no record of {20 - kept} row(s) graded ok in A (m1 10, m2 {10 - kept})"
    assert missing in captured.out.replace("\n", " ")
    assert main(["compare", a, b, "--format", "md", "--fail-on-regression", "1"]) == 4
    assert f"- Note: {missing}" in capsys.readouterr().out
    assert main(["compare", a, b, "--fail-on-regression", "--allow-missing"]) == EXIT_OK
    assert "warning: m1: 10 row(s) graded ok in A are absent from B" in capsys.readouterr().err


def test_a_bad_score_in_either_file_names_the_file_the_line_and_the_field(
    tmp_path: Path, capsys
) -> None:
    a, b = _cli_files(tmp_path, 0)
    lines = Path(b).read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace('"score":4', '"score":7', 1)
    assert '"score":7' in lines[2]
    Path(b).write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["compare", a, b]) == 2
    assert f"{b}, line 3: not a result record: verdict.score" in capsys.readouterr().err
