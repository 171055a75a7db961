"""A task's checks in a run: run on each answer after it arrives and before the judge, their
results recorded beside the verdict.

Guarantees:
- Checks run off the event loop, in `evalkit.checks`' pool shared by every key (at most one
  per core at once), so the endpoints stay busy while code runs.
- Results are reused, never rerun, when a kept record (a resume's, a re-grade's source) has
  results for definitions with the same `checks_hash`; changed definitions run again.
- A failed fatal check caps the verdict's score at FATAL_CAP with `capped_from` set, as a
  missed fatal criterion does. A check that did not run caps nothing and contradicts
  nothing: a result is never invented.
- The judge is shown only the checks that ran: with `--checks skip`, or for a task without
  checks, its prompt is what it was without checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from evalkit.checks import (
    Check,
    Sandbox,
    checks_hash,
    fatal_failures,
    find_disagreements,
    find_sandbox,
    run_checks,
    validate_checks,
)
from evalkit.types import FATAL_CAP, CheckResult, Disagreement, Record, Task, Verdict


class CheckSetup:
    """How a run runs checks: in which sandbox, or not at all. (A plain class: a run plan
    is held by pydantic models as an arbitrary type, and a Sandbox is a protocol.)"""

    def __init__(self, sandbox: Sandbox | None = None, skip: bool = False) -> None:
        self.sandbox = sandbox
        """Where python checks run; None: they are recorded "not run: no sandbox"."""
        self.skip = skip
        """`--checks skip`: every check is recorded "not run: checks skipped"."""


class Checked(NamedTuple):
    """A task's check definitions and what they found on one answer."""

    checks: list[Check]
    results: list[CheckResult]
    key: str | None
    """The definitions' checks_hash; None for a task without checks."""

    def evidence(self) -> list[CheckResult]:
        """The results the judge is shown: those of checks that ran."""
        return [result for result in self.results if result.passed is not None]


NO_CHECKS = Checked([], [], None)


def definitions(task: Task) -> list[Check]:
    """The task's checks as models (validated when the suite loaded, so this cannot fail
    for a loaded task)."""
    return validate_checks(task.checks, [criterion.id for criterion in task.rubric])


async def check_answer(
    task: Task, text: str, setup: CheckSetup, kept: Record | None = None
) -> Checked:
    """The task's checks on the answer `text`: `kept`'s results when it has them for the
    same definitions, else run now."""
    if not task.checks:
        return NO_CHECKS
    checks = definitions(task)
    key = checks_hash(checks)
    if kept is not None and kept.checks and kept.checks_hash == key:
        return Checked(checks, list(kept.checks), key)
    results = await run_checks(checks, text, setup.sandbox, skip=setup.skip)
    return Checked(checks, results, key)


def apply_checks(
    verdict: Verdict | None, checked: Checked
) -> tuple[Verdict | None, list[Disagreement]]:
    """The verdict capped by a failed fatal check, and where the checks contradict it."""
    if verdict is None or not checked.checks:
        return verdict, []
    if verdict.score > FATAL_CAP and fatal_failures(checked.checks, checked.results):
        verdict = verdict.model_copy(update={"score": FATAL_CAP, "capped_from": verdict.score})
    met = {criterion.id: criterion.met for criterion in verdict.criteria}
    return verdict, find_disagreements(checked.checks, checked.results, met)


def check_fields(checked: Checked, disagreements: list[Disagreement]) -> dict:
    """The record fields for what the checks found (nothing for a task without checks)."""
    if checked.key is None:
        return {}
    return {"checks": checked.results, "disagreements": disagreements, "checks_hash": checked.key}


def check_setup(tasks: Iterable[Task], mode: str, sandbox: str) -> CheckSetup:
    """How the run runs checks: skipped (`--checks skip`), or with the sandbox `sandbox`
    once it ran a trivial check, when any task has a python check. A sandbox that does not
    work raises SandboxUnavailable (exit 2, saying how to install one): answer code never
    runs on the host."""
    if mode == "skip":
        return CheckSetup(skip=True)
    if any(check.get("kind") == "python" for task in tasks for check in task.checks):
        return CheckSetup(sandbox=find_sandbox(sandbox))
    return CheckSetup()
