"""What a check found, and where it contradicts the judge.

Guarantees:
- `passed` is `None` only when the check could not run; `detail` then says why, starting
  with "not run:". A check that ran and failed is `False`, whatever made it fail (a timeout,
  a crash, no code in the answer): a result is never invented.
- `find_disagreements` and `fatal_failures` are pure functions of the definitions, the
  results and the judge's findings; they match results to definitions by id, not position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from evalkit.checks.spec import Check

NOT_RUN = "not run: "
"""How the detail of a check that could not run begins."""


class CheckResult(BaseModel):
    """The outcome of one check on one answer, as stored in a record's `checks` list."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    id: str
    """The check's id in the suite."""
    passed: bool | None
    """True or False when the check ran; None only when it could not run."""
    detail: str
    """Why it passed or failed, or why it did not run; output from the sandbox is included
    (shortened) and is model-influenced text, to be treated like the answer."""
    duration_ms: float
    """Wall-clock time the check took, sandbox start included."""


class Outcome(NamedTuple):
    """What evaluating one check found, before its id and duration are attached."""

    passed: bool | None
    detail: str


def not_run(reason: str) -> Outcome:
    """The outcome of a check that could not run, for the given reason."""
    return Outcome(None, NOT_RUN + reason)


class Disagreement(BaseModel):
    """A check and the judge contradict each other on the criterion the check names."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    check_id: str
    """The check's id."""
    criterion: str
    """The rubric criterion id the check gives evidence for."""
    check_passed: bool
    """What the check found."""
    judge_met: bool
    """What the judge found for that criterion (the opposite of `check_passed`)."""


def find_disagreements(
    checks: Sequence[Check], results: Sequence[CheckResult], judge_met: Mapping[str, bool]
) -> list[Disagreement]:
    """Checks linked to a criterion whose result contradicts the judge's `met` for it, in
    the suite's order. A check that did not run, or a criterion the judge gave no finding
    for, is no disagreement: there is nothing to compare."""
    by_id = {result.id: result for result in results}
    found = []
    for check in checks:
        result = by_id.get(check.id)
        if check.criterion is None or result is None or result.passed is None:
            continue
        met = judge_met.get(check.criterion)
        if met is not None and met != result.passed:
            found.append(
                Disagreement(
                    check_id=check.id,
                    criterion=check.criterion,
                    check_passed=result.passed,
                    judge_met=met,
                )
            )
    return found


def fatal_failures(checks: Sequence[Check], results: Sequence[CheckResult]) -> list[str]:
    """Ids of the fatal checks that ran and failed: any of them caps the score (FATAL_CAP),
    as a missed fatal criterion does. A fatal check that did not run caps nothing."""
    failed = {result.id for result in results if result.passed is False}
    return [check.id for check in checks if check.severity == "fatal" and check.id in failed]
