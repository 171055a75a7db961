"""The one check every verdict passes before it reaches a record, whoever made it: a rubric
judge's parsed reply, a panel's or a sampled judge's combination, a plugin's Verdict.

- Types exactly as the Verdict schema says: the verdict is validated again from its data
  in strict mode, so `true` is not 1 and `5.0` is not 5, and a verdict built with
  `model_construct` or changed after it was built is checked like a reply.
- One finding per rubric criterion of the task, each id exactly once, no other id.
- A missed fatal criterion caps the score at FATAL_CAP, the judge's own kept in
  `capped_from`. Only this cap sets `capped_from`: a verdict arriving with one the cap would
  not have produced is invalid. Checking a checked verdict changes nothing.

The runner grades through `grade_checked` (evalkit.run.runner), so no judge can bypass it; a
rubric judge checks each reply earlier (an invalid one is sent back with the error) and a
panel checks each member's grading before it counts the vote. A verdict that fails is
`judge_error` with the reason, never a score.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from evalkit.errors import describe_validation
from evalkit.types import (
    FATAL_CAP,
    CheckResult,
    ErrorInfo,
    Grading,
    MemberVerdict,
    Task,
    Verdict,
)

if TYPE_CHECKING:  # the protocol brings the endpoints; parsing a reply needs none of them
    from evalkit.judges.protocol import Judge

VERDICT_MODELS = frozenset({"Verdict", "CriterionResult", "Issue", "Grading"})
"""Models whose validation error, raised while a judge builds its grading, is an invalid
verdict rather than a bug in evalkit."""


class InvalidVerdict(ValueError):
    """A judge reply (or a plugin's verdict) that is not a valid verdict for its task."""


def check_verdict(verdict: object, task: Task) -> Verdict:
    """`verdict` (a Verdict, or the parsed JSON of a reply) validated strictly against the
    task's rubric, with the fatal cap applied; InvalidVerdict with the reason otherwise."""
    data = verdict.model_dump(warnings=False) if isinstance(verdict, BaseModel) else verdict
    try:
        checked = Verdict.model_validate(data)
    except ValidationError as exc:
        raise InvalidVerdict(describe_validation(exc)) from None
    expected = [c.id for c in task.rubric]
    got = [c.id for c in checked.criteria]
    if sorted(got) != sorted(expected):
        missing = sorted(set(expected) - set(got))
        extra = sorted({i for i in got if got.count(i) > 1 or i not in expected})
        raise InvalidVerdict(
            f"criteria must answer each rubric id once: missing {missing}, extra {extra}"
        )
    return _capped(checked, task)


def _capped(verdict: Verdict, task: Task) -> Verdict:
    """The fatal cap, applied once: a verdict it already capped passes unchanged."""
    fatal = {c.id for c in task.rubric if c.severity == "fatal"}
    missed = any(c.id in fatal and not c.met for c in verdict.criteria)
    if verdict.capped_from is not None:
        if missed and verdict.score == FATAL_CAP and verdict.capped_from > FATAL_CAP:
            return verdict
        raise InvalidVerdict(
            f"capped_from: only evalkit's fatal cap sets it (to the judge's own score, when a"
            f" fatal criterion is missed and the score is capped at {FATAL_CAP})"
        )
    if missed and verdict.score > FATAL_CAP:
        return verdict.model_copy(update={"score": FATAL_CAP, "capped_from": verdict.score})
    return verdict


async def grade_checked(
    judge: Judge,
    task: Task,
    answer: str,
    finish_reason: str | None = None,
    checks: Sequence[CheckResult] = (),
) -> Grading:
    """`judge`'s grading of `answer` (told why its generation stopped, when the judge takes
    it: `grade_answer`), checked by `settle`. A verdict the judge could not even build (a
    ValidationError from evalkit's verdict models) is judge_error too."""
    try:
        grading = await grade_answer(judge, task, answer, finish_reason, checks)
    except ValidationError as exc:
        if exc.title not in VERDICT_MODELS:
            raise
        return invalid_grading(f"{exc.title}: {describe_validation(exc)}")
    return settle(grading, task)


def settle(grading: object, task: Task) -> Grading:
    """The grading with its verdict and every vote's verdict checked (`check_verdict`).
    One that fails makes the grading judge_error with the reason, its votes kept; so does a
    grading that has neither a verdict nor an error, or that is not a Grading at all."""
    if not isinstance(grading, Grading):
        return invalid_grading(f"the judge returned {type(grading).__name__}, not a Grading")
    checked = [_checked_vote(vote, task) for vote in grading.members]
    members = [vote for vote, _ in checked]
    lost = [reason for _, reason in checked if reason is not None]
    if grading.verdict is None and grading.error is None:
        return _rejected(grading, members, "the judge returned neither a verdict nor an error")
    if grading.verdict is None:
        return grading.model_copy(update={"members": members})
    try:
        verdict = check_verdict(grading.verdict, task)
    except InvalidVerdict as exc:
        return _rejected(grading, members, str(exc))
    if lost:  # the combined verdict counted a vote that is no verdict
        return _rejected(grading, members, lost[0])
    return grading.model_copy(update={"verdict": verdict, "members": members})


def _checked_vote(vote: MemberVerdict, task: Task) -> tuple[MemberVerdict, str | None]:
    """The vote with its verdict checked; one that fails becomes a failed (invalid) vote,
    returned with the reason."""
    if vote.verdict is None:
        return vote, None
    try:
        verdict = check_verdict(vote.verdict, task)
    except InvalidVerdict as exc:
        error = ErrorInfo(kind="InvalidVerdict", message=str(exc), role="judge")
        failed = vote.model_copy(update={"verdict": None, "error": error, "invalid": True})
        return failed, f"vote {vote.sample} of {vote.judge}: {exc}"
    return vote.model_copy(update={"verdict": verdict}), None


def _rejected(grading: Grading, members: list[MemberVerdict], reason: str) -> Grading:
    """The grading as judge_error: no verdict, the reason, what the judge answered kept."""
    return invalid_grading(reason).model_copy(
        update={"raw": grading.raw, "judge_answer": grading.judge_answer, "members": members}
    )


def invalid_grading(reason: str) -> Grading:
    """A grading without a verdict because what the judge gave was not a valid one."""
    error = ErrorInfo(kind="InvalidVerdict", message=reason, role="judge")
    return Grading(error=error, invalid=True)


def grade_answer(
    judge: Judge,
    task: Task,
    text: str,
    finish_reason: str | None,
    checks: Sequence[CheckResult] = (),
) -> Awaitable[Grading]:
    """`judge.grade` of an answer, with why its generation stopped for a judge that takes
    `finish_reason`, and the task's check results for one that takes `checks`; a judge
    written for `grade(task, answer)` alone is called so, and keeps working."""
    extra: dict[str, Any] = {}
    if _takes(type(judge), "finish_reason"):
        extra["finish_reason"] = finish_reason
    if checks and _takes(type(judge), "checks"):
        extra["checks"] = list(checks)
    return judge.grade(task, text, **extra)


@cache
def _takes(kind: type, keyword: str) -> bool:
    """Whether the `grade` of a judge class takes `keyword` (by name or through
    **kwargs); asked once per class and keyword."""
    try:
        parameters = inspect.signature(kind.grade).parameters.values()
    except (AttributeError, TypeError, ValueError):
        return False
    return any(p.name == keyword or p.kind is p.VAR_KEYWORD for p in parameters)
