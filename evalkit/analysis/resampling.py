"""Bootstrap machinery shared by `ranking` and `clustered`, in pure Python.

Guarantees: a `Resampler` built from the same units and seed draws the same resamples on
every Python version evalkit supports (only `random.Random.random` is used, directly or
through `binomial`); a resample of n units is a multinomial draw of n from them, equal
units grouped so that data with few distinct units costs a few binomial draws per
resample instead of n index draws. The cost otherwise is about 0.1-0.3 microseconds per
unit drawn.

`binomial` and `quantile` are `evalkit.analysis.stats`' (same algorithm, same draws).
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from itertools import repeat
from operator import mul
from typing import Any, NamedTuple

from evalkit.analysis.stats import binomial, quantile

GROUPED_BELOW = 0.25
"""Draw a resample as binomials over groups of equal units when there are fewer groups
than this share of the units; otherwise draw unit indices one by one."""


class Draw(NamedTuple):
    """One resample, as `Resampler.draw` made it: the groups drawn one by one (unit by
    unit when units are not grouped), or how many times each group was drawn."""

    grouped: bool
    values: list[int]


class Resampler:
    """Bootstrap resamples of n units, with replacement.

    Units with equal keys are interchangeable for the statistic (a task's tally of
    outcomes, a cluster's sum and count). When there are few distinct keys, a resample is
    drawn as how many times each group of equal units is drawn (a binomial per group);
    otherwise every unit is its own group and a resample is n group indices. Either way
    `totals` sums per-group columns over a resample, and `per_unit` gives each unit's
    multiplicity when units must be told apart (the style covariates of comparisons)."""

    def __init__(self, keys: Sequence[Hashable], seed: int) -> None:
        self.units = len(keys)
        index: dict[Hashable, int] = {}
        groups: list[list[int]] = []
        for unit, key in enumerate(keys):
            if key not in index:
                index[key] = len(groups)
                groups.append([])
            groups[index[key]].append(unit)
        self._grouped = len(groups) < GROUPED_BELOW * self.units
        self.groups = groups if self._grouped else [[unit] for unit in range(self.units)]
        """Unit indices of each group; per-group columns follow this order."""
        self._rng = random.Random(seed)
        self._split_rng = random.Random(seed + 1)

    def draw(self) -> Draw:
        """One resample of n units."""
        n, rng = self.units, self._rng
        if not self._grouped:
            uniform = rng.random
            return Draw(False, [int(uniform() * n) for _ in repeat(None, n)])
        drawn, remaining, mass = [], n, n
        for group in self.groups:
            size = len(group)
            taken = binomial(remaining, size / mass, rng) if mass > size else remaining
            drawn.append(taken)
            remaining -= taken
            mass -= size
        return Draw(True, drawn)

    @staticmethod
    def totals(draw: Draw, columns: Sequence[Sequence[Any]]) -> list[Any]:
        """Each per-group column summed over the resample's draws (ints stay exact)."""
        if draw.grouped:
            return [sum(map(mul, draw.values, column)) for column in columns]
        return [sum(map(column.__getitem__, draw.values)) for column in columns]

    def per_unit(self, draw: Draw) -> list[int]:
        """How many times each unit was drawn. A group's draws are spread uniformly over
        its units (what drawing units directly gives) from a stream of their own, so the
        resamples `draw` makes do not depend on whether this is called."""
        per_unit = [0] * self.units
        if not draw.grouped:
            for unit in draw.values:
                per_unit[unit] += 1
            return per_unit
        uniform = self._split_rng.random
        for group, taken in zip(self.groups, draw.values, strict=True):
            if len(group) == 1:
                per_unit[group[0]] = taken
                continue
            for _ in range(taken):
                per_unit[group[int(uniform() * len(group))]] += 1
        return per_unit


def percentile_interval(values: Sequence[float], confidence: float) -> tuple[float, float]:
    """The central `confidence` interval of bootstrap values (numpy's linear quantiles)."""
    ordered = sorted(values)
    tail = (1 - confidence) / 2
    return quantile(ordered, tail), quantile(ordered, 1 - tail)
