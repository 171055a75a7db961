"""Bootstrap machinery shared by `stats` (the paired bootstrap), `ranking` and
`clustered`, in pure Python.

Guarantees: a `Resampler` built from the same units and seed draws the same resamples on
every Python version evalkit supports (only `random.Random.random` is used, directly or
through `Binomial`); a resample of n units is a multinomial draw of n from them, equal
units grouped so that data with few distinct units costs a few binomial draws per
resample instead of n index draws. The cost otherwise is about 0.1-0.3 microseconds per
unit drawn.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Sequence
from itertools import repeat
from operator import mul
from typing import Any, NamedTuple

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

    def __init__(self, keys: Sequence[Hashable], seed: int, grouped: bool | None = None) -> None:
        """`grouped`: always group equal units (True), never (False), or when there are
        few distinct keys (None, GROUPED_BELOW)."""
        self.units = len(keys)
        index: dict[Hashable, int] = {}
        groups: list[list[int]] = []
        for unit, key in enumerate(keys):
            if key not in index:
                index[key] = len(groups)
                groups.append([])
            groups[index[key]].append(unit)
        self._grouped = len(groups) < GROUPED_BELOW * self.units if grouped is None else grouped
        self.groups = groups if self._grouped else [[unit] for unit in range(self.units)]
        """Unit indices of each group; per-group columns follow this order."""
        self._rng = random.Random(seed)
        self._split_rng = random.Random(seed + 1)
        self._binomials: list[Callable[[int], int]] = []
        """A grouped resample draws each group but the last as Binomial(units left, its
        share of the units left): shares fixed by the groups' sizes, set up once here."""
        if self._grouped:
            mass = self.units
            for group in self.groups[:-1]:
                self._binomials.append(Binomial(len(group) / mass).sampler(self._rng))
                mass -= len(group)

    def draw(self) -> Draw:
        """One resample of n units."""
        n, rng = self.units, self._rng
        if not self._grouped:
            uniform = rng.random
            return Draw(False, [int(uniform() * n) for _ in repeat(None, n)])
        drawn, remaining = [], n
        for binomial in self._binomials:
            taken = binomial(remaining)
            drawn.append(taken)
            remaining -= taken
        drawn.append(remaining)  # the last group takes what is left
        return Draw(True, drawn)

    def means(self, column: Sequence[float], resamples: int) -> list[float]:
        """The mean of a per-group column over each of `resamples` grouped resamples: the
        same resamples, in the same order, as `totals(draw(), (column,))[0] / n` gives,
        without building a Draw each time (the paired bootstrap's loop)."""
        if not self._grouped:
            raise ValueError("means: the units are not grouped")
        n, last = self.units, column[-1]
        steps = list(zip(self._binomials, column, strict=False))
        means = []
        for _ in repeat(None, resamples):
            remaining, total = n, 0
            for binomial, value in steps:
                taken = binomial(remaining)
                total += taken * value
                remaining -= taken
            means.append((total + remaining * last) / n)  # the last group takes the rest
        return means

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


class Binomial:
    """Binomial(n, p) draws for one p and any n: Devroye's geometric method when n*p < 10,
    otherwise Hörmann's BTRS transformed rejection (Hörmann 1993, "The generation of
    binomial random variates"; as CPython 3.12's `random.binomialvariate`, written out
    here so draws are the same on every Python version evalkit supports). For p > 1/2 it
    draws n - Binomial(n, 1 - p).

    A bootstrap draws from the same p with nearby n thousands of times, so the set-up
    that depends on n (a square root and a dozen products; the exact test's log-gammas)
    is kept per n, and `sampler` binds the rest once: a draw costs its two uniforms and
    the squeeze test, with no attribute or method look-up (half the time of a method
    call per draw, measured)."""

    def __init__(self, p: float) -> None:
        self.p = p
        self._flip = 0.5 < p < 1.0
        self._q = 1.0 - p if self._flip else p
        """min(p, 1 - p): what is drawn (and subtracted from n when flipped)."""
        self._setups: dict[int, tuple[float, ...]] = {}

    def draw(self, n: int, rng: random.Random) -> int:
        """One Binomial(n, p) draw."""
        return self.sampler(rng)(n)

    def sampler(self, rng: random.Random) -> Callable[[int], int]:
        """Binomial(n, p) draws from `rng` for any n, each the same as `draw(n, rng)`."""
        p, q, flip, setups = self.p, self._q, self._flip, self._setups
        uniform, floor, log, lgamma = rng.random, math.floor, math.log, math.lgamma
        if p <= 0.0 or p >= 1.0:
            return (lambda n: 0) if p <= 0.0 else (lambda n: n)

        def draw(n: int) -> int:
            if n == 0:
                return 0
            if n * q < 10.0:
                drawn = self._geometric(n, rng)
                return n - drawn if flip else drawn
            two_a, b, c, v_r, a, alpha, lpq, mode, h = setups.get(n) or self._setup(n)
            while True:
                u = uniform() - 0.5
                us = 0.5 - abs(u)
                if us <= 0:
                    continue
                k = floor((two_a / us + b) * u + c)  # two_a / us is Hörmann's 2.0 * a / us
                if k < 0 or k > n:
                    continue
                v = uniform()
                if us >= 0.07 and v <= v_r:  # the squeeze
                    return n - k if flip else k
                v *= alpha / (a / (us * us) + b)  # else the exact test
                bound = h - lgamma(k + 1) - lgamma(n - k + 1) + (k - mode) * lpq
                if v > 0 and log(v) <= bound:
                    return n - k if flip else k

        return draw

    def _geometric(self, n: int, rng: random.Random) -> int:
        """Devroye's method for n*q < 10: count the geometric gaps that fit in n trials."""
        q = self._q
        drawn = trials = 0
        log_q = math.log(1.0 - q)
        if log_q == 0.0:  # q below float resolution: no success in any feasible n
            return 0
        while True:
            trials += math.floor(math.log(1.0 - rng.random()) / log_q) + 1
            if trials > n:
                return drawn
            drawn += 1

    def _setup(self, n: int) -> tuple[float, ...]:
        """BTRS's constants for n draws of q: 2a, b, c and the squeeze's v_r, then a and
        the exact test's alpha, log(q / (1 - q)), mode and log-gammas at the mode."""
        q = self._q
        spq = math.sqrt(n * q * (1.0 - q))
        b = 1.15 + 2.53 * spq
        a = -0.0873 + 0.0248 * b + 0.01 * q
        mode = math.floor((n + 1) * q)
        h = math.lgamma(mode + 1) + math.lgamma(n - mode + 1)
        alpha, lpq = (2.83 + 5.1 / b) * spq, math.log(q / (1.0 - q))
        setup = (2.0 * a, b, n * q + 0.5, 0.92 - 4.2 / b, a, alpha, lpq, mode, h)
        self._setups[n] = setup
        return setup


def binomial(n: int, p: float, rng: random.Random) -> int:
    """One Binomial(n, p) draw (see `Binomial`, which keeps the set-up for repeated p)."""
    return Binomial(p).draw(n, rng)


def quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values, interpolating linearly between order statistics
    (numpy's default method, so figures can be checked against `numpy.quantile`)."""
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def percentile_interval(values: Sequence[float], confidence: float) -> tuple[float, float]:
    """The central `confidence` interval of bootstrap values (numpy's linear quantiles)."""
    ordered = sorted(values)
    tail = (1 - confidence) / 2
    return quantile(ordered, tail), quantile(ordered, 1 - tail)
