"""The pydantic twins of the run-file readers' structs: what a result line must hold for
`compare` (`ScoreLineModel`), for `show` (`KeyLineModel`) and for `report`
(`ReportLineModel`, the twin of `report_lines.ReportLine`). A twin is the specification of
its struct (see `runfile.lines`); it is imported only when msgspec refuses a line, to
accept it by its own rules or name the bad field, so a file msgspec reads whole costs no
pydantic.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from evalkit.runfile.reader import Skimmed
from evalkit.types import IssueSeverity, Status, utc_now
from evalkit.types import Score as CheckedScore


class _ResultLineModel(Skimmed):
    """What every line twin holds first: the key and status of `lines.ResultLine` (each
    twin declares `sample` last, after its own fields, in the order it always had)."""

    type: Literal["result"] = "result"
    """Always "result"."""
    task_id: str
    """The task."""
    candidate: str
    """The candidate model."""
    judge: str
    """The judge that graded it."""
    status: Status
    """ok, unavailable, error or judge_error."""


class _ScoreAnswerModel(Skimmed):
    """ScoreAnswer's twin."""

    text: str
    """The answer."""


class _ScoreVerdictModel(Skimmed):
    """ScoreVerdict's twin."""

    score: CheckedScore
    """1-5."""
    label: str
    """The rubric's label for the score."""


class _ScoreCheckModel(Skimmed):
    """ScoreCheck's twin."""

    passed: bool | None
    """True or False when the check ran; None when it could not."""


class ScoreLineModel(_ResultLineModel):
    """ScoreLine's twin: what a result line must hold for `compare` (see the module
    docstring); fields it does not declare are skipped unchecked."""

    answer: _ScoreAnswerModel | None = None
    """The answer, when there is one."""
    verdict: _ScoreVerdictModel | None = None
    """The verdict, when there is one."""
    checks: list[_ScoreCheckModel] = Field(default_factory=list)
    """The outcomes of the task's checks; empty without checks."""
    sample: int = Field(default=0, ge=0)
    """Which repeated answer to the task it is."""


class _LineAnswerModel(Skimmed):
    """LineAnswer's twin."""

    text: str
    """The reply's text."""
    finish_reason: str | None = None
    """Why generation stopped: stop, length, ..."""
    latency_ms: float | None = None
    """Wall time of the call that gave it."""


class _KeyVerdictModel(Skimmed):
    """KeyVerdict's twin."""

    score: CheckedScore
    """1-5."""
    label: str
    """The rubric's label for the score."""


class _KeyFailureModel(Skimmed):
    """KeyFailure's twin."""

    kind: str
    """The failure's class."""
    status_code: int | None = None
    """The HTTP status, when there was one."""
    role: Literal["candidate", "judge"] = "candidate"
    """Whose call failed."""


class _CountedModel(Skimmed):
    """Counted's twin: an object, its fields skipped."""


class KeyLineModel(_ResultLineModel):
    """KeyLine's twin: what a result line must hold for `show`."""

    answer: _LineAnswerModel | None = None
    """The answer, when there is one."""
    verdict: _KeyVerdictModel | None = None
    """The verdict's score and label, when there is one."""
    error: _KeyFailureModel | None = None
    """Why it is not ok, when it is not."""
    checks: list[_ScoreCheckModel] = Field(default_factory=list)
    """The outcomes of the task's checks; empty without checks."""
    disagreements: list[_CountedModel] = Field(default_factory=list)
    """Where a check contradicted the judge (counted only)."""
    sample: int = Field(default=0, ge=0)
    """Which repeated answer to the task it is."""


class _ReportExact(Skimmed):
    """A twin of an `Exact` model: strict types, unknown fields skipped."""

    model_config = ConfigDict(strict=True)


class _ReportCriterionModel(_ReportExact):
    """ReportCriterion's twin."""

    id: str
    """The criterion's id."""
    met: bool
    """Met or not."""
    note: str = ""
    """Evidence."""


class _ReportIssueModel(_ReportExact):
    """ReportIssue's twin."""

    severity: IssueSeverity
    """The severity."""
    description: str
    """What is wrong."""


class _ReportVerdictModel(_ReportExact):
    """ReportVerdict's twin."""

    reasoning: str
    """The reasoning."""
    criteria: list[_ReportCriterionModel]
    """The findings."""
    issues: list[_ReportIssueModel] = Field(default_factory=list)
    """The issues."""
    score: CheckedScore
    """1-5."""
    label: str
    """The label."""
    capped_from: CheckedScore | None = None
    """The score before the cap."""


class _ReportErrorModel(Skimmed):
    """ReportError's twin."""

    kind: str
    """The failure's class."""
    message: str
    """What happened."""
    status_code: int | None = None
    """The HTTP status."""
    role: Literal["candidate", "judge"] = "candidate"
    """Whose call failed."""


class _ReportJudgeAnswerModel(Skimmed):
    """ReportJudgeAnswer's twin."""

    text: str
    """The judge's reply."""
    latency_ms: float | None = None
    """Wall time, ms."""


class _ReportCheckModel(Skimmed):
    """ReportCheck's twin."""

    id: str
    """The check's id."""
    passed: bool | None
    """True, False, or None when it could not run."""
    detail: str
    """Why."""
    duration_ms: float
    """Wall-clock time."""


class _ReportDisagreementModel(Skimmed):
    """ReportDisagreement's twin."""

    check_id: str
    """The check's id."""
    criterion: str
    """The criterion."""
    check_passed: bool
    """What the check found."""
    judge_met: bool
    """What the judge found."""


class ReportLineModel(_ResultLineModel):
    """ReportLine's twin: what a result line must hold for `report`."""

    answer: _LineAnswerModel | None = None
    """The answer."""
    verdict: _ReportVerdictModel | None = None
    """The verdict."""
    judge_answer: _ReportJudgeAnswerModel | None = None
    """The judge's call."""
    error: _ReportErrorModel | None = None
    """Why not ok."""
    finished_at: str = Field(default_factory=utc_now)
    """When the record was written."""
    checks: list[_ReportCheckModel] = Field(default_factory=list)
    """The task's checks on the answer."""
    disagreements: list[_ReportDisagreementModel] = Field(default_factory=list)
    """Checks that contradict the judge."""
    sample: int = Field(default=0, ge=0)
    """Which repeated answer to the task it is."""
