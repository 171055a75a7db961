"""Check results and check-vs-judge disagreements, counted for the readers: `show`, the
end-of-run summary, the report and `compare`.

Guarantees:
- A check that could not run (`passed` null) is counted as not run, never as passed or
  failed; a pass rate is taken over the checks that ran only, and is None when none ran.
- A disagreement is counted once per (record, check) as the record lists it: the judge's
  finding on the linked criterion contradicted the check's result.
- Nothing here reads more than `passed` from a result, so `compare`'s skimmed lines and full
  records count alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from evalkit.analysis.check_words import HasPassed

if TYPE_CHECKING:
    from evalkit.types import Disagreement, Record


@dataclass
class CheckCounts:
    """Check results over a set of records: how many passed, failed, could not run, and how
    often a check contradicted the judge (a dataclass: `compare` counts without pydantic)."""

    records: int = 0
    """Records that carry check results."""
    passed: int = 0
    """Check results that passed."""
    failed: int = 0
    """Check results that ran and failed."""
    not_run: int = 0
    """Check results that could not run (no sandbox, `--checks skip`, ...)."""
    disagreements: int = 0
    """Checks whose result contradicted the judge's finding on the criterion they name."""

    @property
    def ran(self) -> int:
        """Checks that ran: passed plus failed."""
        return self.passed + self.failed

    @property
    def pass_rate(self) -> float | None:
        """Passed over ran; None when no check ran."""
        return self.passed / self.ran if self.ran else None

    def add(self, results: Sequence[HasPassed], disagreements: int = 0) -> None:
        """Count one record's results (nothing when it has none)."""
        if not results:
            return
        self.records += 1
        for result in results:
            if result.passed is None:
                self.not_run += 1
            elif result.passed:
                self.passed += 1
            else:
                self.failed += 1
        self.disagreements += disagreements

    def include(self, other: CheckCounts) -> None:
        """Add another set of counts to these."""
        for name in ("records", "passed", "failed", "not_run", "disagreements"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def short(self) -> str:
        """`7/10`, then ` +2 not run` when some could not run; `-` without checks."""
        if not self.records:
            return "-"
        return f"{self.passed}/{self.ran}" + (f" +{self.not_run} not run" if self.not_run else "")

    def text(self) -> str:
        """`7/10 passed (70%)`, then `, 2 not run` when some could not run; `-` when the
        records carry no check."""
        if not self.records:
            return "-"
        rate = self.pass_rate
        shown = f"{self.passed}/{self.ran} passed" + (f" ({rate:.0%})" if rate is not None else "")
        return shown + (f", {self.not_run} not run" if self.not_run else "")


def count(records: Iterable[Record]) -> CheckCounts:
    """The check results and disagreements of `records`."""
    counts = CheckCounts()
    for record in records:
        counts.add(record.checks, len(record.disagreements))
    return counts


def count_by(records: Iterable[Record], field: str) -> dict[str, CheckCounts]:
    """`count` per value of a record field (`candidate`, `judge`), in first-seen order;
    only values whose records carry checks."""
    found: dict[str, CheckCounts] = {}
    for record in records:
        if record.checks:
            found.setdefault(getattr(record, field), CheckCounts()).add(
                record.checks, len(record.disagreements)
            )
    return found


def describe(disagreement: Disagreement) -> str:
    """A disagreement in words: `check hmac failed, the judge found uses_hmac met`."""
    check = "passed" if disagreement.check_passed else "failed"
    judge = "met" if disagreement.judge_met else "not met"
    return (
        f"check {disagreement.check_id} {check}, the judge found {disagreement.criterion} {judge}"
    )
