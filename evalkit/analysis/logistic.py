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

from evalkit.analysis.bradley_terry import MAX_ITERATIONS, TOLERANCE, Encoded, pairs_of


def newton(
    size: int,
    coded: Encoded,
    rows: Sequence[Sequence[float]],
    prior: float,
    weights: Any = None,
    unit_of: Sequence[int] | None = None,
    start: Sequence[float] | None = None,
) -> tuple[list[list[float]], list[list[float]]]:
    """Thetas (theta_0 = 0) and covariate coefficients for each row of `weights`
    (resamples x units multiplicities, comparison c in unit `unit_of[c]`; None: every
    comparison once), every fit started from `start` (thetas 1.. then coefficients)."""
    import numpy as np

    design, outcome = _design(np, size, coded, rows, prior)
    n, extra = len(coded.first), design.shape[0] - len(coded.first)
    if weights is None:
        weights = np.ones((1, n))
    else:
        weights = np.asarray(weights, dtype=float)[:, np.asarray(unit_of, dtype=int)]
    weights = np.hstack([weights, np.full((weights.shape[0], extra), float(prior))])
    width = design.shape[1]
    params = np.zeros((weights.shape[0], width))
    if start is not None:
        params[:] = np.asarray(start, dtype=float)
    outer = np.einsum("mf,mg->mfg", design, design).reshape(design.shape[0], width * width)
    level, eta = _loglik(np, params, design, outcome, weights)
    for _ in range(MAX_ITERATIONS):
        p = 0.5 * (1.0 + np.tanh(0.5 * eta))
        grad = (weights * (outcome - p)) @ design
        info = ((weights * p * (1.0 - p)) @ outer).reshape(-1, width, width)
        try:
            step = np.linalg.solve(info, grad[..., None])[..., 0]
        except np.linalg.LinAlgError as error:
            raise ValueError(
                "Bradley-Terry with covariates: singular system (a covariate repeats a "
                "candidate's column or another covariate)"
            ) from error
        scale = np.ones(len(params))
        for _ in range(40):
            trial = params + scale[:, None] * step
            new, new_eta = _loglik(np, trial, design, outcome, weights)
            worse = new < level - 1e-12 * np.abs(level)
            if not worse.any():
                break
            scale[worse] /= 2
        params, level, eta = trial, new, new_eta
        if np.max(np.abs(scale[:, None] * step)) < TOLERANCE:
            thetas = np.hstack([np.zeros((len(params), 1)), params[:, : size - 1]])
            return thetas.tolist(), params[:, size - 1 :].tolist()
    raise ValueError(
        "Bradley-Terry with covariates did not converge: a covariate may separate the "
        "outcomes (the judge follows it without exception)"
    )


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


def _loglik(np: Any, params: Any, design: Any, outcome: Any, weights: Any) -> tuple[Any, Any]:
    """Per fit, the log-likelihood (ties as outcome 1/2), and the linear predictors."""
    eta = params @ design.T
    return (weights * (outcome * eta - np.logaddexp(0.0, eta))).sum(axis=1), eta
