"""Bradley-Terry ratings from pairwise outcomes, by maximum likelihood.

P(a beats b) = 1 / (1 + exp(theta_b - theta_a - gamma . x)), with x the covariates of the
comparison (style differences, a minus b) when given. A tie counts as half a win for each
side (outcome 1/2 in the likelihood), as Arena-Hard does. Ratings are on the Elo scale,
rating = 1000 + 400 * log10(odds against the anchor): a 400-point gap is 10-to-1 odds.
The anchor is the mean of the thetas (ratings average 1000) or a named baseline (rated
exactly 1000), so a gap between two ratings means the same under either.

`prior` adds that many virtual ties to every pair of candidates (zero covariates): it
keeps ratings finite when a candidate won every comparison, and moves them by about
prior / comparisons-per-pair otherwise (1 in 2,000 for a thousand tasks judged in both
orders). With prior 0 the fit is the plain maximum-likelihood estimate, and an error
names the candidates whose rating would be unbounded.

Without covariates the likelihood depends on the outcomes only through each pair's wins
and comparisons, so the fit is a Newton iteration on a table of K(K - 1)/2 pairs, in pure
Python. With covariates every comparison is its own row: Newton on the logistic
regression, batched over bootstrap resamples with numpy, imported only then.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from evalkit.analysis.encoding import (
    MAX_ITERATIONS,
    TOLERANCE,
    TRUST,
    Encoded,
    Winner,
    encode,
    pairs_of,
)
from evalkit.types import Schema

SCALE = 400 / math.log(10)
"""Rating points per unit of log-odds."""
BASE_RATING = 1000.0
"""The anchor's rating: the mean rating, or the baseline's."""
DEFAULT_PRIOR = 1.0
"""Virtual ties added to every pair of candidates."""


class Comparison(NamedTuple):
    """One judged comparison of two candidates' answers to a task."""

    task_id: str
    """The task both answered; comparisons of one task are resampled together."""
    a: str
    """One candidate (the answer shown first, if the order matters to you; not here)."""
    b: str
    """The other candidate."""
    result: Winner
    """"a" or "b" for the winner, "tie" for neither (half a win each)."""


class Ratings(Schema):
    """Bradley-Terry ratings of candidates, on the Elo scale."""

    ratings: dict[str, float]
    """Rating per candidate, in the order of the candidates given."""
    covariates: dict[str, float]
    """Effect of each covariate in rating points per unit of it (style: per typical
    difference); empty without covariates; a covariate that is zero throughout is left out."""
    anchor: str
    """"mean" (ratings average 1000) or the baseline rated 1000."""
    prior: float
    """Virtual ties added to every pair of candidates."""
    comparisons: int
    """Comparisons fitted."""


def to_ratings(theta: Sequence[float], anchor: int | None) -> list[float]:
    """Thetas (log-odds) to Elo-scale ratings, the mean or `theta[anchor]` at 1000."""
    reference = math.fsum(theta) / len(theta) if anchor is None else theta[anchor]
    return [BASE_RATING + SCALE * (t - reference) for t in theta]


def fit_pairs(
    size: int,
    wins: Sequence[float],
    counts: Sequence[float],
    start: Sequence[float] | None = None,
) -> list[float]:
    """Maximum-likelihood thetas (theta[0] = 0) from a pair table: `wins[q]` of the first
    candidate of pair q (ties halved, prior included) over `counts[q]` comparisons.

    Newton's method; a step that would move a theta by more than TRUST is halved until
    the log-likelihood does not fall. The log-likelihood is concave, so this converges
    whenever the maximum exists (check with `unbounded` first)."""
    pairs = pairs_of(size)
    theta = [0.0] * size if start is None else [t - start[0] for t in start]
    for _ in range(MAX_ITERATIONS):
        grad = [0.0] * size
        info = [[0.0] * size for _ in range(size)]
        for (i, j), w, n in zip(pairs, wins, counts, strict=True):
            if n:
                p = 1.0 / (1.0 + math.exp(theta[j] - theta[i]))
                r, h = w - n * p, n * p * (1.0 - p)
                grad[i] += r
                grad[j] -= r
                info[i][i] += h
                info[j][j] += h
                info[i][j] -= h
                info[j][i] -= h
        step = [0.0, *solve([row[1:] for row in info[1:]], grad[1:])]
        moved = max(map(abs, step))
        if moved > TRUST:
            theta, moved = _halving(theta, step, pairs, wins, counts)
        else:
            theta = [t + s for t, s in zip(theta, step, strict=True)]
        if moved < TOLERANCE:
            return theta
    raise ValueError("Bradley-Terry fit did not converge")


