"""Markdown building blocks that keep model text inert.

Answers, labels and judge notes are hostile input: a model can write HTML, a pipe that
breaks a table, or a fence that closes a code block early. Inline text is HTML-escaped
(renderers show `&lt;` as `<`), table cells also lose pipes and newlines, and code blocks
get a fence longer than any backtick run inside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_BACKTICKS = re.compile(r"`+")


_HTML_SPECIAL = re.compile("[&<>]")


def inline(text: str) -> str:
    """Text safe to place in a paragraph or list item: no raw HTML survives."""
    if _HTML_SPECIAL.search(text) is None:  # most text: one scan instead of three
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_CELL_SPECIAL = re.compile(r"[&<>|]|[^\S ]|  |^ | $")
"""What `cell` changes: markup, pipes, whitespace other than single inner spaces."""


def cell(text: str) -> str:
    """Text safe inside a table cell: escaped, one line, pipes escaped."""
    if _CELL_SPECIAL.search(text) is None:  # most cells: nothing to change
        return text
    return " ".join(inline(text).split()).replace("|", "\\|")


def fence(text: str, info: str = "text") -> str:
    """A fenced code block whose fence no backtick run in `text` can close."""
    longest = 0
    if "```" in text:  # shorter runs cannot close a fence of three
        longest = max(len(run) for run in _BACKTICKS.findall(text))
    marker = "`" * max(3, longest + 1)
    return f"{marker}{info}\n{text.rstrip()}\n{marker}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A pipe table; cells must already be escaped with `cell`."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def signed(value: float, digits: int = 2) -> str:
    """A difference with its sign, e.g. +0.25 or -1.00."""
    return f"{value:+.{digits}f}"


def p_value(value: float | None) -> str:
    """A p-value in three significant digits; n/a when undefined."""
    return "n/a" if value is None else f"{value:.3g}"


def ms(value: float | None) -> str:
    """Milliseconds with thousands separators, as the seed document writes them."""
    return "N/A" if value is None else f"{value:,.0f} ms"
