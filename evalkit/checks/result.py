"""What a check found, and where it contradicts the judge. The stored models, `CheckResult`
and `Disagreement`, are part of the run file format and live in `evalkit.types`.

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

from evalkit.checks.spec import Check
from evalkit.types import CheckResult, Disagreement

NOT_RUN = "not run: "
"""How the detail of a check that could not run begins."""


class Outcome(NamedTuple):
    """What evaluating one check found, before its id and duration are attached."""

    passed: bool | None
    detail: str


def not_run(reason: str) -> Outcome:
    """The outcome of a check that could not run, for the given reason."""
    return Outcome(None, NOT_RUN + reason)


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