PairTable = Sequence[float]


def _halving(
    theta: list[float],
    step: list[float],
    pairs: list[tuple[int, int]],
    wins: PairTable,
    counts: PairTable,
) -> tuple[list[float], float]:
    """The Newton step, halved until the log-likelihood does not fall; with the largest
    move made."""
    level = _pair_loglik(theta, pairs, wins, counts)
    scale = 1.0
    while True:
        trial = [t + scale * s for t, s in zip(theta, step, strict=True)]
        if _pair_loglik(trial, pairs, wins, counts) >= level or scale < 1e-9:
            return trial, scale * max(map(abs, step))
        scale /= 2


def _pair_loglik(
    theta: list[float], pairs: list[tuple[int, int]], wins: PairTable, counts: PairTable
) -> float:
    total = 0.0
    for (i, j), w, n in zip(pairs, wins, counts, strict=True):
        if n:
            d = theta[i] - theta[j]
            total -= w * _softplus(-d) + (n - w) * _softplus(d)
    return total


def _softplus(x: float) -> float:
    """log(1 + e^x) without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """x with matrix @ x = vector, by Gaussian elimination with partial pivoting."""
    n = len(vector)
    rows = [[*row, v] for row, v in zip(matrix, vector, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        if rows[pivot][col] == 0:
            raise ValueError("singular Bradley-Terry system: a candidate has no comparisons")
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, n):
            factor = rows[r][col] / rows[col][col]
            if factor:
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[col], strict=True)]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (rows[r][n] - sum(rows[r][c] * x[c] for c in range(r + 1, n))) / rows[r][r]
    return x


def unbounded(
    size: int, wins: Sequence[float], counts: Sequence[float]
) -> tuple[list[int], str, list[int]] | None:
    """Where the maximum-likelihood ratings do not exist, a group that never lost to (or
    never beat) the others: (group, "never lost to" or "never beat", others); None when
    the maximum exists, i.e. the graph "i took credit from j" is strongly connected
    (Hunter 2004)."""
    beat: list[set[int]] = [set() for _ in range(size)]
    for (i, j), w, n in zip(pairs_of(size), wins, counts, strict=True):
        if w > 0:
            beat[i].add(j)
        if n - w > 0:
            beat[j].add(i)
    lost_to = [{i for i in range(size) if j in beat[i]} for j in range(size)]
    for edges, verb in ((beat, "never lost to"), (lost_to, "never beat")):
        seen, todo = {0}, [0]
        while todo:
            for other in edges[todo.pop()] - seen:
                seen.add(other)
                todo.append(other)
        if len(seen) < size:
            return sorted(set(range(size)) - seen), verb, sorted(seen)
    return None


def bradley_terry(
    outcomes: Sequence[Sequence[str]],
    candidates: Sequence[str],
    *,
    covariates: Mapping[str, Sequence[float]] | None = None,
    baseline: str | None = None,
    prior: float = DEFAULT_PRIOR,
) -> Ratings:
    """Fit ratings to outcomes (task_id, a, b, result), result "a", "b" or "tie".

    `covariates` maps a name to one value per outcome (a's minus b's, e.g. from
    `style.style_covariates`); they are fitted jointly, so ratings are at equal
    covariates. `baseline` names the candidate rated 1000 (default: the mean is 1000)."""
    coded = encode(outcomes, candidates)
    anchor = anchor_index(candidates, baseline)
    check_bounded(candidates, coded, prior)
    given = covariates or {}
    names = [name for name, column in given.items() if any(column)]
    for name in names:
        if len(given[name]) != len(coded.first):
            raise ValueError(
                f"covariate {name!r}: {len(given[name])} values for {len(coded.first)} outcomes"
            )
    if not names:
        theta, gamma = fit_pairs(len(candidates), *pair_table(coded, len(candidates), prior)), []
    else:
        rows = list(zip(*(given[name] for name in names), strict=True))
        fitted = fit_covariates(len(candidates), coded, oriented(coded, rows), prior)
        theta, gamma = fitted[0][0], fitted[1][0]
    return Ratings(
        ratings=dict(zip(candidates, to_ratings(theta, anchor), strict=True)),
        covariates={name: SCALE * g for name, g in zip(names, gamma, strict=True)},
        anchor="mean" if baseline is None else baseline,
        prior=prior,
        comparisons=len(coded.first),
    )


def anchor_index(candidates: Sequence[str], baseline: str | None) -> int | None:
    """The baseline's index, or None to anchor the mean; an unknown baseline is an error."""
    if baseline is None:
        return None
    if baseline not in candidates:
        raise ValueError(f"baseline {baseline!r} is not among the candidates")
    return list(candidates).index(baseline)


