"""Leaderboards of many candidates with honest uncertainty.

    rank          Bradley-Terry ratings from pairwise outcomes (ties half), optionally at
                  equal style (length, markdown), with bootstrap intervals and ranks
    rank_scores   mean scores of absolute-score runs, with intervals and ranks

Intervals resample tasks (or clusters of tasks): every comparison or sample of a task
moves with it, because they share the task's difficulty. Guarantees: the same inputs and
seed give the same leaderboard on every supported Python (draws use `random.Random` only);
every resample is fitted to convergence, none is skipped for the pairwise ratings; the
plain `rank` and `rank_scores` are pure Python, and only style control imports numpy.

Ranks: a candidate's `rank` is 1 + the number of candidates rated higher by more than 1e-6
(so equal ratings share the better rank: 1, 2, 2, 4);
`rank_ub` is 1 + the number of candidates whose whole interval lies above this one's
(Arena's "rank (UB)"): candidates not separated by their intervals share it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from evalkit.analysis.bradley_terry import (
    DEFAULT_PRIOR,
    SCALE,
    Comparison,
    Encoded,
    Ratings,
    anchor_index,
    bradley_terry,
    check_bounded,
    encode,
    fit_covariates,
    fit_pairs,
    oriented,
    pair_table,
    pairs_of,
    to_ratings,
    unbounded,
)
from evalkit.analysis.resampling import Draw, Resampler, Result, percentile_interval
from evalkit.analysis.style import STYLE_FEATURES, style_covariates

__all__ = [
    "Comparison",
    "Leaderboard",
    "Ratings",
    "Standing",
    "bradley_terry",
    "rank",
    "rank_scores",
]

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
EQUAL = 1e-6
"""Ratings (or mean scores) closer than this count as equal when ranking."""
STYLE_CHUNK = 100
"""Resamples fitted together in one numpy batch under style control (memory: this many
times the comparisons, in float64, a few times over)."""


class Standing(Result):
    """One candidate's place on a leaderboard."""

    candidate: str
    """The candidate's name."""
    rating: float
    """Bradley-Terry rating on the Elo scale, or the mean score for absolute scores."""
    ci: tuple[float, float]
    """Percentile bootstrap interval of the rating, tasks (or clusters) resampled."""
    rank: int
    """1 + candidates rated strictly higher (equal ratings share the better rank)."""
    rank_ub: int
    """1 + candidates whose interval lies wholly above this one's."""
    n: int
    """Comparisons it took part in (pairwise), or scores it received (absolute)."""


class Leaderboard(Result):
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


