"""`compare` in the terminal: the models that changed (first), per-candidate figures, judge
agreement on a re-grade, the rows that changed and the rows never scored."""

from __future__ import annotations

from rich.markup import escape

from evalkit.analysis.comparison import Comparison
from evalkit.display.console import STATUS_STYLE, console, more, note
from evalkit.display.layout import Cell, print_table

TERMINAL_CANDIDATE_COLUMNS = ("n", "A", "B", "Δ", "95% CI", "MDE", "p", "Wilc.", "+/-/=", "ns")
"""compare_markdown.CANDIDATE_COLUMNS after the name, shortened (about 100 columns in all):
p is the Holm-adjusted bootstrap p (the raw one is in md and json), + - = share a column.
A narrower terminal wraps the table's lines; no cell is cut."""

LEGEND = (
    "n: rows ok in both · A, B: mean scores · MDE: smallest Δ the suite detects · p: bootstrap"
    " p, Holm-adjusted across candidates · Wilc.: Wilcoxon p · +/-/=: rows improved,"
    " regressed, unchanged · ns: not scored"
)
"""What the per-candidate table's columns hold."""


def _short(cells: list[str], delta: float | None) -> list[Cell]:
    """compare_markdown's figures in TERMINAL_CANDIDATE_COLUMNS' order, Δ coloured."""
    return [
        *cells[:3],
        _signed(delta, cells[3]),
        *cells[4:6],
        cells[7],
        cells[8],
        "/".join(cells[9:12]),
        cells[12],
    ]


def comparison(result: Comparison, rows: str, limit: int) -> None:
    """`compare` in the terminal: what was compared, per-candidate figures, agreement of
    the judges on a re-grade, changed rows, and rows never scored."""
    from evalkit.report.compare_markdown import (
        AGREEMENT_COLUMNS,
        agreement_figures,
        check_figures,
        figures,
        method_note,
    )

    for side, ref in (("A", result.a), ("B", result.b)):
        note(f"{side}: {ref.path} (run {ref.run_id}, suite {ref.suite}, judge {ref.judge})")
    for change in result.model_changes:
        console.print(f"[bold red]{escape(change.message)}[/]", highlight=False)
    for line in result.notes:
        console.print(f"[yellow]note:[/] {escape(line)}", highlight=False)
    rows_of = [
        [line.candidate, *_short(figures(line), line.mean_delta)] for line in result.candidates
    ]
    header = ["candidate", *TERMINAL_CANDIDATE_COLUMNS]
    print_table("Per candidate: rows graded ok in both", header, rows_of, header[1:])
    console.print(LEGEND, style="dim", highlight=False, markup=False)
    if result.checked:
        checks = [[line.candidate, *check_figures(line)] for line in result.candidates]
        title = "Checks passed per candidate (passed/ran)"
        print_table(title, ["candidate", "A", "B"], checks, ("A", "B"))
    console.print(escape(method_note(result)), style="dim", highlight=False)
    if result.regrade is not None:
        regrade = result.regrade
        agreement = [regrade.judge_a, regrade.judge_b, *agreement_figures(regrade)]
        title = "Inter-judge agreement: B re-grades A's answers"
        print_table(title, AGREEMENT_COLUMNS, [agreement], AGREEMENT_COLUMNS[2:])
    if rows != "none":
        _comparison_rows(result, rows == "all", limit)
    _unscored_rows(result, limit)


def _comparison_rows(result: Comparison, every: bool, limit: int) -> None:
    from evalkit.report.compare_markdown import label_change

    listed = [r for r in result.rows if r.scored and (every or r.changed)]
    if not listed:
        note("no scored row changed between A and B")
        return
    rows = [
        [
            row.task_id,
            row.candidate,
            f"{row.score_a}/5",
            f"{row.score_b}/5",
            _signed(row.delta, f"{row.delta or 0:+d}"),
            label_change(row),
        ]
        for row in (listed[:limit] if limit else listed)
    ]
    title = "Rows scored in both" if every else "Rows that changed"
    print_table(title, ["task", "candidate", "A", "B", "Δ", "label"], rows, ("A", "B", "Δ"))
    more(len(listed), limit, "rows; --format md or json lists every one")


def _signed(value: float | None, text: str) -> Cell:
    """A change, green for a rise and red for a drop, plain when nothing moved."""
    return (text, "green" if value and value > 0 else "red" if value and value < 0 else None)


def _unscored_rows(result: Comparison, limit: int) -> None:
    from evalkit.report.compare_markdown import WHY

    unscored = [r for r in result.rows if not r.scored]
    if not unscored:
        return
    rows = [
        [row.task_id, row.candidate, _status(row.status_a), _status(row.status_b), WHY[row.outcome]]
        for row in (unscored[:limit] if limit else unscored)
    ]
    title = f"Not scored ({len(unscored)}): counted apart, never averaged"
    print_table(title, ["task", "candidate", "status A", "status B", "why"], rows)
    more(len(unscored), limit, "rows; --format md or json lists every one")


def _status(status: str | None) -> Cell:
    """A status cell coloured as `console.status` colours it."""
    return ("absent", "dim") if status is None else (status, STATUS_STYLE.get(status, "white"))
