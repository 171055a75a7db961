"""Tables of short cells laid out by hand, as rich's SIMPLE_HEAD table draws them (a title,
a bold header, a rule, a line per row, no borders), and printed as one Text.

For tables whose cells are already short (ids, scores, statuses, labels): there is nothing
for a rich Table to measure or wrap, and laying them out here costs a fraction of it (`show`'s
100 rows: 50 ms as a Table, 5 ms so; `compare`'s two tables of 30 rows: 30 ms and 8 ms,
measured). Cells are plain text or (text, style), never markup, so model text and task
ids print as they are. A line wider than the terminal is left whole (soft wrap), not
folded into a second row.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.cells import cell_len
from rich.text import Text

from evalkit.display.console import console

GAP = 3
"""Spaces between two columns."""
MARGIN = 2
"""Spaces before the first column."""

Cell = str | tuple[str, str | None] | Text
"""A cell's text, its text and a rich style (e.g. "green"), or a Text of several styles."""


def text_of(cell: Cell) -> str:
    """A cell's text."""
    if isinstance(cell, str):
        return cell
    return cell.plain if isinstance(cell, Text) else cell[0]


def column_widths(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> list[int]:
    """Each column's width: its widest cell or header, in terminal cells."""
    return [
        max(cell_len(name), *(cell_len(text_of(row[i])) for row in rows))
        for i, name in enumerate(header)
    ]


def laid_out(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    right: Collection[str] = (),
    *,
    last: tuple[str, int] | None = None,
) -> Text:
    """The table as one Text: columns padded to their widest cell, right-aligned when
    their header is in `right`. `last`, (header, width): a final column whose cells, one
    more per row, are written as they are (already cut to that width by the caller); the
    title is centred over it too."""
    widths = column_widths(header, [row[: len(header)] for row in rows])
    names = [*header, *([last[0]] if last else [])]
    width = MARGIN + sum(widths) + GAP * (len(names) - 1) + (last[1] if last else 0)
    table = Text(no_wrap=True, overflow="crop")
    table.append(title.center(width).rstrip() + "\n", style="italic")
    heads = _line(names, [*widths, *([0] if last else [])], right)
    table.append(" " * MARGIN + heads + "\n", style="bold")
    table.append(" " * MARGIN + "─" * (width - MARGIN) + "\n")
    for row in rows:
        table.append(" " * MARGIN)
        for i, cell in enumerate(row):
            pad = " " * ((widths[i] if i < len(widths) else 0) - cell_len(text_of(cell)))
            flush = i < len(widths) and header[i] in right
            table.append((" " * GAP if i else "") + (pad if flush else ""))
            table.append(*((cell,) if isinstance(cell, str | Text) else cell))
            if not flush and i < len(row) - 1:
                table.append(pad)
        table.append("\n")
    return table


def _line(names: Sequence[str], widths: Sequence[int], right: Collection[str]) -> str:
    """The header's names padded to their columns' widths."""
    cells = [
        name.rjust(width) if name in right else name.ljust(width)
        for name, width in zip(names, widths, strict=True)
    ]
    return (" " * GAP).join(cells).rstrip()


def print_table(
    title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]], right: Collection[str] = ()
) -> None:
    """`laid_out`, printed: a line per row however wide the terminal."""
    console.print(laid_out(title, header, rows, right), end="", soft_wrap=True)