def rank(
    outcomes: Iterable[Sequence[str]],
    candidates: Sequence[str] | None = None,
    *,
    answers: Mapping[tuple[str, str], str] | None = None,
    style_control: bool = False,
    clusters: Mapping[str, str] | None = None,
    baseline: str | None = None,
    prior: float = DEFAULT_PRIOR,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Leaderboard:
    """Rank candidates from outcomes (task_id, a, b, result), result "a", "b" or "tie".

    `candidates` fixes the names (default: every name in the outcomes, sorted); `clusters`
    maps each task to a cluster to resample clusters instead of tasks; `baseline` is rated
    1000 (default: the mean rating is). With `style_control`, `answers[(task_id,
    candidate)]` gives each answer's text and the ratings are fitted at equal length and
    markdown; `uncontrolled` then holds the plain ratings from the same resamples."""
    rows = [tuple(o) for o in outcomes]
    names = list(candidates) if candidates else sorted({n for o in rows for n in o[1:3]})
    coded = encode(rows, names)
    if style_control and answers is None:
        raise ValueError("style control needs the answers' texts (answers=...)")
    anchor, size = anchor_index(names, baseline), len(names)
    unit_of, units = _units(coded.task_ids, clusters)
    wins, counts = pair_table(coded, size, prior)
    check_bounded(names, wins, counts)
    theta = fit_pairs(size, wins, counts)
    packed, width = _packed_units(coded, unit_of, units, size)
    resampler = Resampler(packed, seed)
    fits, draws = _plain_replicates(resampler, packed, width, theta, prior, resamples)
    n = _appearances(coded, size)
    plain = _standings(names, to_ratings(theta, anchor), _ratings(fits, anchor), n, confidence)
    win_rates, comparisons = _win_rates(coded, names)
    board = Leaderboard(
        method="bradley-terry", style_control=False, standings=plain, uncontrolled=None,
        style={}, win_rates=win_rates, comparisons=comparisons,
        anchor="mean" if baseline is None else baseline, prior=prior,
        unit="task" if clusters is None else "cluster", units=units,
        confidence=confidence, resamples=resamples, seed=seed,
    )  # fmt: skip
    if not style_control:
        return board
    assert answers is not None
    pairs = [(task_id, a, b) for task_id, a, b, _ in rows]
    point, fits, style = _style_fits(coded, style_covariates(pairs, answers), prior, theta, fits,
                                     [resampler.per_unit(d) for d in draws], unit_of)  # fmt: skip
    controlled = _standings(names, to_ratings(point, anchor), _ratings(fits, anchor), n, confidence)
    return board.model_copy(
        update={"style_control": True, "standings": controlled, "uncontrolled": plain,
                "style": style}
    )  # fmt: skip


def _units(task_ids: Sequence[str], clusters: Mapping[str, str] | None) -> tuple[list[int], int]:
    """The resampling unit of each comparison (its task, or its task's cluster)."""
    index: dict[str, int] = {}
    unit_of = []
    for row, task_id in enumerate(task_ids):
        if clusters is not None and task_id not in clusters:
            raise ValueError(f"outcome {row}: task {task_id!r} has no cluster")
        unit = task_id if clusters is None else clusters[task_id]
        unit_of.append(index.setdefault(unit, len(index)))
    return unit_of, len(index)


def _packed_units(
    coded: Encoded, unit_of: list[int], units: int, size: int
) -> tuple[list[int], int]:
    """Each unit's pair table (twice the first candidate's wins, comparisons) packed into
    one integer, `width` bits per number: a resample's table is then a sum of integers,
    exact, and fast in pure Python. Units with equal tables get equal integers."""
    column = {pair: q for q, pair in enumerate(pairs_of(size))}
    tables = [[0] * (2 * len(column)) for _ in range(units)]
    for unit, i, j, s in zip(unit_of, coded.first, coded.second, coded.score2, strict=True):
        q = column[(i, j)]
        tables[unit][2 * q] += s
        tables[unit][2 * q + 1] += 1
    width = (max(max(table) for table in tables) * units).bit_length() + 1
    return [sum(v << (width * f) for f, v in enumerate(table)) for table in tables], width


def _plain_replicates(
    resampler: Resampler,
    packed: list[int],
    width: int,
    theta: list[float],
    prior: float,
    resamples: int,
) -> tuple[list[list[float]], list[Draw]]:
    """Thetas fitted to each resample's pair table, and each resample's draws."""
    values = [[packed[group[0]] for group in resampler.groups]]
    size, mask = len(theta), (1 << width) - 1
    pairs = size * (size - 1) // 2
    fits, draws = [], []
    for number in range(resamples):
        drawn = resampler.draw()
        (total,) = resampler.totals(drawn, values)
        fields = [(total >> (width * f)) & mask for f in range(2 * pairs)]
        wins = [fields[2 * q] / 2 + prior / 2 for q in range(pairs)]
        counts = [fields[2 * q + 1] + prior for q in range(pairs)]
        if not prior and unbounded(size, wins, counts) is not None:
            raise ValueError(f"resample {number}: ratings unbounded; rank with prior > 0")
        fits.append(fit_pairs(size, wins, counts, start=theta))
        draws.append(drawn)
    return fits, draws


def _style_fits(
    coded: Encoded,
    covariates: list[tuple[float, ...]],
    prior: float,
    theta: list[float],
    plain: list[list[float]],
    per_unit: list[list[int]],
    unit_of: list[int],
) -> tuple[list[float], list[list[float]], dict[str, float]]:
    """Thetas at equal style, for the data and each resample, and the style effects."""
    keep = [f for f in range(len(STYLE_FEATURES)) if any(row[f] for row in covariates)]
    if not keep:  # every pair of answers alike in style: nothing to control for
        return theta, plain, {}
    rows = oriented(coded, [[row[f] for f in keep] for row in covariates])
    size = len(theta)
    thetas, gammas = fit_covariates(size, coded, rows, prior)
    start = thetas[0][1:] + gammas[0]
    fits: list[list[float]] = []
    for first in range(0, len(per_unit), STYLE_CHUNK):
        chunk = per_unit[first : first + STYLE_CHUNK]
        fits += fit_covariates(size, coded, rows, prior, chunk, unit_of, start)[0]
    style = {STYLE_FEATURES[f]: SCALE * g for f, g in zip(keep, gammas[0], strict=True)}
    return thetas[0], fits, style


def _ratings(fits: list[list[float]], anchor: int | None) -> list[tuple[float, ...]]:
    """Per candidate, its rating in every resample."""
    return list(zip(*(to_ratings(theta, anchor) for theta in fits), strict=True))


def _appearances(coded: Encoded, size: int) -> list[int]:
    n = [0] * size
    for i, j in zip(coded.first, coded.second, strict=True):
        n[i] += 1
        n[j] += 1
    return n


def _win_rates(
    coded: Encoded, names: Sequence[str]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, int]]]:
    """Observed win rates (ties half) and comparison counts of every pair that met."""
    won: dict[tuple[int, int], int] = {}
    met: dict[tuple[int, int], int] = {}
    for i, j, s in zip(coded.first, coded.second, coded.score2, strict=True):
        won[(i, j)] = won.get((i, j), 0) + s
        met[(i, j)] = met.get((i, j), 0) + 1
    rates: dict[str, dict[str, float]] = {name: {} for name in names}
    counts: dict[str, dict[str, int]] = {name: {} for name in names}
    for (i, j), n in sorted(met.items()):
        share = won[(i, j)] / (2 * n)
        rates[names[i]][names[j]], rates[names[j]][names[i]] = share, 1 - share
        counts[names[i]][names[j]] = counts[names[j]][names[i]] = n
    return rates, counts


