"""Leaderboards of many candidates with honest uncertainty.

    rank          Bradley-Terry ratings from pairwise outcomes (ties half), optionally at
                  equal style (length, markdown), with bootstrap intervals and ranks
    rank_scores   mean scores of absolute-score runs, with intervals and ranks

Intervals resample tasks (or clusters of tasks): every comparison or sample of a task
moves with it, because they share the task's difficulty. Guarantees: the same inputs and
seed give the same leaderboard with a given numpy version (`resampling`'s guarantee; the
resamples are drawn with numpy, imported only then, and the plain fits are pure Python);
every resample is fitted to convergence, none is skipped for the pairwise ratings.

Ranks and the result models are `leaderboard`'s (re-exported here with `rank_scores`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

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
from evalkit.analysis.leaderboard import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Leaderboard,
    Standing,
    rank_scores,
    standings,
)
from evalkit.analysis.resampling import Resampler
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
    if len(names) < 2:
        raise ValueError("nothing to rank: no outcomes between two candidates")
    coded = encode(rows, names)
    if style_control and answers is None:
        raise ValueError("style control needs the answers' texts (answers=...)")
    anchor = anchor_index(names, baseline)
    unit_of, units = _units(coded.task_ids, clusters)
    theta, fits, per_unit = _plain_bootstrap(coded, names, unit_of, prior, resamples, seed)
    n = _appearances(coded, len(names))
    plain = standings(names, to_ratings(theta, anchor), _ratings(fits, anchor), n, confidence)
    controlled, style = None, {}
    if style_control:
        assert answers is not None
        covariates = style_covariates([(t, a, b) for t, a, b, _ in rows], answers)
        point, fits, style = _style_fits(coded, covariates, prior, theta, fits, per_unit, unit_of)
        controlled = standings(
            names, to_ratings(point, anchor), _ratings(fits, anchor), n, confidence
        )
    win_rates, comparisons = _win_rates(coded, names)
    return Leaderboard(
        method="bradley-terry",
        style_control=style_control,
        standings=plain if controlled is None else controlled,
        uncontrolled=plain if style_control else None,
        style=style,
        win_rates=win_rates,
        comparisons=comparisons,
        anchor="mean" if baseline is None else baseline,
        prior=prior,
        unit="task" if clusters is None else "cluster",
        units=units,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


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


def _unit_tables(coded: Encoded, unit_of: list[int], size: int) -> list[list[int]]:
    """Each unit's pair table: per pair of candidates, twice the first one's wins (ties
    count one) and the comparisons. A resample's table is the units' tables weighed by how
    many times each was drawn: integers, exact."""
    column = {pair: q for q, pair in enumerate(pairs_of(size))}
    tables = [[0] * (2 * len(column)) for _ in range(max(unit_of, default=-1) + 1)]
    for unit, i, j, s in zip(unit_of, coded.first, coded.second, coded.score2, strict=True):
        q = column[(i, j)]
        tables[unit][2 * q] += s
        tables[unit][2 * q + 1] += 1
    return tables


def _plain_bootstrap(
    coded: Encoded,
    names: list[str],
    unit_of: list[int],
    prior: float,
    resamples: int,
    seed: int,
) -> tuple[list[float], list[list[float]], Any]:
    """The thetas fitted to the data and to each resample of units, and how many times
    each unit was drawn in each resample (style control refits the same resamples)."""
    import numpy as np

    size = len(names)
    check_bounded(names, coded, prior)
    theta = fit_pairs(size, *pair_table(coded, size, prior))
    tables = _unit_tables(coded, unit_of, size)
    per_unit = Resampler(range(len(tables)), seed).per_unit(resamples)
    drawn = (per_unit @ np.asarray(tables, dtype=np.int64)).tolist()
    pairs = size * (size - 1) // 2
    fits = []
    for number, fields in enumerate(drawn):
        wins = [fields[2 * q] / 2 + prior / 2 for q in range(pairs)]
        counts = [fields[2 * q + 1] + prior for q in range(pairs)]
        if not prior and unbounded(size, wins, counts) is not None:
            raise ValueError(f"resample {number}: ratings unbounded; rank with prior > 0")
        fits.append(fit_pairs(size, wins, counts, start=theta))
    return theta, fits, per_unit


def _style_fits(
    coded: Encoded,
    covariates: list[tuple[float, ...]],
    prior: float,
    theta: list[float],
    plain: list[list[float]],
    per_unit: Any,
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
    fits = fit_covariates(size, coded, rows, prior, per_unit, unit_of, start)[0]
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
