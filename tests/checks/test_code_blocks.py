"""Which parts of an answer become solution.py."""

from __future__ import annotations

import pytest

from evalkit.checks import fenced_blocks, python_source

FENCE = "```"

CASES = [
    ("tagged python blocks, in order, others ignored",
     f"a\n{FENCE}python\nx = 1\n{FENCE}\n{FENCE}bash\nrm -rf /\n{FENCE}\n"
     f"{FENCE}py\ny = 2\n{FENCE}\n",
     "x = 1\n\ny = 2\n"),
    ("untagged blocks when none is tagged python",
     f"{FENCE}\nx = 1\n{FENCE}\n{FENCE}json\n{{}}\n{FENCE}\n{FENCE}\ny = 2\n{FENCE}",
     "x = 1\n\ny = 2\n"),
    ("untagged blocks are ignored when one is tagged python",
     f"{FENCE}\nprint('usage')\n{FENCE}\n{FENCE}Python3 title=x.py\nx = 1\n{FENCE}", "x = 1\n"),
    ("no code block at all", "Just use hmac.compare_digest.", ""),
    ("only other languages", f"{FENCE}js\nlet x\n{FENCE}", ""),
    ("an inline fence is not a block", f"use {FENCE}python x{FENCE} here", ""),
    ("an unclosed block runs to the end", f"{FENCE}python\nx = 1\ny = 2", "x = 1\ny = 2\n"),
    ("a longer fence holds a shorter one",
     f"````python\ns = '''\n{FENCE}\n'''\n````", f"s = '''\n{FENCE}\n'''\n"),
    ("tilde fences", "~~~python\nx = 1\n~~~", "x = 1\n"),
    ("a block indented in a list is dedented",
     f"1. Do this:\n   {FENCE}python\n   def f():\n       return 1\n   {FENCE}",
     "def f():\n    return 1\n"),
    ("a closing fence needs the same character", f"{FENCE}python\nx = 1\n~~~\ny = 2\n{FENCE}",
     "x = 1\n~~~\ny = 2\n"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "source"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_python_source(answer: str, source: str) -> None:
    assert python_source(answer) == source


def test_fenced_blocks_reports_each_blocks_tag() -> None:
    answer = f"{FENCE}python\na\n{FENCE}\n{FENCE}\nb\n{FENCE}\n{FENCE}JSON\n{{}}\n{FENCE}"
    assert [block.tag for block in fenced_blocks(answer)] == ["python", "", "json"]
