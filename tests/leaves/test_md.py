"""md and the HTML escape: the quick exits for text with nothing to change give exactly
what the full transformation gives, on random text built from the characters that matter."""

from __future__ import annotations

import html
import random

import pytest

from evalkit import md
from evalkit.report.html import escape

PIECES = ["a", "é", " ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u00a0"]
PIECES += [
    "\u2003",
    "\u2028",
    "\u2029",
    "\u3000",
    "\u1680",
    "\x00",
    "\u200b",
    "|",
    "&",
    "<",
    ">",
    '"',
    "'",
    "`",
    "x y",
    "&amp;",
]


def _texts(seed: int, count: int = 20_000) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(PIECES, k=rng.randint(0, 8))) for _ in range(count)]


def _full_cell(text: str) -> str:
    inline = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(inline.split()).replace("|", "\\|")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cell_and_inline_match_the_full_transformation(seed: int) -> None:
    for text in _texts(seed):
        assert md.cell(text) == _full_cell(text), repr(text)
        assert md.inline(text) == text.replace("&", "&amp;").replace("<", "&lt;").replace(
            ">", "&gt;"
        ), repr(text)


@pytest.mark.parametrize("seed", [4, 5])
def test_html_escape_matches_the_standard_library(seed: int) -> None:
    for text in _texts(seed):
        assert escape(text) == html.escape(text), repr(text)
