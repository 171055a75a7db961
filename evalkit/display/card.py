"""The judge card in the terminal: one row per probe, flags in red, and what each probe
measured under the table. Status lines (probe health, progress, warnings) of the `card`
command go to standard error, so standard output holds the card alone."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from evalkit.analysis.card_models import JudgeCard
from evalkit.display.console import console, errors
from evalkit.report.card_markdown import COLUMNS, agreement_line, preamble, rows

SHOWN = [column for column in COLUMNS if column != "What was measured"]
"""The terminal's columns: what each probe measured is listed under the table."""


def card(found: JudgeCard) -> None:
    """The card's preamble, table, agreement figures and what each probe measured."""
    table = Table(title=f"Judge card: {escape(found.judge)}")
    for column in SHOWN:
        right = column in ("n", "Effect", "95% CI")
        table.add_column(column, justify="right" if right else "left", overflow="fold")
    for cells in rows(found):
        shown = dict(zip(COLUMNS, (escape(cell) for cell in cells), strict=True))
        if cells[COLUMNS.index("Flagged")] == "FLAGGED":
            shown["Flagged"] = "[bold red]FLAGGED[/]"
            shown["Probe"] = f"[bold red]{shown['Probe']}[/]"
        table.add_row(*(shown[column] for column in SHOWN))
    console.print(escape(preamble(found)), highlight=False)
    console.print(table)
    line = agreement_line(found.probes.agreement)
    if line:
        console.print(escape(line), highlight=False)
    for name, probe in found.probes:
        console.print(f"  [bold]{name}[/]: {escape(probe.measured)}", highlight=False)


def status(message: str) -> None:
    """A status line on standard error."""
    errors.print(escape(message), highlight=False, soft_wrap=True)
