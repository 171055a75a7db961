"""Answers that are not whole: cut at max_tokens (finish reason "length") or empty.

Such an answer is graded like any other, so its score may say more about a too-small
`max_tokens` than about the model. Every reader that shows scores (the end-of-run summary,
`show`, the report) marks these answers and counts them per candidate with the words
made here, so the three always say the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the end-of-run summary counts Records, without msgspec
    from evalkit.runfile.heads import ManifestHead
    from evalkit.runfile.lines import KeyLine, LineAnswer
    from evalkit.runfile.report_lines import ReportLine
    from evalkit.types import Answer, Record, RunManifest


@dataclass
class Incomplete:
    """One candidate's answers that are not whole. A dataclass, not a pydantic model, so
    `show` counts them without pydantic; pydantic models hold it as a field all the same."""

    candidate: str
    """The candidate model."""
    cut: int = 0
    """Answers cut at the token limit (finish reason "length")."""
    empty: int = 0
    """Answers with no text (an empty answer that was also cut counts in both)."""
    max_tokens: int | None = None
    """The candidate's max_tokens as the manifest records it; None when not set."""

    def sentences(self) -> list[str]:
        """What a user should know, one sentence per kind, e.g. `gemma3:1b: 2 answers cut
        at max_tokens (1024): a low score may be a too-small max_tokens.`"""
        out = []
        if self.cut:
            limit = f" ({self.max_tokens})" if self.max_tokens is not None else " (not set)"
            out.append(
                f"{self.candidate}: {_answers(self.cut)} cut at max_tokens{limit}:"
                " a low score may be a too-small max_tokens."
            )
        if self.empty:
            out.append(
                f"{self.candidate}: {_answers(self.empty)} empty (the model wrote nothing),"
                " graded as missing everything."
            )
        return out


def marker(answer: Answer | LineAnswer | None, brief: bool = False) -> str:
    """A few words for an answer that is not whole: `cut at max_tokens`, `empty`, `empty,
    cut at max_tokens`; with `brief` (a narrow terminal column) `cut`, `empty`, `empty,
    cut`; "" for a whole answer or none."""
    if answer is None:
        return ""
    cut = "cut" if brief else "cut at max_tokens"
    return ", ".join(
        word for word, flag in (("empty", answer.empty), (cut, answer.truncated)) if flag
    )


def max_tokens_of(manifest: RunManifest | ManifestHead, candidate: str) -> int | None:
    """The candidate's max_tokens from the manifest's resolved settings."""
    info = manifest.models.get(candidate)
    value = info.params.get("max_tokens") if info is not None else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def count(
    records: Iterable[Record | KeyLine | ReportLine], manifest: RunManifest | ManifestHead
) -> list[Incomplete]:
    """Per candidate with any, in first-seen order: its answers cut and empty (of full
    records, or of `show`'s key lines, which read the answer's text and finish reason)."""
    found: dict[str, Incomplete] = {}
    for record in records:
        answer = record.answer
        if answer is None or not (answer.truncated or answer.empty):
            continue
        line = found.get(record.candidate)
        if line is None:
            limit = max_tokens_of(manifest, record.candidate)
            line = found[record.candidate] = Incomplete(
                candidate=record.candidate, max_tokens=limit
            )
        line.cut += answer.truncated
        line.empty += answer.empty
    return list(found.values())


def _answers(n: int) -> str:
    return f"{n} answer{'s' if n != 1 else ''}"
