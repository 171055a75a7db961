"""The pairwise line of a run file, `{"type": "pair", ...}` (one per task, A, B and
judge), and the summary of a pairwise run: per-task winners, win/tie/loss with bootstrap
intervals, position consistency.

Pure and light (types and stats only), so the run-file reader can parse pair lines and
the commands that only read files can summarise them without importing model code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from evalkit.stats import Interval, paired_bootstrap_ci
from evalkit.types import Answer, ErrorInfo, Model, Status, Strict, utc_now

Side = Literal["a", "b"]
Preference = Literal["a", "b", "tie"]
Outcome = Literal["a", "b", "tie", "inconsistent"]


class PairJudgement(Strict):
    """The judge's pick for one order of the two answers."""

    first: Side
    """Which candidate's answer was shown first (as "Answer 1")."""
    preferred: Preference | None = None
    """The candidate the judge preferred, mapped back from the position it picked, or tie;
    null when the judge gave no valid reply."""
    reasoning: str = ""
    """The judge's reasoning."""
    raw: list[str] = Field(default_factory=list)
    """Raw replies that did not validate."""
    judge_answer: Answer | None = None
    """Latency and tokens of the judge call."""
    error: ErrorInfo | None = None
    """Why there is no pick."""
    unavailable: bool = False
    """True when the judge's endpoint or model was down."""


class PairRecord(Strict):
    """One pairwise line: both answers to one task and the judge's two picks."""

    type: Literal["pair"] = "pair"
    """Always "pair"; tells pairwise lines from results and the manifest."""
    task_id: str
    """The task's id in the suite."""
    a: str
    """Candidate A's name."""
    b: str
    """Candidate B's name."""
    judge: str
    """The judge's name."""
    status: Status
    """ok when both orders were judged; otherwise why not, as for result records."""
    answer_a: Answer | None = None
    """A's answer; kept when anything later failed, so a resume only judges."""
    answer_b: Answer | None = None
    """B's answer, likewise."""
    judgements: list[PairJudgement] = Field(default_factory=list)
    """The two picks: A shown first, then B shown first."""
    outcome: Outcome | None = None
    """a, b or tie when both orders agree; inconsistent when they do not; null unless ok."""
    error: ErrorInfo | None = None
    """Why the record is not ok."""
    started_at: str = Field(default_factory=utc_now)
    """When work on this key began (UTC, ISO 8601)."""
    finished_at: str = Field(default_factory=utc_now)
    """When the record was written."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The (task_id, a, b, judge) key; a later record for it supersedes this one."""
        return (self.task_id, self.a, self.b, self.judge)


class Rate(Model):
    """A share of the consistent pairs, with its bootstrap interval."""

    count: int
    """Pairs with this outcome."""
    rate: float
    """count / consistent pairs."""
    interval: Interval
    """95% percentile bootstrap interval of the rate, resampling the consistent pairs."""


class PairwiseSummary(Model):
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