def _standings(
    names: Sequence[str],
    ratings: Sequence[float],
    replicates: Sequence[Sequence[float]],
    n: Sequence[int],
    confidence: float,
) -> list[Standing]:
    """Standings by rank then name; `replicates[k]` are candidate k's resampled ratings."""
    cis = [percentile_interval(values, confidence) for values in replicates]
    standings = [
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
    return sorted(standings, key=lambda s: (s.rank, s.candidate))


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
    unit_index: dict[str, int] = {}
    for tasks in scores.values():
        for task_id in tasks:
            if clusters is not None and task_id not in clusters:
                raise ValueError(f"task {task_id!r} has no cluster")
            unit_index.setdefault(
                task_id if clusters is None else clusters[task_id], len(unit_index)
            )
    sums = [[0.0] * len(unit_index) for _ in names]
    counts = [[0] * len(unit_index) for _ in names]
    for k, name in enumerate(names):
        for task_id, samples in scores[name].items():
            unit = unit_index[task_id if clusters is None else clusters[task_id]]
            scored = [s for s in samples if s is not None]
            sums[k][unit] += math.fsum(scored)
            counts[k][unit] += len(scored)
        if not sum(counts[k]):
            raise ValueError(f"candidate {name!r} has no scored sample to rank")
    means = [math.fsum(sums[k]) / sum(counts[k]) for k in range(len(names))]
    replicates = _score_replicates(sums, counts, seed, resamples)
    if any(not values for values in replicates):
        raise ValueError("too few resamples: a candidate had no score in any of them")
    n = [sum(c) for c in counts]
    return Leaderboard(
        method="mean-score", style_control=False,
        standings=_standings(names, means, replicates, n, confidence),
        uncontrolled=None, style={}, win_rates={}, comparisons={}, anchor=None, prior=None,
        unit="task" if clusters is None else "cluster", units=len(unit_index),
        confidence=confidence, resamples=resamples, seed=seed,
    )  # fmt: skip


def _score_replicates(
    sums: list[list[float]], counts: list[list[int]], seed: int, resamples: int
) -> list[list[float]]:
    """Per candidate, its mean score in each resample of units (where it has a score)."""
    keys = list(zip(*sums, *counts, strict=True))
    resampler = Resampler(keys, seed)
    firsts = [group[0] for group in resampler.groups]
    group_sums = [[row[u] for u in firsts] for row in sums]
    group_counts = [[row[u] for u in firsts] for row in counts]
    replicates: list[list[float]] = [[] for _ in sums]
    for _ in range(resamples):
        totals = resampler.totals(resampler.draw(), group_sums + group_counts)
        for k, values in enumerate(replicates):
            if totals[len(sums) + k]:
                values.append(totals[k] / totals[len(sums) + k])
    return replicates
