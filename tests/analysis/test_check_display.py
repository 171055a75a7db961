"""Check results where people read them: `show` (table and --full), the end-of-run summary,
the report (a checks column per task, counts per candidate and per judge) and `compare`
(pass rates per candidate beside the scores), all from run files written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runfiles import check, disagree, record, write_run

from evalkit.analysis.summary import summarize_file
from evalkit.cli import main
from evalkit.display.run import run_summary
from evalkit.types import Record


def _records(judge: str = "gemma3-27b") -> list[Record]:
    """Two candidates on two tasks: m1 passes 3 of 4 checks, one failed check contradicts
    the judge; m2 passes 1 of 4, one check not run, no disagreement; t3 has no checks."""
    return [
        record(
            "t1",
            "m1",
            "ok",
            4,
            judge=judge,
            checks=[check("hmac", True), check("compare", False, "pattern not found")],
            disagreements=[disagree("compare", "constant_time")],
        ),
        record("t2", "m1", "ok", 5, judge=judge, checks=[check("edge", True), check("t", True)]),
        record("t3", "m1", "ok", 3, judge=judge),
        record(
            "t1",
            "m2",
            "ok",
            2,
            judge=judge,
            checks=[check("hmac", False), check("compare", None)],
        ),
        record("t2", "m2", "ok", 2, judge=judge, checks=[check("edge", False), check("t", True)]),
        record("t3", "m2", "ok", 3, judge=judge),
    ]


@pytest.fixture
def checked(tmp_path: Path) -> Path:
    return write_run(tmp_path / "run.jsonl", _records())


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_show_has_a_checks_column_with_passes_over_runs_and_disagreements(
    checked: Path, capsys
) -> None:
    assert main(["show", str(checked)]) == 0
    out = capsys.readouterr().out
    assert "checks" in out
    assert "1/2 ≠1" in out  # m1 on t1: one passed of two, one disagreement
    assert "0/1 +1 not run" in out  # m2 on t1
    assert "2/2" in out


def test_show_of_a_run_without_checks_has_no_checks_column(tmp_path: Path, capsys) -> None:
    path = write_run(tmp_path / "plain.jsonl", [record("t1", "m1", "ok", 3)])
    assert main(["show", str(path)]) == 0
    assert "checks" not in capsys.readouterr().out


def test_show_full_lists_each_check_and_each_disagreement(checked: Path, capsys) -> None:
    assert main(["show", str(checked), "--full", "--task", "t1"]) == 0
    out = _flat(capsys.readouterr().out)
    assert "checks: pass hmac (40 ms) exit 0 FAIL compare (40 ms) pattern not found" in out
    assert "DISAGREES check compare failed, the judge found constant_time met" in out
    assert "not run compare (40 ms) not run: no sandbox" in out


def test_show_full_prints_check_output_as_text_not_markup(tmp_path: Path, capsys) -> None:
    hostile = "exit 1\noutput:\n[red]not red[/red] [link=http://x]y[/link]"
    path = write_run(
        tmp_path / "r.jsonl", [record("t", "m", "ok", 3, checks=[check("c", False, hostile)])]
    )
    assert main(["show", str(path), "--full"]) == 0
    assert "[red]not red[/red] [link=http://x]y[/link]" in capsys.readouterr().out


def test_the_end_of_run_summary_counts_check_passes_and_disagreements(
    checked: Path, capsys
) -> None:
    summary = summarize_file(checked)
    counts = {line.candidate: line.checks for line in summary.candidates}
    assert (counts["m1"].passed, counts["m1"].failed, counts["m1"].disagreements) == (3, 1, 1)
    assert (counts["m2"].passed, counts["m2"].failed, counts["m2"].not_run) == (1, 2, 1)
    assert counts["m1"].records == counts["m2"].records == 2
    run_summary(summary)
    out = _flat(capsys.readouterr().out)
    assert "│ 3/4 │ 1 │" in out and "│ 1/3 +1 not run │ 0 │" in out
    assert "checks vs judge gemma3-27b: 1 disagreement(s) over 4 checked record(s)" in out


def test_the_summary_counts_the_latest_record_of_a_key_only(tmp_path: Path) -> None:
    """A resume rewrote m1's t1 with every check passing: the first result is gone."""
    again = record("t1", "m1", "ok", 5, checks=[check("hmac", True), check("compare", True)])
    summary = summarize_file(write_run(tmp_path / "r.jsonl", [*_records(), again]))
    m1 = next(line for line in summary.candidates if line.candidate == "m1")
    assert (m1.checks.passed, m1.checks.failed, m1.checks.disagreements) == (4, 0, 0)


def test_the_summary_of_a_run_without_checks_shows_no_check_columns(tmp_path: Path, capsys) -> None:
    summary = summarize_file(write_run(tmp_path / "r.jsonl", [record("t1", "m1", "ok", 3)]))
    assert not summary.checked and summary.judges_checks == {}
    run_summary(summary)
    out = capsys.readouterr().out
    assert "disagreement" not in out and "checks" not in out


def test_the_summary_counts_disagreements_per_judge(tmp_path: Path, capsys) -> None:
    both = [*_records("judge-a"), *_records("judge-b")[:1]]
    summary = summarize_file(write_run(tmp_path / "r.jsonl", both))
    assert {j: c.disagreements for j, c in summary.judges_checks.items()} == {
        "judge-a": 1,
        "judge-b": 1,
    }
    assert summary.judges_checks["judge-b"].records == 1


def test_summary_json_is_what_the_models_dump(checked: Path) -> None:
    dumped = json.loads(summarize_file(checked).model_dump_json())
    assert dumped["candidates"][0]["checks"] == {
        "records": 2,
        "passed": 3,
        "failed": 1,
        "not_run": 0,
        "disagreements": 1,
    }


