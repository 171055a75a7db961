"""Bootstrap machinery shared by `clustered` (compare's intervals), `stats` (the paired
bootstrap), `card_stats`, `leaderboard` and `ranking`, vectorised with numpy.

numpy is imported inside the functions that draw, never at module import: a command that
does not resample (show, report of an absolute run) does not load it.

A resample of n units draws n of them with replacement. Units with equal keys are
interchangeable for the statistic (a task's tally, a cluster's sum and count), so when the
distinct keys are fewer than GROUPED_BELOW of the units, a resample is drawn as how many
times each group of equal units is drawn (`Generator.multinomial` over the groups, each
with its share of the units): the same distribution as drawing units one by one, at a cost
per group instead of per unit. Otherwise a resample is n unit indices
(`Generator.integers`). Draws are made in chunks of at most CHUNK numbers, so memory stays
bounded (tens of MB) whatever the number of units and resamples.

Guarantees: the same keys, seed and number of resamples give the same resamples, hence the
same intervals, on every run and machine with a given numpy version (draws come from
`numpy.random.Generator(PCG64(seed))` only). They are not promised to be the same across
numpy versions: numpy keeps PCG64's bit stream fixed but may change how a `Generator`
method turns bits into draws in a new release (NEP 19), which moves an interval by Monte
Carlo noise, never its meaning.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Sequence
from typing import Any

GROUPED_BELOW = 0.05
"""Draw resamples as multinomial counts over groups of equal units when there are fewer
groups than this share of the units. A multinomial costs about 15 times an index draw per
category (measured with numpy 2.4: 100 ns against 7 ns), hence the crossover."""

CHUNK = 1 << 21
"""Numbers drawn at once (counts or indices, 8 bytes each: 16 MB a chunk)."""


def load_numpy() -> None:
    """Import numpy and its random module now: for a command sure to resample, which can
    import it while it waits for its input (`runfile.prefetch`)."""
    import numpy.random  # noqa: F401


def generator(seed: int) -> Any:
    """numpy's Generator over PCG64 for `seed`: every draw in evalkit's bootstrap."""
    import numpy as np

    return np.random.Generator(np.random.PCG64(seed))


class Resampler:
    """Bootstrap resamples of n units, with replacement, from one seed.

    `totals` sums per-group columns over each resample (groups of equal keys when there
    are few distinct keys, else one group per unit: `groups` says which); `per_unit`
    gives how many times each unit was drawn in each resample, when units must be told
    apart. Each call draws from a fresh generator for the seed, so it depends only on the
    keys, the seed and the number of resamples."""

    def __init__(self, keys: Sequence[Hashable], seed: int) -> None:
        self.units = len(keys)
        self.seed = seed
        index: dict[Hashable, int] = {}
        groups: list[list[int]] = []
        for unit, key in enumerate(keys):
            if key not in index:
                index[key] = len(groups)
                groups.append([])
            groups[index[key]].append(unit)
        self.grouped = len(groups) < GROUPED_BELOW * self.units
        self.groups = groups if self.grouped else [[unit] for unit in range(self.units)]
        """Unit indices of each group; per-group columns follow this order."""

    def totals(self, columns: Sequence[Sequence[Any]], resamples: int) -> Any:
        """A (resamples, len(columns)) array: each per-group column summed over each
        resample's draws (integer columns stay exact integers)."""
        import numpy as np

        table = np.asarray(columns).T  # groups x columns
        rng, n = generator(self.seed), self.units
        parts = []
        if self.grouped:
            shares = np.array([len(group) for group in self.groups]) / n
            for rows in _chunks(resamples, len(self.groups)):
                counts = rng.multinomial(n, shares, size=rows)
                parts.append(np.einsum("rg,gk->rk", counts, table))  # no BLAS threads
        else:
            for rows in _chunks(resamples, n):
                drawn = rng.integers(0, n, size=(rows, n))
                parts.append(np.stack([c[drawn].sum(axis=1) for c in table.T], axis=1))
        return np.concatenate(parts) if parts else np.zeros((0, len(columns)), table.dtype)

    def per_unit(self, resamples: int) -> Any:
        """A (resamples, units) int32 array: how many times each unit was drawn in each
        resample (n unit indices per resample, counted). The whole array is returned: 4
        bytes per unit and resample."""
        import numpy as np

        rng, n = generator(self.seed), self.units
        parts = []
        for rows in _chunks(resamples, n):
            drawn = rng.integers(0, n, size=(rows, n)) + n * np.arange(rows)[:, None]
            counts = np.bincount(drawn.ravel(), minlength=rows * n).reshape(rows, n)
            parts.append(counts.astype(np.int32))
        return np.concatenate(parts) if parts else np.zeros((0, n), dtype=np.int32)


def _chunks(resamples: int, width: int) -> Iterator[int]:
    """Rows per chunk of `width` numbers each, CHUNK numbers at most (one row at least)."""
    step = max(1, CHUNK // max(width, 1))
    for first in range(0, resamples, step):
        yield min(step, resamples - first)


def percentile_interval(values: Any, confidence: float) -> tuple[float, float]:
    """The central `confidence` interval of bootstrap values: numpy's linear quantiles
    (`numpy.quantile`'s default), interpolating between order statistics.

    Computed as numpy does (the order statistics at (n - 1) q, found by `numpy.partition`,
    then numpy's own interpolation, `_lerp`), with the same result to the bit, but not by
    `numpy.quantile`: its first call imports `numpy.ma` (8 ms of every `compare`)."""
    import numpy as np

    data = np.asarray(values, dtype=float).ravel()
    last = data.size - 1
    if last < 0:
        raise ValueError("no values to take an interval of")
    tail = (1 - confidence) / 2
    at = [last * q for q in (tail, 1 - tail)]
    below = [min(max(math.floor(position), 0), last) for position in at]
    data = np.partition(data, sorted({i for b in below for i in (b, min(b + 1, last))}))
    low, high = (
        _lerp(float(data[b]), float(data[min(b + 1, last)]), position - b)
        for position, b in zip(at, below, strict=True)
    )
    return low, high


def _lerp(a: float, b: float, t: float) -> float:
    """numpy's interpolation between two order statistics (`numpy.lib._function_base_impl.
    _lerp`): from the nearer end, so t = 1 gives b exactly."""
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t