def pair_table(coded: Encoded, size: int, prior: float) -> tuple[list[float], list[float]]:
    """Per pair (in `pairs_of` order), the first candidate's wins (ties half) and the
    comparisons, prior included."""
    column = {pair: q for q, pair in enumerate(pairs_of(size))}
    wins = [prior / 2] * len(column)
    counts = [float(prior)] * len(column)
    for i, j, s in zip(coded.first, coded.second, coded.score2, strict=True):
        q = column[(i, j)]
        wins[q] += s / 2
        counts[q] += 1
    return wins, counts


def check_bounded(candidates: Sequence[str], coded: Encoded, prior: float) -> None:
    """A ValueError naming a candidate without comparisons, or (prior 0) the candidates
    whose maximum-likelihood rating is unbounded."""
    compared = set(coded.first) | set(coded.second)
    missing = [name for i, name in enumerate(candidates) if i not in compared]
    if missing:
        raise ValueError(f"no comparisons for {', '.join(missing)}: no rating to fit")
    found = (
        None if prior > 0 else unbounded(len(candidates), *pair_table(coded, len(candidates), 0))
    )
    if found is not None:
        group, verb, others = found
        raise ValueError(
            f"ratings unbounded: {', '.join(candidates[i] for i in group)} {verb} "
            f"{', '.join(candidates[i] for i in others)}; fit with prior > 0 (virtual ties "
            "per pair) to keep them finite"
        )


def oriented(coded: Encoded, rows: Sequence[Sequence[float]]) -> list[tuple[float, ...]]:
    """Covariate rows (a minus b) turned to the encoded order (first minus second)."""
    return [
        tuple(-v for v in row) if flip else tuple(row)
        for row, flip in zip(rows, coded.flipped, strict=True)
    ]


def fit_covariates(
    size: int,
    coded: Encoded,
    rows: Sequence[Sequence[float]],
    prior: float,
    weights: Sequence[Sequence[int]] | None = None,
    unit_of: Sequence[int] | None = None,
    start: Sequence[float] | None = None,
) -> tuple[list[list[float]], list[list[float]]]:
    """Thetas (theta[0] = 0) and covariate coefficients fitted jointly, once per row of
    `weights` (resamples x units multiplicities, comparison c in unit `unit_of[c]`; None:
    the data once). Imports numpy (`logistic`)."""
    from evalkit.analysis.logistic import newton

    return newton(size, coded, rows, prior, weights, unit_of, start)
