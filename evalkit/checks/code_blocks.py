"""Fenced code blocks of an answer, and the python source a `python` check runs.

Guarantees:
- Fences follow CommonMark's shape: three or more backticks or tildes, closed by a line of
  the same character at least as long; an unclosed block runs to the end of the answer.
  Fences indented inside lists are found, and that indentation is removed from their lines.
- `python_source` is the blocks tagged python (`python`, `py`, `python3`, any case) joined
  in order; only when no block is tagged python, the untagged blocks; never a block tagged
  with another language. An answer without such blocks gives the empty string.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
PYTHON_TAGS = frozenset({"python", "py", "python3"})


class Block(NamedTuple):
    """One fenced code block."""

    tag: str
    """The first word of the info string, lowercased ("" when untagged)."""
    code: str
    """The block's lines, without the fences."""


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced code block of `text`, in order."""
    blocks = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _OPEN.match(lines[index])
        index += 1
        if not opening or (opening["fence"][0] == "`" and "`" in opening["info"]):
            continue
        fence, indent = opening["fence"], len(opening["indent"].expandtabs(4))
        body = []
        while index < len(lines) and not _closes(lines[index], fence):
            body.append(_dedent(lines[index], indent))
            index += 1
        index += 1  # the closing fence
        blocks.append(Block(_tag(opening["info"]), "\n".join(body)))
    return blocks


def python_source(answer: str) -> str:
    """The answer's python code, as `solution.py` holds it (see the module docstring)."""
    blocks = fenced_blocks(answer)
    chosen = [block.code for block in blocks if block.tag in PYTHON_TAGS]
    if not chosen:
        chosen = [block.code for block in blocks if not block.tag]
    return "\n\n".join(chosen) + "\n" if chosen else ""


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and stripped == fence[0] * len(stripped)


def _dedent(line: str, indent: int) -> str:
    """The line without up to `indent` columns of leading whitespace."""
    expanded = line.expandtabs(4) if line[:1] == "\t" else line
    width = len(expanded) - len(expanded.lstrip(" "))
    return expanded[min(width, indent) :]


def _tag(info: str) -> str:
    words = info.strip().split()
    return words[0].strip("{}.").lower() if words else ""
