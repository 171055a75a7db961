"""Panels and repeated sampling: several verdicts per answer, combined into one.

A panel asks each of its member judges; a sampled judge asks one judge N times, with the
seeds seed, seed+1, ... Every vote is kept (`Record.members`); a panel member that itself
samples N times casts N votes. The combined verdict:

- score: the median of the votes' scores, or their mean (`combine = "mean"`), rounded to
  the nearest integer with .5 rounding up (2.5 -> 3), so the score stays an int 1..5; the
  unrounded value is kept in `Spread.exact`;
- label: the most common label (ties: the label whose votes scored closest to the score);
- criteria: each met when most votes say so (ties: the representative vote's finding);
- reasoning and issues: those of a representative vote, one whose score and label agree
  with the combined ones where there is such a vote;
- a missed fatal criterion caps the combined score, by the check every verdict passes
  (evalkit.judges.verdicts.check_verdict).

Each member's grading passes that check before it is a vote, so a plugin member's invalid
verdict is a failed vote. A vote that produced no verdict is not a score. The other votes
are combined only while they are more than half of all votes; otherwise there is no
verdict at all.
"""

from __future__ import annotations

import asyncio
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from evalkit.endpoints.pool import Endpoint
from evalkit.judges.protocol import Judge
from evalkit.judges.rubric import RubricJudge
from evalkit.judges.verdicts import check_verdict, grade_checked
from evalkit.types import (
    CheckResult,
    CriterionResult,
    ErrorInfo,
    Grading,
    JudgeInfo,
    MemberVerdict,
    Spread,
    Task,
    Verdict,
)

Combine = Literal["median", "mean"]


def round_half_up(value: float) -> int:
    """The nearest integer, .5 going up: Python's round() would send 2.5 to 2 and 3.5 to 4."""
    return math.floor(value + 0.5)


def vote(judge: str, sample: int, grading: Grading) -> MemberVerdict:
    """One grading as a vote."""
    return MemberVerdict(
        judge=judge,
        sample=sample,
        verdict=grading.verdict,
        error=grading.error,
        unavailable=grading.unavailable,
        raw=grading.raw,
        judge_answer=grading.judge_answer,
        invalid=grading.invalid,
    )


def combine_votes(votes: list[MemberVerdict], combine: Combine, task: Task) -> Grading:
    """The combined grading of `votes`, keeping them all; see the module docstring."""
    verdicts = [v.verdict for v in votes if v.verdict is not None]
    if len(verdicts) * 2 <= len(votes):
        return _no_majority(votes)
    scores = [v.score for v in verdicts]
    exact = statistics.median(scores) if combine == "median" else statistics.fmean(scores)
    score = round_half_up(exact)
    label = majority_label(verdicts, score)
    representative = _representative(verdicts, score, label)
    combined = representative.model_copy(
        update={
            "score": score,
            "label": label,
            "criteria": majority_criteria(verdicts, representative),
            "capped_from": None,
        }
    )
    spread = Spread(
        combine=combine,
        exact=round(exact, 4),
        min=min(scores),
        max=max(scores),
        disagree=max(scores) - min(scores) > 1,
        votes=len(verdicts),
        failed=len(votes) - len(verdicts),
    )
    return Grading(verdict=check_verdict(combined, task), members=votes, spread=spread)


def majority_label(verdicts: list[Verdict], score: int) -> str:
    """The most common label (compared in capitals); a tie goes to the label whose votes
    scored closest to the combined score, then to the one seen first."""
    labels = [v.label.strip().upper() for v in verdicts]
    counts = Counter(labels)
    top = max(counts.values())
    tied = [label for label in dict.fromkeys(labels) if counts[label] == top]

    def distance(label: str) -> int:
        return min(abs(v.score - score) for v in verdicts if v.label.strip().upper() == label)

    return min(tied, key=distance)  # min keeps the first of equals


def majority_criteria(verdicts: list[Verdict], representative: Verdict) -> list[CriterionResult]:
    """Each criterion met when more than half the votes say so; a tie keeps the
    representative's finding. Notes come from a vote whose finding is the majority's."""
    combined = []
    for mine in representative.criteria:
        findings = [c for v in verdicts for c in v.criteria if c.id == mine.id]
        met = sum(c.met for c in findings)
        if met * 2 == len(findings):
            combined.append(mine)
            continue
        majority = met * 2 > len(findings)
        agreeing = [c for c in findings if c.met == majority]
        combined.append(mine if mine.met == majority else agreeing[0])
    return combined


