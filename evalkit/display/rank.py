"""`rank` in the terminal: the standings (with and without style control) and the
win-rate matrix."""

from __future__ import annotations

from rich import box
from rich.markup import escape
from rich.table import Table

from evalkit.analysis.leaderboard import Leaderboard, Standing
from evalkit.display.console import console, note
from evalkit.report.rank_markdown import STANDING_COLUMNS, cells, method_note, win_rate_cell


def leaderboard(board: Leaderboard, runs: list[str]) -> None:
    """Standings, how they were made, style effects and win rates."""
    for path in runs:
        note(f"run file: {path}")
    title = "Leaderboard" + (" (style control)" if board.style_control else "")
    _standings(title, board, board.standings)
    if board.uncontrolled is not None:
        _standings("Without style control", board, board.uncontrolled)
    if board.style:
        effects = ", ".join(f"{name} {points:+.1f}" for name, points in board.style.items())
        console.print(f"style effects (rating points per typical difference): {effects}")
    console.print(escape(method_note(board)), style="dim", highlight=False)
    if board.win_rates:
        _win_rates(board)


def _standings(title: str, board: Leaderboard, standings: list[Standing]) -> None:
    table = Table(title=title, box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False)
    for column in STANDING_COLUMNS:
        table.add_column(column, justify="left" if column == "Candidate" else "right")
    for line in standings:
        row = cells(board, line)
        row[1] = escape(line.candidate)
        table.add_row(*row)
    console.print(table)


def _win_rates(board: Leaderboard) -> None:
    names = [line.candidate for line in board.standings]
    table = Table(title="Win rates: row over column (ties half), comparisons in brackets")
    table.add_column("")
    for name in names:
        table.add_column(escape(name), justify="right")
    for a in names:
        table.add_row(escape(a), *(win_rate_cell(board, a, b) for b in names))
    console.print(table)
