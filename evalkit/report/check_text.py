"""The report's check results as plain text, shared by the Markdown and HTML renderers: a
checks cell per task, the per-candidate and per-judge tables, and the key finding.

Check ids, criterion ids and details come from the suite and from model-written code: the
renderers escape every string returned here as they escape answers.
"""

from __future__ import annotations

from evalkit.analysis.check_words import brief, outcome
from evalkit.analysis.checks import CheckCounts, describe
from evalkit.report.document import Cell, Report

PREAMBLE = (
    "Checks are deterministic or executed tests of each answer (patterns, JSON schemas, the"
    " answer's code run in a sandbox), run before the judge and recorded apart from its"
    " verdict. A disagreement is a check linked to a rubric criterion whose result"
    " contradicts the judge's finding on that criterion: where a check and the judge differ,"
    " one of them is wrong, and the check can be re-run."
)
CANDIDATE_COLUMNS = (
    "Candidate",
    "Records checked",
    "Passed",
    "Failed",
    "Not run",
    "Pass rate",
    "Disagreements with the judge",
)
"""The per-candidate checks table's columns."""
JUDGE_COLUMNS = ("Judge", "Records checked", "Checks that ran", "Disagreements")
"""The per-judge table's columns."""


def cell_text(cell: Cell) -> str:
    """A task's checks for one candidate in a table cell: `2/3 ≠1`, or `-` without any."""
    return brief(cell.checks, len(cell.disagreements)) or "-"


def _rate(counts: CheckCounts) -> str:
    rate = counts.pass_rate
    return "n/a" if rate is None else f"{rate:.0%}"


def candidate_rows(report: Report) -> list[list[str]]:
    """One row per candidate whose records carry checks, in CANDIDATE_COLUMNS' order."""
    return [
        [
            line.candidate,
            str(line.checks.records),
            str(line.checks.passed),
            str(line.checks.failed),
            str(line.checks.not_run),
            _rate(line.checks),
            str(line.checks.disagreements),
        ]
        for line in report.candidates
        if line.checks.records
    ]


def judge_rows(report: Report) -> list[list[str]]:
    """One row per judge of the run file whose records carry checks."""
    return [
        [judge, str(counts.records), str(counts.ran), str(counts.disagreements)]
        for judge, counts in report.judges_checks.items()
    ]


def check_lines(cell: Cell) -> list[tuple[str, str, str]]:
    """(outcome, check id, detail) for each of the cell's checks, in the suite's order."""
    return [(outcome(result), result.id, result.detail) for result in cell.checks]


def disagreement_lines(cell: Cell) -> list[str]:
    """Each disagreement of the cell in words."""
    return [describe(found) for found in cell.disagreements]


def findings(report: Report) -> list[str]:
    """The key finding about checks: pass counts per candidate, and disagreements."""
    if not report.checked:
        return []
    checked = [line for line in report.candidates if line.checks.records]
    passes = "; ".join(f"{line.candidate} {line.checks.text()}" for line in checked)
    found = sum(line.checks.disagreements for line in report.candidates)
    tail = (
        f" They contradicted the judge {found} time(s): see the Checks section, or"
        f" python -m evalkit show {report.path} --full."
        if found
        else " They never contradicted the judge."
    )
    return [f"Checks: {passes}.{tail}"]
