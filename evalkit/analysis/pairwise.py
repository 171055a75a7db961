"""The summary of a pairwise run: per-task winners, win/tie/loss with bootstrap intervals,
position consistency. Pure and light (types and stats only), so the commands that only read
files summarise pairwise runs without importing model code.
"""

from __future__ import annotations

from evalkit.analysis.stats import Interval, paired_bootstrap_ci
from evalkit.types import PairRecord, Schema


class Rate(Schema):
    """A share of the consistent pairs, with its bootstrap interval."""

    count: int
    """Pairs with this outcome."""
    rate: float
    """count / consistent pairs."""
    interval: Interval
    """95% percentile bootstrap interval of the rate, resampling the consistent pairs."""


class PairwiseSummary(Schema):
    """How candidate A fared against B over a pairwise run."""

    a: str
    """Candidate A."""
    b: str
    """Candidate B."""
    judge: str
    """The judge."""
    outcomes: dict[str, str]
    """Per task: a, b, tie, inconsistent, or the status of a pair that was not judged."""
    judged: int
    """Pairs judged in both orders (status ok)."""
    not_judged: int
    """Pairs not judged (an answer or a pick missing), left out of every figure."""
    inconsistent: int
    """Judged pairs whose two orders disagreed: counted apart from win, tie and loss."""
    win: Rate | None
    """A preferred in both orders; None when no pair is consistent."""
    tie: Rate | None
    """A tie in both orders."""
    loss: Rate | None
    """B preferred in both orders."""
    consistency: float | None
    """Share of judged pairs whose two orders agreed; None when none was judged."""


def summarize_pairs(records: list[PairRecord], seed: int | None = None) -> PairwiseSummary:
    """The summary of one (A, B, judge) comparison."""
    first = records[0]
    judged = [r for r in records if r.status == "ok" and r.outcome is not None]
    consistent = [r.outcome for r in judged if r.outcome != "inconsistent"]
    return PairwiseSummary(
        a=first.a,
        b=first.b,
        judge=first.judge,
        outcomes={r.task_id: r.outcome or r.status for r in records},
        judged=len(judged),
        not_judged=len(records) - len(judged),
        inconsistent=len(judged) - len(consistent),
        win=_rate(consistent, "a", seed),
        tie=_rate(consistent, "tie", seed),
        loss=_rate(consistent, "b", seed),
        consistency=len(consistent) / len(judged) if judged else None,
    )


def _rate(outcomes: list[str | None], which: str, seed: int | None) -> Rate | None:
    hits = [1.0 if outcome == which else 0.0 for outcome in outcomes]
    options = {} if seed is None else {"seed": seed}
    interval = paired_bootstrap_ci(hits, **options)
    if interval is None:
        return None
    return Rate(count=int(sum(hits)), rate=sum(hits) / len(hits), interval=interval)
