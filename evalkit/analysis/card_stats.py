"""The intervals of a judge card, from `clustered.cluster_bootstrap` and the resampling
machinery of `resampling` (numpy).

Guarantees: the same values and seed give the same interval with a given numpy version; an
interval needs two tasks (clusters) at least, else it is None; a statistic undefined in
more than half the resamples has no interval.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from evalkit.analysis.clustered import cluster_bootstrap
from evalkit.analysis.resampling import Resampler, percentile_interval

CONFIDENCE = 0.95
RESAMPLES = 10_000
"""Resamples of a mean's interval (vectorised draws keep these fast)."""
STATISTIC_RESAMPLES = 2_000
"""Resamples of a kappa's or a correlation's interval (each recomputed in full)."""

Key = tuple[str, str]
"""(task_id, candidate): one answer."""


class Effect(NamedTuple):
    """A mean with its interval."""

    n: int
    """Values averaged."""
    value: float | None
    """Their mean; None without values."""
    ci: tuple[float, float] | None
    """Tasks-resampled interval; None below two tasks."""


def by_task(values: Iterable[tuple[str, float]]) -> list[list[float]]:
    """(task_id, value) pairs grouped into one cluster per task, in first-seen order."""
    clusters: dict[str, list[float]] = {}
    for task_id, value in values:
        clusters.setdefault(task_id, []).append(value)
    return list(clusters.values())


def per_answer(values: Mapping[Key, float]) -> list[tuple[str, float]]:
    """Per-answer values as (task_id, value) pairs, for `task_mean`."""
    return [(task_id, value) for (task_id, _), value in values.items()]


def task_mean(values: Iterable[tuple[str, float]], seed: int) -> Effect:
    """The mean of (task_id, value) pairs, with an interval that resamples whole tasks
    (the gradings of one task's answers move together)."""
    found = cluster_bootstrap(by_task(values), resamples=RESAMPLES, seed=seed)
    if found is None:
        return Effect(0, None, None)
    ci = found.ci if found.clusters >= 2 else None
    return Effect(found.differences, found.mean, ci)


def mean_draws(values: Sequence[float], resamples: int, seed: int) -> Any:
    """The means of `resamples` bootstrap resamples of `values` (a numpy array)."""
    resampler = Resampler(values, seed)
    column = [values[group[0]] for group in resampler.groups]
    return resampler.totals([column], resamples)[:, 0] / len(values)


def difference_of_means(own: Sequence[float], other: Sequence[float], seed: int) -> Effect:
    """mean(own) - mean(other), each group resampled on its own (a stratified bootstrap)."""
    if not own or not other:
        return Effect(len(own) + len(other), None, None)
    value = sum(own) / len(own) - sum(other) / len(other)
    if len(own) < 2 or len(other) < 2:
        return Effect(len(own) + len(other), value, None)
    a = mean_draws(own, RESAMPLES, seed)
    b = mean_draws(other, RESAMPLES, seed + 1)
    ci = percentile_interval(a - b, CONFIDENCE)
    return Effect(len(own) + len(other), value, ci)


def statistic_interval(
    items: Sequence[Hashable],
    statistic: Callable[[list], float | None],
    seed: int,
) -> tuple[float, float] | None:
    """Interval of `statistic` over resamples of `items` (answers drawn with replacement);
    None below two items or when the statistic is undefined in most resamples."""
    if len(items) < 2:
        return None
    values = []
    for counts in Resampler(items, seed).per_unit(STATISTIC_RESAMPLES).tolist():
        drawn = [item for item, count in zip(items, counts, strict=True) for _ in range(count)]
        value = statistic(drawn)
        if value is not None:
            values.append(value)
    if len(values) * 2 < STATISTIC_RESAMPLES:
        return None
    return percentile_interval(values, CONFIDENCE)


def excludes_zero(ci: tuple[float, float] | None, direction: int = 1) -> bool:
    """Whether the interval lies above zero (direction 1), below it (-1), or either (0)."""
    if ci is None:
        return False
    above, below = ci[0] > 0, ci[1] < 0
    return {1: above, -1: below, 0: above or below}[direction]
