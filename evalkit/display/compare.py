"""`compare` in the terminal: the models that changed (first), per-candidate figures, judge
agreement on a re-grade, the rows that changed and the rows never scored."""

from __future__ import annotations

from rich import box
from rich.markup import escape
from rich.table import Table

from evalkit.analysis.compare import Comparison
from evalkit.display.console import STATUS_STYLE, console, more, note, signed_style
from evalkit.display.layout import Cell, print_table

TERMINAL_CANDIDATE_COLUMNS = ("n", "A", "B", "Δ", "95% CI", "MDE", "p", "Wilc.", "+/-/=", "ns")
"""compare_markdown.CANDIDATE_COLUMNS after the name, shortened to fit 80 columns: p is the
Holm-adjusted bootstrap p (the raw one is in md and json), + - = share a column."""


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
    table = Table(
        title="Per candidate: rows graded ok in both",
        caption="n: rows ok in both · A, B: mean scores · MDE: smallest Δ the suite detects"
        " · p: bootstrap p, Holm-adjusted across candidates · Wilc.: Wilcoxon p · +/-/=:"
        " rows improved, regressed, unchanged · ns: not scored",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    table.add_column("candidate", min_width=10)
    for column in TERMINAL_CANDIDATE_COLUMNS:
        table.add_column(column, justify="right", no_wrap=True)
    for line in result.candidates:
        cells = figures(line)
        cells[3] = signed_style(line.mean_delta, cells[3])
        short = [*cells[:6], cells[7], cells[8], "/".join(cells[9:12]), cells[12]]
        table.add_row(escape(line.candidate), *short)
    console.print(table)
    if result.checked:
        checks = Table(title="Checks passed per candidate (passed/ran)", box=box.SIMPLE_HEAD)
        for column in ("candidate", "A", "B"):
            checks.add_column(column, justify="left" if column == "candidate" else "right")
        for line in result.candidates:
            checks.add_row(escape(line.candidate), *check_figures(line))
        console.print(checks)
    console.print(escape(method_note(result)), style="dim", highlight=False)
    if result.regrade is not None:
        agreement = Table(title="Inter-judge agreement: B re-grades A's answers")
        for column in AGREEMENT_COLUMNS:
            agreement.add_column(column)
        regrade = result.regrade
        agreement.add_row(
            escape(regrade.judge_a), escape(regrade.judge_b), *agreement_figures(regrade)
        )
        console.print(agreement)
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
            _delta(row.delta or 0),
            label_change(row),
        ]
        for row in (listed[:limit] if limit else listed)
    ]
    title = "Rows scored in both" if every else "Rows that changed"
    print_table(title, ["task", "candidate", "A", "B", "Δ", "label"], rows, ("A", "B", "Δ"))
    more(len(listed), limit, "rows; --format md or json lists every one")


def _delta(delta: int) -> Cell:
    """A score's change, green for a rise and red for a drop, as `console.signed_style`."""
    return (f"{delta:+d}", "green" if delta > 0 else "red" if delta < 0 else None)


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
