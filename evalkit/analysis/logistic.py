"""Bradley-Terry with covariates: a weighted logistic regression on pair differences,
fitted by Newton's method with numpy, batched over bootstrap resamples.

Only style control comes here, so only it imports numpy (the plain fit is pure Python).
Each comparison is a row: +1 in the first candidate's column, -1 in the second's (the
column of candidate 0 is dropped: theta_0 = 0), then its covariates; the outcome is 1, 1/2
or 0. The prior adds, per pair, a row of weight `prior` with outcome 1/2 and no covariates.
A resample weighs each row by how many times its task was drawn.

Guarantee: every fit returned has converged (no parameter moved more than the tolerance
in the last step); otherwise a ValueError says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit.analysis.encoding import MAX_ITERATIONS, TOLERANCE, TRUST, Encoded, pairs_of

CHUNK = 100
"""Fits batched together: memory is a few arrays of this many times the comparisons."""


def newton(
    size: int,
    coded: Encoded,
    rows: Sequence[Sequence[float]],
    prior: float,
    counts: Sequence[Sequence[int]] | None = None,
    unit_of: Sequence[int] | None = None,
    start: Sequence[float] | None = None,
) -> tuple[list[list[float]], list[list[float]]]:
    """Thetas (theta_0 = 0) and covariate coefficients for each row of `counts`
    (resamples x units multiplicities, comparison c in unit `unit_of[c]`; None: every
    comparison once), every fit started from `start` (thetas 1.. then coefficients).

    All fits share the start, so the first step needs only each unit's totals of the
    gradient and information there: `counts` times them gives every fit's first Newton
    step exactly, at a cost per unit instead of per comparison and resample."""
    import numpy as np

    n = len(coded.first)
    if counts is None:
        counts, unit_of = [[1] * n], range(n)
    problem = _Problem(np, size, coded, rows, prior, np.asarray(unit_of, dtype=int))
    begin = np.zeros(problem.width) if start is None else np.asarray(start, dtype=float)
    totals = problem.unit_totals(begin)
    thetas: list[list[float]] = []
    gammas: list[list[float]] = []
    for first in range(0, len(counts), CHUNK):
        chunk = np.asarray(counts[first : first + CHUNK], dtype=float)
        params = problem.fit(chunk, begin, chunk @ totals + problem.prior_totals(begin))
        thetas += np.hstack([np.zeros((len(params), 1)), params[:, : size - 1]]).tolist()
        gammas += params[:, size - 1 :].tolist()
    return thetas, gammas


class _Problem:
    """The design of the regression and Newton's method on it, for batches of fits."""

    def __init__(
        self,
        np: Any,
        size: int,
        coded: Encoded,
        rows: Sequence[Sequence[float]],
        prior: float,
        unit: Any,
    ) -> None:
        self.np, self.prior, self.unit = np, prior, unit
        self.design, self.outcome = _design(np, size, coded, rows, prior)
        self.width = self.design.shape[1]
        self.upper = np.triu_indices(self.width)
        self.outer = self.design[:, self.upper[0]] * self.design[:, self.upper[1]]

    def _per_row(self, start: Any) -> Any:
        """Each row's gradient and information cells at `start` (weight one)."""
        p = 0.5 * (1.0 + self.np.tanh(0.5 * (self.design @ start)))
        return self.np.hstack(
            [(self.outcome - p)[:, None] * self.design, (p * (1 - p))[:, None] * self.outer]
        )

    def unit_totals(self, start: Any) -> Any:
        """Per unit, the sum of its comparisons' derivatives at `start`."""
        np, n = self.np, len(self.unit)
        per_row = self._per_row(start)[:n]
        units = int(self.unit.max()) + 1 if n else 0
        return np.stack([np.bincount(self.unit, col, units) for col in per_row.T], axis=1)

    def prior_totals(self, start: Any) -> Any:
        """The prior rows' derivatives at `start`, the same in every fit."""
        return self.prior * self._per_row(start)[len(self.unit) :].sum(axis=0)

    def fit(self, counts: Any, start: Any, derivatives: Any) -> Any:
        """Newton from `start` for each row of `counts`, given the first derivatives."""
        np, design, width = self.np, self.design, self.width
        weights = np.hstack(
            [counts[:, self.unit], np.full((len(counts), len(design) - len(self.unit)), self.prior)]
        )
        params = np.tile(start, (len(counts), 1))
        grad, cells = derivatives[:, :width], derivatives[:, width:]
        for _ in range(MAX_ITERATIONS):
            info = np.empty((len(params), width, width))
            info[:, self.upper[0], self.upper[1]] = cells
            info[:, self.upper[1], self.upper[0]] = cells
            try:
                step = np.linalg.solve(info, grad[..., None])[..., 0]
            except np.linalg.LinAlgError as error:
                raise ValueError(
                    "Bradley-Terry with covariates: singular system (a covariate repeats a "
                    "candidate's column or another covariate)"
                ) from error
            large = np.abs(step).max(axis=1) > TRUST
            if large.any():
                step[large] = _halved(
                    np, params[large], step[large], design, self.outcome, weights[large]
                )
            params = params + step
            if np.abs(step).max() < TOLERANCE:
                return params
            p = 0.5 * (1.0 + np.tanh(0.5 * (params @ design.T)))
            wp = weights * p
            grad = (weights * self.outcome - wp) @ design
            cells = (wp - wp * p) @ self.outer
        raise ValueError(
            "Bradley-Terry with covariates did not converge: a covariate may separate the "
            "outcomes (the judge follows it without exception)"
        )


def _halved(np: Any, params: Any, step: Any, design: Any, outcome: Any, weights: Any) -> Any:
    """Newton steps halved, fit by fit, until the log-likelihood does not fall."""
    level = _loglik(np, params, design, outcome, weights)
    scale = np.ones(len(params))
    for _ in range(40):
        worse = _loglik(np, params + scale[:, None] * step, design, outcome, weights) < level
        if not worse.any():
            break
        scale[worse] /= 2
    return scale[:, None] * step


def _design(
    np: Any, size: int, coded: Encoded, rows: Sequence[Sequence[float]], prior: float
) -> tuple[Any, Any]:
    """The design matrix and outcomes: comparisons, then the prior's rows if any."""
    pairs = pairs_of(size) if prior else []
    first = np.array(coded.first + [i for i, _ in pairs], dtype=int)
    second = np.array(coded.second + [j for _, j in pairs], dtype=int)
    covariates = np.asarray(rows, dtype=float).reshape(len(coded.first), -1)
    design = np.zeros((len(first), size - 1 + covariates.shape[1]))
    index = np.arange(len(first))
    design[index[first > 0], first[first > 0] - 1] += 1.0
    design[index[second > 0], second[second > 0] - 1] -= 1.0
    design[: len(coded.first), size - 1 :] = covariates
    outcome = np.concatenate([np.array(coded.score2, dtype=float) / 2, np.full(len(pairs), 0.5)])
    return design, outcome


def _loglik(np: Any, params: Any, design: Any, outcome: Any, weights: Any) -> Any:
    """Per fit, the log-likelihood (ties as outcome 1/2)."""
    eta = params @ design.T
    return (weights * (outcome * eta - np.logaddexp(0.0, eta))).sum(axis=1)
