"""Exact reference figures computed with numpy, for checking evalkit.analysis.stats' Monte Carlo
bootstrap: the bootstrap distribution of a mean of integer differences is the n-fold
convolution of their empirical distribution, so its quantiles can be computed outright."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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
