"""What `compare` resamples: tasks, or clusters of tasks, never rows.

Rows of one task (its repeated samples, `run --samples K`) and tasks of one cluster (a
category, a tag's value: `compare --cluster`) are not independent; a bootstrap that
resamples rows finds differences that are not there. Each candidate's paired differences
are grouped here into units that move together: the interval, the bootstrap p-value and
the minimum detectable difference (80% power at the 5% level) come from resampling those
units (`clustered.cluster_bootstrap`), the Wilcoxon test runs on the units' mean
differences, and p-values are adjusted across candidates with Holm's method.

Guarantees: a run of one sample compared by task has one unit per row, so its bootstrap is
the row-level one `compare` always made; the same rows and seed give the same figures; a
task missing from the cluster map is an error (ValueError, for the CLI to report), never
silently its own cluster.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from evalkit.analysis.clustered import ClusteredDifference, cluster_bootstrap, holm
from evalkit.analysis.stats import Interval, WilcoxonResult, wilcoxon_signed_rank


def units(
    rows: Sequence[tuple[str, float]], clusters: Mapping[str, str] | None
) -> list[list[float]]:
    """The paired differences `(task_id, delta)` grouped by task, or by the cluster
    `clusters` maps each task to, in order of first appearance."""
    grouped: dict[str, list[float]] = {}
    for task_id, delta in rows:
        if clusters is not None and task_id not in clusters:
            raise ValueError(f"task {task_id!r} has no cluster in the suite")
        grouped.setdefault(task_id if clusters is None else clusters[task_id], []).append(delta)
    return list(grouped.values())


class UnitFigures:
    """A candidate's figures from its units: interval, p-values, MDE, Wilcoxon."""

    def __init__(self, groups: list[list[float]], resamples: int, seed: int) -> None:
        self.result: ClusteredDifference | None = cluster_bootstrap(
            groups, resamples=resamples, seed=seed
        )
        means = [math.fsum(g) / len(g) for g in groups if g]
        self.wilcoxon: WilcoxonResult | None = wilcoxon_signed_rank(means) if means else None

    @property
    def interval(self) -> Interval | None:
        """The percentile interval of the mean difference, as `compare` has always shown."""
        if self.result is None:
            return None
        low, high = self.result.ci
        return Interval(
            low=low,
            high=high,
            confidence=self.result.confidence,
            resamples=self.result.resamples,
            seed=self.result.seed,
        )


def holm_adjusted(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values across the candidates that have one; None stays None."""
    present = [p for p in pvalues if p is not None]
    adjusted = iter(holm(present))
    return [None if p is None else next(adjusted) for p in pvalues]


def undetectable(drop: float, mde: float | None) -> str:
    """A note when a drop is smaller than the suite's minimum detectable difference; ""
    otherwise (or when the MDE is unknown)."""
    if mde is None or drop >= mde:
        return ""
    return (
        f"smaller than the {mde:.2f} this suite can detect (80% power at the 5% level):"
        " it cannot be told from noise here"
    )
