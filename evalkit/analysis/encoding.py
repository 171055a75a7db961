"""Pairwise outcomes checked and encoded as candidate indices, and the numerical settings
every Bradley-Terry fit shares: the ground both `bradley_terry` (the pure-Python fit) and
`logistic` (the numpy fit with covariates) stand on, so neither imports the other's
module-level names in a cycle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

TOLERANCE = 1e-6
"""Newton stops after a step that moved no parameter more than this (log-odds units):
its convergence is quadratic, so the error left is of the order of the step squared
(1e-12 log-odds, 1e-10 rating points)."""
TRUST = 1.0
"""A Newton step moving a theta by more than this (log-odds) is checked and halved."""
MAX_ITERATIONS = 100
"""Newton iterations before a fit is declared not to converge (a handful suffice)."""

Winner = Literal["a", "b", "tie"]
SCORE2 = {"a": 2, "tie": 1, "b": 0}
"""Twice the outcome for a: whole numbers, so tallies of outcomes are exact integers."""


class Encoded(NamedTuple):
    """Validated comparisons as candidate indices, the lower index first."""

    task_ids: list[str]
    """Each comparison's task."""
    first: list[int]
    """Index of the candidate with the lower index."""
    second: list[int]
    """Index of the other."""
    score2: list[int]
    """Twice the outcome for `first`: 2 win, 1 tie, 0 loss."""
    flipped: list[bool]
    """Whether a and b were swapped to put the lower index first."""


def encode(outcomes: Sequence[Sequence[str]], candidates: Sequence[str]) -> Encoded:
    """Check each outcome (task_id, a, b, result) and index its candidates; errors name
    the outcome's position and field."""
    index = {name: i for i, name in enumerate(candidates)}
    if len(index) != len(candidates):
        raise ValueError("candidates are not unique")
    coded = Encoded([], [], [], [], [])
    for row, outcome in enumerate(outcomes):
        if len(outcome) != 4:
            raise ValueError(f"outcome {row}: expected (task_id, a, b, result), got {outcome!r}")
        task_id, a, b, result = outcome
        for field, name in (("a", a), ("b", b)):
            if name not in index:
                raise ValueError(f"outcome {row}: field {field}: unknown candidate {name!r}")
        if a == b:
            raise ValueError(f"outcome {row}: candidate {a!r} compared with itself")
        if result not in SCORE2:
            raise ValueError(f"outcome {row}: field result: {result!r} is not a, b or tie")
        flip = index[a] > index[b]
        coded.task_ids.append(task_id)
        coded.first.append(index[b] if flip else index[a])
        coded.second.append(index[a] if flip else index[b])
        coded.score2.append(2 - SCORE2[result] if flip else SCORE2[result])
        coded.flipped.append(flip)
    return coded


def pairs_of(size: int) -> list[tuple[int, int]]:
    """Every pair (i, j), i < j, in a fixed order: the columns of a pair table."""
    return [(i, j) for i in range(size) for j in range(i + 1, size)]