def _representative(verdicts: list[Verdict], score: int, label: str) -> Verdict:
    """A vote that agrees with the combined score and label, else the nearest one."""

    def distance(v: Verdict) -> tuple[int, int]:
        return (v.label.strip().upper() != label, abs(v.score - score))

    return min(verdicts, key=distance)


def _no_majority(votes: list[MemberVerdict]) -> Grading:
    """No verdict: too few votes produced one. Unavailable when a judge was down (a resume
    grades again); otherwise the first failure's kind, so judge_error stays judge_error."""
    failed = [v for v in votes if v.verdict is None]
    first = failed[0].error or ErrorInfo(kind="InvalidVerdict", message="no verdict")
    message = (
        f"{len(failed)} of {len(votes)} votes produced no verdict, so there is no majority"
        f" to combine; first: {first.message}"
    )
    return Grading(
        members=votes,
        error=first.model_copy(update={"message": message, "role": "judge"}),
        unavailable=any(v.unavailable for v in failed),
        invalid=failed[0].invalid or failed[0].error is None,
    )


class SampledJudge:
    """A rubric judge asked `samples` times per answer, with seeds seed, seed+1, ..."""

    def __init__(self, base: RubricJudge, samples: int, combine: Combine) -> None:
        self.name = base.name
        self.base = base
        self.spec = base.spec
        """The base judge's file: its model is the model this judge calls."""
        self.samples = samples
        self.combine = combine
        seed = base.spec.seed if base.spec.seed is not None else base.model.seed
        self.first_seed = seed if seed is not None else 0

    def info(self) -> JudgeInfo:
        """The base judge's definition with how many samples and how they combine."""
        info = self.base.info()
        settings = {**info.settings, "samples": self.samples, "combine": self.combine}
        return info.model_copy(update={"settings": settings})

    def endpoints(self) -> list[Endpoint]:
        """The base judge's endpoint."""
        return self.base.endpoints()

    async def grade(
        self,
        task: Task,
        answer: str,
        *,
        finish_reason: str | None = None,
        checks: Sequence[CheckResult] = (),
    ) -> Grading:
        """Every sample at once (the endpoint's slots pace them), then combined."""
        gradings = await asyncio.gather(
            *(
                self.base.grade(
                    task,
                    answer,
                    seed=self.first_seed + i,
                    finish_reason=finish_reason,
                    checks=checks,
                )
                for i in range(self.samples)
            )
        )
        votes = [vote(self.name, i, grading) for i, grading in enumerate(gradings)]
        return combine_votes(votes, self.combine, task)


class PanelJudge:
    """Several judges grade each answer; their votes combine into one verdict."""

    def __init__(
        self,
        name: str,
        members: list[Judge],
        combine: Combine,
        *,
        path: str | None = None,
        definition_sha256: str | None = None,
    ) -> None:
        self.name = name
        self.members = members
        self.combine = combine
        self.path = path
        """The panel's file, as an absolute path."""
        self.definition_sha256 = definition_sha256
        """The hash of the panel file and its members' definitions."""

    def info(self) -> JudgeInfo:
        """The panel's name and combine rule, and every member's definition."""
        return JudgeInfo(
            name=self.name,
            kind="panel",
            settings={"combine": self.combine},
            members=[member.info() for member in self.members],
            path=self.path,
            definition_sha256=self.definition_sha256,
        )

    def endpoints(self) -> list[Endpoint]:
        """Every member's endpoints, each once."""
        found: dict[int, Endpoint] = {}
        for member in self.members:
            for endpoint in member.endpoints():
                found.setdefault(id(endpoint), endpoint)
        return list(found.values())

    async def grade(
        self,
        task: Task,
        answer: str,
        *,
        finish_reason: str | None = None,
        checks: Sequence[CheckResult] = (),
    ) -> Grading:
        """Every member at once; a sampling member contributes each of its samples."""
        gradings = await asyncio.gather(
            *(grade_checked(m, task, answer, finish_reason, checks) for m in self.members)
        )
        votes: list[MemberVerdict] = []
        for member, grading in zip(self.members, gradings, strict=True):
            votes.extend(grading.members or [vote(member.name, 0, grading)])
        return combine_votes(votes, self.combine, task)