# --- the report -------------------------------------------------------------------


def _report(path: Path, fmt: str, capsys) -> str:
    assert main(["report", str(path), "--format", fmt]) == 0
    return capsys.readouterr().out


def test_the_report_has_a_checks_column_per_task_and_counts_per_candidate_and_judge(
    checked: Path, capsys
) -> None:
    text = _report(checked, "md", capsys)
    assert "| Task | Latency | Quality score (1-5) | Verdict | Checks |" in text
    assert "| 1. t1 | 1,000 ms | 4/5 | GOOD | 1/2 ≠1 |" in text
    assert "| 1. t1 | 1,000 ms | 2/5 | BROKEN | 0/1 +1 not run |" in text
    assert "| 3. t3 | 1,000 ms | 3/5 | PARTIAL | - |" in text
    assert "| m1 | 2 | 3 | 1 | 0 | 75% | 1 |" in text  # per candidate
    assert "| m2 | 2 | 1 | 2 | 1 | 33% | 0 |" in text
    assert "| gemma3-27b | 4 | 7 | 1 |" in text  # per judge
    assert "- FAIL: `compare` pattern not found" in text
    assert "- check compare failed, the judge found constant_time met" in text
    assert "Checks: m1 3/4 passed (75%); m2 1/3 passed (33%), 1 not run." in text


def test_the_report_counts_disagreements_of_every_judge_in_the_file(tmp_path: Path, capsys) -> None:
    both = write_run(tmp_path / "r.jsonl", [*_records("gemma3-27b"), *_records("other")[:1]])
    text = _report(both, "md", capsys)
    assert "| gemma3-27b | 4 | 7 | 1 |" in text and "| other | 1 | 2 | 1 |" in text


def test_the_report_of_a_run_without_checks_has_no_checks_section(tmp_path: Path, capsys) -> None:
    path = write_run(tmp_path / "r.jsonl", [record("t1", "m1", "ok", 3)])
    for fmt in ("md", "html"):
        assert "Checks" not in _report(path, fmt, capsys)


HOSTILE_OUTPUT = "exit 1\noutput:\n<script>alert(1)</script>\n```\n# not a heading | pipe"


def test_check_output_in_the_report_is_inert(tmp_path: Path, capsys) -> None:
    rows = [record("t1", "m1", "ok", 3, checks=[check("<b>id</b>", False, HOSTILE_OUTPUT)])]
    path = write_run(tmp_path / "r.jsonl", rows)
    text = _report(path, "md", capsys)
    assert "````text\noutput:\n<script>alert(1)</script>\n```\n# not a heading | pipe\n````" in text
    assert "<b>id</b>" not in text.replace("````text", "").split("````")[0]
    page = _report(path, "html", capsys)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<code>&lt;b&gt;id&lt;/b&gt;</code>" in page


def test_the_html_report_shows_the_same_check_figures(checked: Path, capsys) -> None:
    page = _report(checked, "html", capsys)
    assert "<h2>Checks</h2>" in page and "<th>Checks</th>" in page
    assert "<td>1/2 ≠1</td>" in page and "<td>75%</td>" in page
    assert "check compare failed, the judge found constant_time met" in page


# --- compare ----------------------------------------------------------------------


@pytest.fixture
def two_checked_runs(tmp_path: Path) -> tuple[Path, Path]:
    """A is `_records`; in B m2 fixed its code: every check of it passes."""
    fixed = [
        record("t1", "m2", "ok", 4, checks=[check("hmac", True), check("compare", True)]),
        record("t2", "m2", "ok", 4, checks=[check("edge", True), check("t", True)]),
    ]
    b = [r for r in _records() if r.candidate == "m1" or r.task_id == "t3"] + fixed
    return write_run(tmp_path / "a.jsonl", _records()), write_run(tmp_path / "b.jsonl", b)


def test_compare_reports_check_pass_rates_per_candidate_beside_the_scores(
    two_checked_runs, capsys
) -> None:
    a, b = two_checked_runs
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "Checks passed per candidate (passed/ran)" in out
    checks = out[out.index("Checks passed per candidate") :].splitlines()
    m1, m2 = (next(row for row in checks if row.lstrip().startswith(name)) for name in ("m1", "m2"))
    assert "33% (1/3 +1 not run)" in m2 and "100% (4/4)" in m2
    assert m1.count("75% (3/4)") == 2


def test_compare_markdown_and_json_carry_the_check_pass_rates(two_checked_runs, capsys) -> None:
    a, b = two_checked_runs
    assert main(["compare", str(a), str(b), "--format", "md"]) == 0
    text = capsys.readouterr().out
    assert "| Checks passed A | Checks passed B |" in text
    assert "| 33% (1/3 +1 not run) | 100% (4/4) |" in text
    assert main(["compare", str(a), str(b), "--format", "json"]) == 0
    lines = {c["candidate"]: c for c in json.loads(capsys.readouterr().out)["candidates"]}
    assert lines["m2"]["checks_b"] == {
        "records": 2,
        "passed": 4,
        "failed": 0,
        "not_run": 0,
        "disagreements": 0,
    }


def test_compare_without_checks_shows_no_check_columns(tmp_path: Path, capsys) -> None:
    a = write_run(tmp_path / "a.jsonl", [record("t1", "m1", "ok", 3)])
    b = write_run(tmp_path / "b.jsonl", [record("t1", "m1", "ok", 4)])
    assert main(["compare", str(a), str(b), "--format", "md"]) == 0
    assert "Checks passed" not in capsys.readouterr().out
