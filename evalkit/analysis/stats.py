"""The statistics evalkit reports. The tests are pure Python except the bootstrap, which
draws with numpy (`resampling`, imported only when it draws), so commands that read run
files without resampling start fast; the tests check every figure against numpy and scipy.

Paired comparison of two runs:
    paired_bootstrap_ci   percentile interval of the mean of paired differences
    wilcoxon_signed_rank  two-sided signed-rank test, zeros dropped

Agreement of two graders on the same items (re-grades, calibration against humans):
    exact_agreement, within_one_agreement, weighted_kappa, spearman, agreement
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from evalkit.analysis.resampling import Resampler, percentile_interval

DEFAULT_SEED = 20260414
"""The bootstrap's seed unless one is given: a fixed seed makes every report reproducible."""

EXACT_MAX_N = 50
"""Up to this many non-zero differences the Wilcoxon p-value is exact; above, normal."""


@dataclass(kw_only=True)
class Interval:
    """A bootstrap confidence interval."""

    low: float
    """Lower bound."""
    high: float
    """Upper bound."""
    confidence: float
    """Coverage, e.g. 0.95."""
    resamples: int
    """Bootstrap resamples drawn."""
    seed: int
    """Seed of the resampling; the same seed and data give the same interval."""


def paired_bootstrap_ci(
    deltas: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = DEFAULT_SEED,
) -> Interval | None:
    """Percentile bootstrap interval of the mean of paired differences; None when empty.

    Differences with few distinct values (score differences take at most nine) are drawn
    as multinomial counts of the distinct values, in ascending order, rather than n
    indices (`Resampler`): the two have the same distribution.
    """
    n = len(deltas)
    if n == 0:
        return None
    ordered = sorted(deltas)
    resampler = Resampler(ordered, seed)
    column = [ordered[group[0]] for group in resampler.groups]
    means = resampler.totals([column], resamples)[:, 0] / n
    low, high = percentile_interval(means, confidence)
    return Interval(low=low, high=high, confidence=confidence, resamples=resamples, seed=seed)


