"""Repeated samples (`run --samples K`): per task the mean and spread of a candidate's
scores over its samples, and per candidate the mean, pass^k and pass@k.

A sample passes when its score is at least the threshold (`--pass-threshold`, the config's
`pass_threshold`, recorded in the manifest; 4 by default). pass^k is the share of tasks
where all k samples passed, pass@k where at least one did (`clustered.pass_rates`, which
for tasks with more than k scored samples gives the unbiased estimators).

Guarantees: a sample without a score (its record is not ok, or it was never run) is
never counted as a failure or a zero: it is left out of the means, and a task with fewer
than k scored samples is left out of pass^k and pass@k and counted in `short_tasks`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from evalkit.analysis.clustered import DEFAULT_THRESHOLD, pass_rates
from evalkit.types import RunManifest, Schema

Scores = Mapping[str, Mapping[str, Sequence[int | None]]]
"""scores[candidate][task_id]: the task's sample scores, None for a sample without one."""


class TaskSamples(Schema):
    """One candidate's samples of one task."""

    task_id: str
    """The task."""
    candidate: str
    """The candidate."""
    scores: list[int | None]
    """Each sample's score in sample order; None for a sample without a score."""
    mean: float | None
    """Mean of the scored samples; None when none is scored."""
    sd: float | None
    """Sample standard deviation (n - 1) of the scored samples; None below two."""
    low: int | None
    """The lowest score; None when none is scored."""
    high: int | None
    """The highest score; None when none is scored."""


class CandidateSamples(Schema):
    """One candidate over every task and sample."""

    candidate: str
    """The candidate."""
    mean: float | None
    """Mean over every scored sample of every task; None when none is scored."""
    pass_hat_k: float | None
    """pass^k: share of tasks where all k samples scored at least the threshold."""
    pass_at_k: float | None
    """pass@k: share of tasks where at least one of the k samples did."""
    tasks: int
    """Tasks in pass^k and pass@k (with k scored samples)."""
    short_tasks: int
    """Tasks left out of pass^k and pass@k for having fewer than k scored samples."""


class SampleStats(Schema):
    """What repeated samples say, per task and per candidate."""

    k: int
    """Samples per task and candidate."""
    threshold: int
    """A sample passes when its score is at least this."""
    tasks: list[TaskSamples]
    """Per task (suite order as met), per candidate."""
    candidates: list[CandidateSamples]
    """Per candidate, in the run's order."""


def threshold_of(manifest: RunManifest, given: int | None = None) -> int:
    """The pass threshold: the one given (a flag), else the run's, else the default, 4."""
    if given is not None:
        return given
    return manifest.pass_threshold or DEFAULT_THRESHOLD


class Scored(Protocol):
    """What `scores_of` reads of a record: a full Record, or `show`'s KeyLine."""

    task_id: str
    candidate: str
    judge: str
    status: str
    sample: int
    verdict: Any


def scores_of(records: Iterable[Scored], judge: str) -> dict[str, dict[str, list[int | None]]]:
    """scores[candidate][task_id] by sample index from the records of `judge`; a sample
    without a score (not ok) is None, a sample without a record is left out."""
    by_sample: dict[str, dict[str, dict[int, int | None]]] = {}
    for record in records:
        if record.judge != judge:
            continue
        ok = record.status == "ok" and record.verdict is not None
        score = record.verdict.score if ok and record.verdict else None
        by_sample.setdefault(record.candidate, {}).setdefault(record.task_id, {})[record.sample] = (
            score
        )
    return {
        candidate: {task: [s[i] for i in sorted(s)] for task, s in tasks.items()}
        for candidate, tasks in by_sample.items()
    }


def sample_stats(scores: Scores, k: int, threshold: int = DEFAULT_THRESHOLD) -> SampleStats:
    """Per task and candidate the mean and spread; per candidate the mean, pass^k and
    pass@k at `k` samples."""
    rates = pass_rates(scores, threshold=threshold, k=k)
    tasks = list(dict.fromkeys(task for per_task in scores.values() for task in per_task))
    return SampleStats(
        k=k,
        threshold=threshold,
        tasks=[
            _task(task, candidate, list(per_task[task]))
            for task in tasks
            for candidate, per_task in scores.items()
            if task in per_task
        ],
        candidates=[
            CandidateSamples(
                candidate=candidate,
                mean=_mean([s for samples in per_task.values() for s in samples]),
                pass_hat_k=rates[candidate].pass_hat_k,
                pass_at_k=rates[candidate].pass_at_k,
                tasks=rates[candidate].tasks,
                short_tasks=rates[candidate].short_tasks,
            )
            for candidate, per_task in scores.items()
        ],
    )


def _task(task_id: str, candidate: str, scores: list[int | None]) -> TaskSamples:
    scored = [s for s in scores if s is not None]
    mean = _mean(scored)
    sd = None
    if mean is not None and len(scored) > 1:
        sd = math.sqrt(math.fsum((s - mean) ** 2 for s in scored) / (len(scored) - 1))
    return TaskSamples(
        task_id=task_id,
        candidate=candidate,
        scores=scores,
        mean=mean,
        sd=sd,
        low=min(scored, default=None),
        high=max(scored, default=None),
    )


def _mean(scores: Iterable[int | None]) -> float | None:
    scored = [s for s in scores if s is not None]
    return math.fsum(scored) / len(scored) if scored else None
