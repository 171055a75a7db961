"""What `compare` reports (`analysis.compare` computes it): the runs compared, a row per
(task, candidate, sample), per-candidate figures, the judges' agreement on a re-grade.

The types are msgspec Structs, which `--format json` encodes natively (`comparison_json`):
`compare` makes one per row, 10,000 in 2 ms (10 ms as dataclasses, measured).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from evalkit.analysis.checks import CheckCounts
from evalkit.analysis.stats import Agreement, Interval, WilcoxonResult
from evalkit.runfile.manifests import ModelChange

Outcome = Literal["improved", "regressed", "unchanged", "only_a", "only_b", "not_ok"]
"""A row's outcome: improved, regressed, unchanged (ok in both); only_a, only_b; not_ok."""


class RunRef(msgspec.Struct, kw_only=True):
    """Which run file a side of the comparison is."""

    path: str
    """Where it was read from."""
    run_id: str
    """The run's id."""
    judge: str
    """The manifest's judge."""
    suite: str
    """The suite's name."""


class RowComparison(msgspec.Struct, kw_only=True, gc=False):
    """One (task, candidate) row in A and B."""

    task_id: str
    """The task."""
    candidate: str
    """The candidate model."""
    status_a: str | None
    """The record's status in A; None when A has no record for the row."""
    status_b: str | None
    """The record's status in B; None when B has no record for the row."""
    score_a: int | None = None
    """A's score when ok there."""
    score_b: int | None = None
    """B's score when ok there."""
    label_a: str | None = None
    """A's verdict label when ok there."""
    label_b: str | None = None
    """B's verdict label when ok there."""
    delta: int | None = None
    """score_b - score_a; only when the row is ok in both."""
    outcome: Outcome
    """improved, regressed, unchanged (ok in both); only_a, only_b; not_ok (in A or B)."""
    same_answer: bool | None = None
    """Whether A and B hold the same answer text; None when either has no answer."""
    sample: int = 0
    """Which repeated answer to the task the row is (`run --samples K`); 0 otherwise."""

    @property
    def scored(self) -> bool:
        """True when the row counts in the means: ok in both files."""
        return self.delta is not None

    @property
    def changed(self) -> bool:
        """True when anything about the row differs between A and B."""
        return (
            self.delta != 0
            or self.label_a != self.label_b
            or self.status_a != self.status_b
            or not self.scored
        )


class CandidateComparison(msgspec.Struct, kw_only=True):
    """One candidate's figures over the rows graded ok in both files."""

    candidate: str
    """The candidate model."""
    paired: int
    """Rows ok in both A and B: the only rows in the means and tests."""
    mean_a: float | None = None
    """Mean score in A over the paired rows."""
    mean_b: float | None = None
    """Mean score in B over the paired rows."""
    mean_delta: float | None = None
    """mean_b - mean_a; negative is a drop."""
    ci: Interval | None = None
    """Percentile bootstrap interval of mean_delta, resampling tasks (a task's samples
    together) or, with --cluster, clusters of tasks."""
    wilcoxon: WilcoxonResult | None = None
    """Two-sided signed-rank test of the units' (tasks' or clusters') mean differences."""
    improved: int = 0
    """Paired rows scored higher in B."""
    regressed: int = 0
    """Paired rows scored lower in B."""
    unchanged: int = 0
    """Paired rows scored the same."""
    only_a: int = 0
    """Rows with a record in A only (never scored)."""
    only_b: int = 0
    """Rows with a record in B only (never scored)."""
    not_ok: int = 0
    """Rows in both files but not ok in A, B or both (never scored)."""
    lost: int = 0
    """Rows ok in A but not ok or absent in B: a drop the means cannot show."""
    failed: int = 0
    """Of the lost rows, those B holds but not ok (an error, an endpoint down, a judge
    failure), as against absent from B (not run there)."""
    units: int = 0
    """Tasks (or clusters) the paired rows fall in: what the bootstrap resamples."""
    p_value: float | None = None
    """Two-sided bootstrap p-value of mean_delta, resampling the same units as `ci`."""
    p_holm: float | None = None
    """p_value adjusted across the compared candidates (Holm); equal to it for one."""
    mde: float | None = None
    """Minimum detectable difference of this suite: the smallest true mean difference a
    5%-level test detects with 80% power, from the sd of the units' mean differences and
    their number; None below two units."""
    checks_a: CheckCounts = msgspec.field(default_factory=CheckCounts)
    """Check results of the candidate's records in A (all zero without checks)."""
    checks_b: CheckCounts = msgspec.field(default_factory=CheckCounts)
    """Check results of the candidate's records in B (all zero without checks)."""


class Regrade(msgspec.Struct, kw_only=True):
    """B graded the same answers as A with another judge: how far the judges agree."""

    judge_a: str
    """A's judge."""
    judge_b: str
    """B's judge."""
    same_answers: int
    """Rows whose answer text is identical in A and B."""
    agreement: Agreement | None
    """Agreement over the rows ok in both; None when there are none."""


class Comparison(msgspec.Struct, kw_only=True):
    """Everything `compare` reports; `--format json` prints it (`msgspec.json.encode`)."""

    model_changes: list[ModelChange] = msgspec.field(default_factory=list)
    """Models (the judge's, then the candidates') whose identity or server differs between
    A and B: first, because a score difference may come from them rather than from the
    answers."""
    a: RunRef
    """The baseline run."""
    b: RunRef
    """The run compared against it."""
    rows: list[RowComparison]
    """Every (task, candidate) row of either file, A's order first."""
    candidates: list[CandidateComparison]
    """Per-candidate figures, A's candidates first."""
    regrade: Regrade | None = None
    """Present when B re-grades A's answers with a different judge."""
    notes: list[str]
    """Differences worth knowing before reading the figures (suite, settings, judges)."""
    resamples: int
    """Bootstrap resamples behind each interval."""
    seed: int
    """The bootstrap's seed: the same files and seed give the same intervals."""
    cluster: str | None = None
    """What was resampled beyond tasks: `category` or `tag:NAME` (--cluster); None: tasks."""

    @property
    def checked(self) -> bool:
        """True when either file's records carry check results."""
        return any(c.checks_a.records or c.checks_b.records for c in self.candidates)


def comparison_json(result: Comparison) -> str:
    """`compare --format json`: the Comparison, indented by 2, with a final newline."""
    return msgspec.json.format(msgspec.json.encode(result), indent=2).decode() + "\n"
