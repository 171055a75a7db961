"""Leaderboards: the models every ranking returns, and ranking by mean absolute score.

    Standing, Leaderboard   one candidate's place; the whole table and what it means
    standings               ratings and their bootstrap values -> ranked standings
    rank_scores             mean scores of absolute-score runs, intervals resampling tasks

Ranks: a candidate's `rank` is 1 + the number of candidates rated higher by more than
EQUAL (so equal ratings share the better rank: 1, 2, 2, 4); `rank_ub` is 1 + the number
of candidates whose whole interval lies above this one's (Arena's "rank (UB)"):
candidates their intervals do not separate share it.

Guarantees: the same scores and seed give the same leaderboard with a given numpy version
(`resampling`'s guarantee: the bootstrap draws with numpy, imported only then); unscored
samples are left out, never counted as a score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from evalkit.analysis.resampling import Resampler, percentile_interval
from evalkit.types import Schema

DEFAULT_RESAMPLES = 1000
"""Bootstrap resamples of a leaderboard unless told otherwise."""
DEFAULT_SEED = 0
"""The leaderboards' seed unless one is given: the same data give the same intervals."""
EQUAL = 1e-6
"""Ratings (or mean scores) closer than this count as equal when ranking."""


class Standing(Schema):
    """One candidate's place on a leaderboard."""

    candidate: str
    """The candidate's name."""
    rating: float
    """Bradley-Terry rating on the Elo scale, or the mean score for absolute scores."""
    ci: tuple[float, float]
    """Percentile bootstrap interval of the rating, tasks (or clusters) resampled."""
    rank: int
    """1 + candidates rated higher by more than EQUAL (equal ratings share the better
    rank: 1, 2, 2, 4)."""
    rank_ub: int
    """1 + candidates whose interval lies wholly above this one's."""
    n: int
    """Comparisons it took part in (pairwise), or scores it received (absolute)."""


class Leaderboard(Schema):
    """Candidates ranked, best first, with what the figures mean."""

    method: Literal["bradley-terry", "mean-score"]
    """Ratings from pairwise outcomes, or mean absolute scores."""
    style_control: bool
    """Whether `standings` are at equal style (length and markdown differences fitted)."""
    standings: list[Standing]
    """By rank, then name."""
    uncontrolled: list[Standing] | None
    """Under style control, the same fit without it (same resamples); else None."""
    style: dict[str, float]
    """Under style control, rating points per typical (root mean square) normalised
    difference of each style feature; features that never differ are left out."""
    win_rates: dict[str, dict[str, float]]
    """win_rates[a][b]: share of a's comparisons with b that a won, ties half (pairwise)."""
    comparisons: dict[str, dict[str, int]]
    """comparisons[a][b]: how many times a and b were compared (pairwise)."""
    anchor: str | None
    """"mean" (ratings average 1000) or the baseline rated 1000; None for mean scores."""
    prior: float | None
    """Virtual ties added to every pair (pairwise); None for mean scores."""
    unit: Literal["task", "cluster"]
    """What the bootstrap resampled."""
    units: int
    """How many tasks or clusters there were."""
    confidence: float
    """Coverage of the intervals."""
    resamples: int
    """Bootstrap resamples drawn."""
    seed: int
    """Seed of the resampling; the same seed and data give the same leaderboard."""


def standings(
    names: Sequence[str],
    ratings: Sequence[float],
    replicates: Sequence[Sequence[float]],
    n: Sequence[int],
    confidence: float,
) -> list[Standing]:
    """Standings by rank then name; `replicates[k]` are candidate k's resampled ratings."""
    cis = [percentile_interval(values, confidence) for values in replicates]
    table = [
        Standing(
            candidate=name,
            rating=ratings[k],
            ci=cis[k],
            rank=1 + sum(other > ratings[k] + EQUAL for other in ratings),
            rank_ub=1 + sum(low > cis[k][1] for low, _ in cis),
            n=n[k],
        )
        for k, name in enumerate(names)
    ]
    return sorted(table, key=lambda s: (s.rank, s.candidate))


def rank_scores(
    scores: Mapping[str, Mapping[str, Sequence[float | None]]],
    *,
    clusters: Mapping[str, str] | None = None,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Leaderboard:
    """Rank candidates by mean absolute score, `scores[candidate][task_id]` the scores of
    a task's samples (None: a sample without a score, left out).

    The mean is over all of a candidate's scores. Intervals resample tasks, or the
    `clusters` tasks map to, the same draws for every candidate; a resample in which a
    candidate has no score leaves its interval (rare: only with very few scored tasks)."""
    names = list(scores)
    sums, counts = _tally(scores, clusters)
    for k, name in enumerate(names):
        if not sum(counts[k]):
            raise ValueError(f"candidate {name!r} has no scored sample to rank")
    means = [math.fsum(sums[k]) / sum(counts[k]) for k in range(len(names))]
    replicates = _score_replicates(sums, counts, seed, resamples)
    if any(not len(values) for values in replicates):
        raise ValueError("too few resamples: a candidate had no score in any of them")
    n = [sum(c) for c in counts]
    return Leaderboard(
        method="mean-score",
        style_control=False,
        standings=standings(names, means, replicates, n, confidence),
        uncontrolled=None,
        style={},
        win_rates={},
        comparisons={},
        anchor=None,
        prior=None,
        unit="task" if clusters is None else "cluster",
        units=len(sums[0]) if sums else 0,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


def _tally(
    scores: Mapping[str, Mapping[str, Sequence[float | None]]],
    clusters: Mapping[str, str] | None,
) -> tuple[list[list[float]], list[list[int]]]:
    """Per candidate and unit (task or cluster, in order of appearance), the sum and the
    number of its scores."""
    unit_index: dict[str, int] = {}
    for tasks in scores.values():
        for task_id in tasks:
            if clusters is not None and task_id not in clusters:
                raise ValueError(f"task {task_id!r} has no cluster")
            unit_index.setdefault(
                task_id if clusters is None else clusters[task_id], len(unit_index)
            )
    sums = [[0.0] * len(unit_index) for _ in scores]
    counts = [[0] * len(unit_index) for _ in scores]
    for k, tasks in enumerate(scores.values()):
        for task_id, samples in tasks.items():
            unit = unit_index[task_id if clusters is None else clusters[task_id]]
            scored = [s for s in samples if s is not None]
            sums[k][unit] += math.fsum(scored)
            counts[k][unit] += len(scored)
    return sums, counts


def _score_replicates(
    sums: list[list[float]], counts: list[list[int]], seed: int, resamples: int
) -> list[Any]:
    """Per candidate, its mean score in each resample of units (where it has a score)."""
    keys = list(zip(*sums, *counts, strict=True))
    resampler = Resampler(keys, seed)
    firsts = [group[0] for group in resampler.groups]
    columns = [[row[u] for u in firsts] for row in sums + counts]
    totals = resampler.totals(columns, resamples)
    k = len(sums)
    return [
        totals[:, c][scored] / totals[:, k + c][scored]
        for c in range(k)
        for scored in [totals[:, k + c] > 0]
    ]
