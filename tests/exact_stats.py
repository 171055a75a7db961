"""Reference figures for checking evalkit.analysis.stats, computed by numpy and scipy.

The bootstrap: the bootstrap distribution of a mean of integer differences is the n-fold
convolution of their empirical distribution, so its quantiles can be computed outright.

The Wilcoxon signed-rank test with ties: scipy's own exact test ignores ties, so scipy
checks evalkit's exact p-value with the test `scipy.stats.wilcoxon` runs for tied data, its
permutation test over the signs of the differences. `scipy.stats.wilcoxon` evaluates its
statistic one resample at a time (about 1 ms each here): past 13 differences that is
minutes, so `signed_rank_reference` calls the same `scipy.stats.permutation_test` with
the statistic vectorized."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats as scipy_stats

EXHAUSTIVE_MAX_N = 16
"""Up to this many non-zero differences scipy enumerates all 2^n sign flips (under a
second); above, it draws MONTE_CARLO_RESAMPLES of them."""
MONTE_CARLO_RESAMPLES = 200_000
"""Sign flips drawn above EXHAUSTIVE_MAX_N: about a second."""


class Reference(NamedTuple):
    """scipy's two-sided p-value and how far from it a correct exact p-value may lie."""

    p_value: float
    tolerance: float
    """0 when scipy enumerated every sign flip; else five Monte Carlo standard errors."""


def signed_rank_reference(deltas: Sequence[float], seed: int = 0) -> Reference:
    """scipy's permutation test of the signed-rank statistic R+ (the sum of the ranks of
    the positive differences; zeros dropped, ties given average ranks) for `deltas`: what
    `scipy.stats.wilcoxon(deltas, method=scipy.stats.PermutationMethod(...))` computes."""
    values = np.asarray(deltas, dtype=float)
    values = values[values != 0]
    ranks = scipy_stats.rankdata(np.abs(values))  # a sign flip keeps every |d| and its rank

    def r_plus(flipped: np.ndarray, axis: int = -1) -> np.ndarray:
        return (ranks * (flipped > 0)).sum(axis=axis)

    exhaustive = len(values) <= EXHAUSTIVE_MAX_N
    resamples = np.inf if exhaustive else MONTE_CARLO_RESAMPLES
    p_value = scipy_stats.permutation_test(
        (values,),
        r_plus,
        permutation_type="samples",
        vectorized=True,
        n_resamples=resamples,
        batch=1 << 16,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    ).pvalue
    if exhaustive:
        return Reference(float(p_value), 0.0)
    tail = min(0.5, p_value / 2)
    error = 2 * (tail * (1 - tail) / MONTE_CARLO_RESAMPLES) ** 0.5
    return Reference(float(p_value), 5 * error + 2 / MONTE_CARLO_RESAMPLES)


def bootstrap_quantile_band(deltas: Sequence[int], q: float, slack: float) -> tuple[float, float]:
    """Where a Monte Carlo estimate of the bootstrap distribution's q-quantile must lie:
    between its exact (q - slack)- and (q + slack)-quantiles. The slack covers the
    Monte Carlo error of the resamples' empirical distribution function (its standard
    error at q is sqrt(q * (1 - q) / resamples))."""
    values = np.asarray(deltas, dtype=int)
    low = values.min()
    one_draw = np.bincount(values - low).astype(float) / len(values)
    total = np.array([1.0])
    for _ in range(len(values)):
        total = np.convolve(total, one_draw)
    cdf = np.cumsum(total)
    means = (np.arange(len(total)) + low * len(values)) / len(values)

    def quantile(level: float) -> float:
        return float(means[min(np.searchsorted(cdf, level - 1e-12), len(means) - 1)])

    return quantile(max(0.0, q - slack)), quantile(min(1.0, q + slack))
