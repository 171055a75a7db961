"""Check results in a few words, for table cells: what `show`, the end-of-run table and the
report print for one record's checks. Reads nothing but `passed`, so full records and the
skimmed lines of the readers read alike, and imports no model (`show` runs without
pydantic). A check that could not run is never counted as passed or failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class HasPassed(Protocol):
    """A check result, as far as these words read it."""

    @property
    def passed(self) -> bool | None: ...


def brief(results: Sequence[HasPassed], disagreements: int = 0) -> str:
    """One record's checks for a table cell: `2/3`, `2/3 +1 not run`, `2/3 ≠1` (one
    disagreement with the judge); "" when it has none."""
    if not results:
        return ""
    not_run = sum(result.passed is None for result in results)
    passed = sum(result.passed is True for result in results)
    text = f"{passed}/{len(results) - not_run}"
    if not_run:
        text += f" +{not_run} not run"
    if disagreements:
        text += f" ≠{disagreements}"
    return text


def outcome(result: HasPassed) -> str:
    """`pass`, `FAIL` or `not run`."""
    if result.passed is None:
        return "not run"
    return "pass" if result.passed else "FAIL"