def average_ranks(values: Sequence[float]) -> list[float]:
    """Ranks 1..n of the values, ties sharing the mean of their ranks."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


@dataclass(kw_only=True)
class WilcoxonResult:
    """A two-sided Wilcoxon signed-rank test of paired differences against zero."""

    statistic: float
    """min(R+, R-), as scipy reports it."""
    r_plus: float
    """Sum of the ranks of the positive differences."""
    n: int
    """Non-zero differences tested (zeros are dropped, Wilcoxon's own treatment)."""
    zeros: int
    """Zero differences dropped."""
    p_value: float | None
    """Two-sided p-value; None when every difference is zero (nothing to test)."""
    method: Literal["exact", "normal", "none"]
    """exact: the exact distribution of R+ given the tied ranks (n <= 50); normal: the
    normal approximation with tie-corrected variance and no continuity correction."""


def wilcoxon_signed_rank(deltas: Sequence[float]) -> WilcoxonResult:
    """Two-sided signed-rank test that the paired differences are centred on zero.

    Zeros are dropped and |differences| get average ranks. Up to EXACT_MAX_N differences
    the p-value is exact, ties included: the null distribution of R+ is counted over all
    2^n sign assignments of the observed ranks (scipy's `method="exact"` without ties, its
    exhaustive `PermutationMethod` with them). Above, it is the normal approximation of
    `scipy.stats.wilcoxon(d, method="asymptotic", correction=False)`.
    """
    nonzero = [d for d in deltas if d != 0]
    zeros, n = len(deltas) - len(nonzero), len(nonzero)
    ranks = average_ranks([abs(d) for d in nonzero])
    r_plus = math.fsum(r for r, d in zip(ranks, nonzero, strict=True) if d > 0)
    r_minus = n * (n + 1) / 2 - r_plus
    base = {"statistic": min(r_plus, r_minus), "r_plus": r_plus, "n": n, "zeros": zeros}
    if n == 0:
        return WilcoxonResult(**base, p_value=None, method="none")
    if n <= EXACT_MAX_N:
        return WilcoxonResult(**base, p_value=_exact_p(ranks, r_plus), method="exact")
    return WilcoxonResult(**base, p_value=_normal_p(ranks, r_plus), method="normal")


def _exact_p(ranks: Sequence[float], r_plus: float) -> float:
    """Two-sided exact p: 2 * min(P(R+ <= r), P(R+ >= r)) over all sign assignments.

    Average ranks are multiples of 1/2, so doubled they are integers and the distribution
    of R+ is a subset-sum count (at most n * (n + 1) + 1 cells)."""
    doubled = [round(2 * r) for r in ranks]
    ways = [1] + [0] * sum(doubled)
    reach = 0
    for rank in doubled:
        for total in range(reach, -1, -1):
            if ways[total]:
                ways[total + rank] += ways[total]
        reach += rank
    observed = round(2 * r_plus)
    everything = 2 ** len(ranks)
    lower = sum(ways[: observed + 1]) / everything
    upper = sum(ways[observed:]) / everything
    return min(1.0, 2 * min(lower, upper))


def _normal_p(ranks: Sequence[float], r_plus: float) -> float:
    n = len(ranks)
    ties = Counter(ranks).values()
    variance = n * (n + 1) * (2 * n + 1) / 24 - sum(t**3 - t for t in ties) / 48
    if variance <= 0:
        return 1.0
    z = (r_plus - n * (n + 1) / 4) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


def exact_agreement(a: Sequence[int], b: Sequence[int]) -> float:
    """Share of items both graders scored the same."""
    _check_pairs(a, b)
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def within_one_agreement(a: Sequence[int], b: Sequence[int]) -> float:
    """Share of items whose two scores differ by at most one point."""
    _check_pairs(a, b)
    return sum(abs(x - y) <= 1 for x, y in zip(a, b, strict=True)) / len(a)


def weighted_kappa(
    a: Sequence[int],
    b: Sequence[int],
    categories: Sequence[int] | None = None,
    weights: Literal["quadratic", "linear", "none"] = "quadratic",
) -> float | None:
    """Cohen's kappa with disagreement weighted by the distance between the scores.

    `categories` are the possible scores (default: every integer from the lowest to the
    highest given); a disagreement of d points weighs d**2 (quadratic), d (linear) or 1
    (none: plain Cohen's kappa). Equals `sklearn.metrics.cohen_kappa_score(a, b,
    labels=categories, weights=...)` for consecutive integer categories. None when the
    graders' marginals leave no chance disagreement (both gave one and the same score).
    """
    _check_pairs(a, b)
    scores = list(categories) if categories else list(range(min(*a, *b), max(*a, *b) + 1))
    index = {score: i for i, score in enumerate(scores)}
    size, n = len(scores), len(a)
    observed = [[0] * size for _ in range(size)]
    for x, y in zip(a, b, strict=True):
        observed[index[x]][index[y]] += 1
    rows = [sum(line) for line in observed]
    columns = [sum(line[j] for line in observed) for j in range(size)]
    power = {"quadratic": 2, "linear": 1, "none": 0}[weights]

    def weight(i: int, j: int) -> float:
        return 0.0 if i == j else abs(scores[i] - scores[j]) ** power

    cells = [(i, j) for i in range(size) for j in range(size)]
    disagreement = sum(weight(i, j) * observed[i][j] for i, j in cells)
    chance = sum(weight(i, j) * rows[i] * columns[j] / n for i, j in cells)
    return None if chance == 0 else 1 - disagreement / chance


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson's r of average ranks, as scipy computes it);
    None when either side is constant."""
    _check_pairs(a, b)
    ra, rb = average_ranks(a), average_ranks(b)
    mean = (len(a) + 1) / 2
    cov = sum((x - mean) * (y - mean) for x, y in zip(ra, rb, strict=True))
    var_a = sum((x - mean) ** 2 for x in ra)
    var_b = sum((y - mean) ** 2 for y in rb)
    return None if var_a == 0 or var_b == 0 else cov / math.sqrt(var_a * var_b)


def _check_pairs(a: Sequence[float], b: Sequence[float]) -> None:
    if len(a) != len(b):
        raise ValueError(f"paired scores differ in length: {len(a)} and {len(b)}")
    if not a:
        raise ValueError("no paired scores")


@dataclass(kw_only=True)
class Agreement:
    """How far two graders agree on the same items."""

    n: int
    """Items both graded."""
    exact: float
    """Share scored the same."""
    within_one: float
    """Share within one point."""
    kappa_quadratic: float | None
    """Quadratic-weighted Cohen's kappa; None when undefined (no chance disagreement)."""
    spearman: float | None
    """Spearman's rank correlation; None when one grader gave a single score throughout."""


def agreement(
    a: Sequence[int], b: Sequence[int], categories: Sequence[int] = (1, 2, 3, 4, 5)
) -> Agreement:
    """Every agreement figure for two graders' scores of the same items, in order."""
    return Agreement(
        n=len(a),
        exact=exact_agreement(a, b),
        within_one=within_one_agreement(a, b),
        kappa_quadratic=weighted_kappa(a, b, categories),
        spearman=spearman(a, b),
    )
