"""Comparisons that respect the structure of a suite.

Rows that share a task (its repeated samples) or a cluster of tasks (a category, a
template) are not independent: a bootstrap that resamples rows declares differences that
are not there. Here the unit of resampling is the cluster, each a list of paired
differences that move together.

    cluster_bootstrap              mean difference, percentile interval, bootstrap p, MDE
    minimum_detectable_difference  what a suite of n clusters can detect (80% power, 5%)
    holm                           p-values adjusted across several comparisons
    pass_rates                     pass^k and pass@k per candidate from repeated samples

Guarantees: the same clusters and seed give the same figures on every run with a given
numpy version (`resampling`'s guarantee; numpy is imported only by the bootstrap);
clusters with no differences are left out and counted, never given a value; a figure that
cannot be computed is None, not a number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from evalkit.analysis.resampling import Resampler, percentile_interval

DEFAULT_SEED = 20260414
"""The bootstrap's seed unless one is given (evalkit.stats' seed): reports are reproducible."""

DEFAULT_THRESHOLD = 4
"""A sample passes when its score is at least this (the issue's default, score >= 4)."""


@dataclass(kw_only=True)
class ClusteredDifference:
    """The mean of paired differences with an interval from resampling clusters."""

    mean: float
    """Mean of all paired differences (each difference weighs the same)."""
    ci: tuple[float, float]
    """Percentile bootstrap interval of the mean, clusters resampled with replacement."""
    p_value: float
    """Two-sided bootstrap p: twice the smaller share of resampled means on either side of
    zero, each share counted as (k + 1) / (resamples + 1), at most 1. Below 1 - confidence
    exactly when the interval leaves out zero (up to that +1 and interpolation)."""
    differences: int
    """Paired differences used."""
    clusters: int
    """Clusters resampled (those with at least one difference)."""
    empty_clusters: int
    """Clusters given with no difference, left out."""
    cluster_sd: float | None
    """Sample standard deviation of the cluster means of the differences; None below two
    clusters."""
    mde: float | None
    """Minimum detectable difference at alpha = 1 - confidence and 80% power, from
    cluster_sd and the number of clusters; None below two clusters."""
    confidence: float
    """Coverage of the interval, e.g. 0.95."""
    resamples: int
    """Bootstrap resamples drawn."""
    seed: int
    """Seed of the resampling; the same seed and clusters give the same interval."""


def cluster_bootstrap(
    clusters: Sequence[Sequence[float]],
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = DEFAULT_SEED,
) -> ClusteredDifference | None:
    """Bootstrap of the mean paired difference that resamples whole clusters; None when
    no cluster holds a difference.

    Pass one cluster per task (its samples' differences) for a task-level bootstrap, one
    per category for a clustered one, or one per row for the naive row-level bootstrap.
    A resample draws as many clusters as there are, with replacement, and takes the mean
    of all their differences (sum of sums over sum of counts). Clusters with equal sum and
    count are drawn together as multinomial counts (`resampling.Resampler`), which keeps
    10,000 resamples of thousands of integer-score tasks to milliseconds."""
    kept = [list(cluster) for cluster in clusters if len(cluster)]
    if not kept:
        return None
    totals = [(math.fsum(cluster), len(cluster)) for cluster in kept]
    resampler = Resampler(totals, seed)
    columns = [[totals[group[0]][field] for group in resampler.groups] for field in (0, 1)]
    drawn = resampler.totals(columns, resamples)
    means = drawn[:, 0] / drawn[:, 1]
    differences = sum(n for _, n in totals)
    below = int((means <= 0).sum())
    above = int((means >= 0).sum())
    p_value = min(1.0, 2 * (min(below, above) + 1) / (resamples + 1))
    sd = cluster_sd(kept)
    return ClusteredDifference(
        mean=math.fsum(s for s, _ in totals) / differences,
        ci=percentile_interval(means, confidence),
        p_value=p_value,
        differences=differences,
        clusters=len(kept),
        empty_clusters=len(clusters) - len(kept),
        cluster_sd=sd,
        mde=None if sd is None else minimum_detectable_difference(sd, len(kept), 1 - confidence),
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


def cluster_sd(clusters: Sequence[Sequence[float]]) -> float | None:
    """Sample standard deviation (n - 1) of the clusters' mean differences; None below two
    non-empty clusters."""
    means = [math.fsum(c) / len(c) for c in clusters if len(c)]
    if len(means) < 2:
        return None
    centre = math.fsum(means) / len(means)
    return math.sqrt(math.fsum((m - centre) ** 2 for m in means) / (len(means) - 1))


def minimum_detectable_difference(
    paired_sd: float, n_clusters: int, alpha: float = 0.05, power: float = 0.8
) -> float:
    """The smallest true mean difference a two-sided test at level `alpha` detects with
    probability `power`: (z_{1-alpha/2} + z_power) * sd / sqrt(n), the normal
    approximation, with sd the standard deviation of cluster-mean differences and n the
    number of clusters (for tasks, their number and the sd of task-mean differences)."""
    if n_clusters < 1:
        raise ValueError(f"n_clusters must be at least 1, got {n_clusters}")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"alpha and power must lie in (0, 1), got {alpha} and {power}")
    normal = NormalDist()
    return (normal.inv_cdf(1 - alpha / 2) + normal.inv_cdf(power)) * paired_sd / n_clusters**0.5


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the order given: the i-th smallest of m is
    multiplied by m - i + 1, then made non-decreasing in that order and capped at 1
    (R's `p.adjust(method = "holm")`). Reject where the adjusted p is below alpha."""
    for position, p in enumerate(pvalues):
        if not 0 <= p <= 1:
            raise ValueError(f"p-value {position} is {p}, outside [0, 1]")
    m = len(pvalues)
    adjusted = [0.0] * m
    running = 0.0
    for step, position in enumerate(sorted(range(m), key=pvalues.__getitem__)):
        running = max(running, min(1.0, (m - step) * pvalues[position]))
        adjusted[position] = running
    return adjusted


@dataclass(kw_only=True)
class PassRates:
    """How reliably a candidate passes a task over repeated samples."""

    k: int
    """Samples per trial: pass^k asks all k to pass, pass@k at least one."""
    threshold: float
    """A sample passes when its score is at least this."""
    pass_hat_k: float | None
    """pass^k: mean over tasks of C(c, k) / C(n, k), the chance that k samples drawn
    without replacement from a task's n scored ones (c passing) all pass (tau-bench's
    estimator; the share of tasks where every sample passed when n = k). None without
    tasks."""
    pass_at_k: float | None
    """pass@k: mean over tasks of 1 - C(n - c, k) / C(n, k), the chance at least one of k
    passes (Chen et al. 2021; the share with any pass when n = k). None without tasks."""
    tasks: int
    """Tasks counted (at least k scored samples)."""
    short_tasks: int
    """Tasks left out for having fewer than k scored samples (unscored ones are never
    counted as failures)."""


def pass_rates(
    scores: Mapping[str, Mapping[str, Sequence[float | None]]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    k: int | None = None,
) -> dict[str, PassRates]:
    """pass^k and pass@k per candidate from `scores[candidate][task_id]`, the scores of a
    task's samples, None for a sample without a score (failed or unscored).

    k defaults to the most samples any task has, over all candidates, so every candidate
    is measured at the same k."""
    if k is None:
        k = max((len(s) for tasks in scores.values() for s in tasks.values()), default=1)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return {name: _pass_rates(tasks, threshold, k) for name, tasks in scores.items()}


def _pass_rates(tasks: Mapping[str, Sequence[float | None]], threshold: float, k: int) -> PassRates:
    every, some, counted = [], [], 0
    for samples in tasks.values():
        scored = [s for s in samples if s is not None]
        n, c = len(scored), sum(s >= threshold for s in scored)
        if n < k:
            continue
        counted += 1
        every.append(math.comb(c, k) / math.comb(n, k))
        some.append(1 - math.comb(n - c, k) / math.comb(n, k))
    return PassRates(
        k=k,
        threshold=threshold,
        pass_hat_k=math.fsum(every) / counted if counted else None,
        pass_at_k=math.fsum(some) / counted if counted else None,
        tasks=counted,
        short_tasks=len(tasks) - counted,
    )
