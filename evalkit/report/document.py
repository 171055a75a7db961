"""The report as data: a `Report` of task sections (one `Cell` per candidate per task),
per-candidate totals and the computed prose. `build` fills it from a run file; the
renderers (`markdown`, `html`) only format what it holds, so both always say the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import TYPE_CHECKING, TextIO

from evalkit.analysis.checks import CheckCounts

if TYPE_CHECKING:  # a report without a card, leaderboard or samples never imports them
    from evalkit.analysis.card_models import JudgeCard
    from evalkit.analysis.incomplete import Incomplete
    from evalkit.analysis.leaderboard import Leaderboard
    from evalkit.analysis.samples import SampleStats
    from evalkit.report.environment import EnvironmentColumn
    from evalkit.runfile.heads import JudgeHead, SuiteHead
    from evalkit.runfile.report_lines import (
        ReportCheck,
        ReportCriterion,
        ReportDisagreement,
        ReportIssue,
    )
    from evalkit.types import (
        CheckResult,
        CriterionResult,
        Disagreement,
        Issue,
        JudgeInfo,
        SuiteInfo,
    )


@dataclass(slots=True, kw_only=True)
class Cell:
    """One candidate's result on one task. Its issues and criteria are a record's as read:
    pydantic models (`read_run`) or msgspec structs (`read_report_run`), with the same
    fields.

    A dataclass, as `TaskSection`, not a pydantic model: `build` makes one per record
    from values already validated, and validating them again cost a third of the report's
    build (10,000 records, measured); nothing serialises them."""

    candidate: str
    """The candidate model."""
    status: str
    """ok, unavailable, error, judge_error, or missing (no record for the key)."""
    score: int | None = None
    """The verdict's score when ok."""
    label: str | None = None
    """The verdict's label when ok."""
    latency_ms: float | None = None
    """The answer's latency, when there is an answer."""
    answer: str | None = None
    """The answer's full text."""
    reasoning: str | None = None
    """The judge's reasoning."""
    issues: Sequence[Issue | ReportIssue] = ()
    """The judge's issues, most severe first."""
    criteria: Sequence[CriterionResult | ReportCriterion] = ()
    """The judge's finding on each rubric criterion."""
    capped_from: int | None = None
    """The judge's own score when a missed fatal criterion capped it."""
    reason: str | None = None
    """Why the record is not ok, in full."""
    short_reason: str | None = None
    """The reason in a few words, for table cells: HTTP 404, InvalidVerdict, ..."""
    incomplete: str = ""
    """Why the answer is not whole: `cut at max_tokens`, `empty`, or both; "" when it is
    whole or there is none."""
    checks: Sequence[CheckResult | ReportCheck] = ()
    """The task's checks on the answer, in the suite's order; empty without checks. Their
    details quote output of model-written code: hostile text, like the answer."""
    disagreements: Sequence[Disagreement | ReportDisagreement] = ()
    """Checks whose result contradicts the judge's finding on the criterion they name."""

    @property
    def graded(self) -> bool:
        """True when the cell has a score."""
        return self.score is not None

    @property
    def state(self) -> str:
        """Why there is no score, in capitals: UNAVAILABLE (the candidate's endpoint was
        down), NOT GRADED (an answer the judge could not reach), JUDGE_ERROR, ERROR, or
        NOT RUN (no record); empty when graded."""
        if self.score is not None:
            return ""
        if self.status == "missing":
            return "NOT RUN"
        if self.answer is not None and self.status in ("unavailable", "error"):
            return "NOT GRADED"
        return self.status.upper()

    @property
    def incomplete_note(self) -> str:
        """A sentence for above the answer when it is not whole; "" when it is."""
        if not self.incomplete:
            return ""
        if self.incomplete == "cut at max_tokens":
            return "The answer was cut at max_tokens: it ends where generation stopped."
        cut = " at max_tokens" if "cut" in self.incomplete else ""
        return f"The answer is empty: the model stopped{cut} without writing anything."

    @property
    def headline(self) -> str:
        """The cell in a few words: `2/5 BROKEN`, `2/5 BROKEN [cut at max_tokens]` or
        `UNAVAILABLE (HTTP 404)`."""
        mark = f" [{self.incomplete}]" if self.incomplete else ""
        if self.score is not None:
            return f"{self.score}/5 {self.label}{mark}"
        state = f"{self.state} ({self.short_reason})" if self.short_reason else self.state
        return state + mark


@dataclass(slots=True, kw_only=True)
class TaskSection:
    """One task: its prompt (when the suite is at hand) and every candidate's result."""

    number: int
    """1-based position in the report."""
    task_id: str
    """The task's id."""
    category: str | None = None
    """The task's category, from the suite."""
    prompt: str | None = None
    """The prompt, from the suite; None when the suite was not found."""
    system: str | None = None
    """The system message, from the suite."""
    reference: str | None = None
    """What a good answer contains, from the suite."""
    cells: list[Cell]
    """One per candidate, in the order of `Report.candidates`."""
    winner: str
    """The highest-scoring candidate, `tie`, or `N/A` when fewer than two were graded."""

    @property
    def title(self) -> str:
        """`1. gitea-webhook`, as the seed's tables name tasks."""
        return f"{self.number}. {self.task_id}"


@dataclass(kw_only=True)
class CandidateTotals:
    """One candidate over the whole run. A dataclass, as `Report`: made by `build` from
    values already counted, it crosses no file."""

    candidate: str
    """The candidate model."""
    tasks: int
    """Tasks in the report."""
    answered: int
    """Tasks with an answer, graded or not."""
    graded: int
    """Tasks graded ok."""
    by_status: dict[str, int]
    """Tasks by status (missing: no record)."""
    mean_score: float | None
    """Mean over graded tasks."""
    total_latency_ms: float | None
    """Sum of answer latencies; None when no answer has one."""
    reasons: list[str]
    """Distinct reasons of not-ok records, most frequent first."""
    unlisted_not_run: int = 0
    """Planned tasks with no record for the candidate that the report cannot list (their
    ids are unknown without the suite folder): counted from the manifest, not in `tasks`."""

    @property
    def not_run(self) -> int:
        """Planned tasks with no record for the candidate: NOT RUN cells and unlisted."""
        return self.by_status.get("missing", 0) + self.unlisted_not_run

    incomplete: Incomplete | None = None
    """Its answers cut at max_tokens or empty; None when every answer is whole."""
    checks: CheckCounts = field(default_factory=CheckCounts)
    """Check results over its tasks and disagreements with the judge; all zero when the
    suite has no checks."""

    @property
    def unavailable_everywhere(self) -> bool:
        """True when the candidate answered no task because its endpoint was down."""
        down = self.by_status.get("unavailable", 0) == self.tasks > 0
        return down and not self.answered and not self.unlisted_not_run


@dataclass(kw_only=True)
class ResumeTotals:
    """One resume of the run: when, and the records it wrote that the report shows."""

    at: str
    """When the resume began (UTC, ISO 8601)."""
    written: int
    """Records shown in the report that this resume wrote (their latest version)."""
    ok: int
    """Of those, the ones graded ok: what the resume filled."""


@dataclass(kw_only=True)
class Report:
    """Everything the report shows.

    A dataclass, as `Cell`: made once by `build` from values already validated, it
    crosses no file; as a pydantic model its validator (the card's, leaderboard's and
    samples' models in it) cost 10 ms to build in every report, which renders none of
    them unless the run has one."""

    title: str
    """The document's title."""
    path: str
    """The run file."""
    run_id: str
    """The run's id."""
    started_at: str
    """When the run began."""
    evalkit_version: str
    """evalkit version that made the run."""
    suite: SuiteInfo | SuiteHead
    """The suite."""
    judge: JudgeInfo | JudgeHead
    """The judge."""
    suite_note: str | None
    """Why prompts are missing, or that the suite changed since the run."""
    environment: list[EnvironmentColumn]
    """Candidates first, then the judge's model."""
    candidates: list[CandidateTotals]
    """Per-candidate totals, in run order."""
    tasks: list[TaskSection]
    """Task by task, in suite order (run order without the suite)."""
    judge_latency_ms: float
    """Total time the judge took over all verdicts."""
    summary: list[str] = field(default_factory=list)
    """The summary's sentences."""
    findings: list[str] = field(default_factory=list)
    """Key findings computed from the data."""
    next_steps: list[str] = field(default_factory=list)
    """What to do next (bring an endpoint back, resume the run)."""
    resumes: list[ResumeTotals] = field(default_factory=list)
    """Each resume of the run, in order; empty when it was never resumed."""

    @property
    def not_run(self) -> int:
        """Planned (task, candidate) keys with no record: the run stopped before them."""
        return sum(line.not_run for line in self.candidates)

    self_judged: dict[str, str] = field(default_factory=dict)
    """Candidates that are the judge's model or of its family, and why (from the
    manifest): their scores may carry the judge's self-preference."""
    card: JudgeCard | None = None
    """The judge's card, when a card file of the run's judge sits beside the run file."""
    card_note: str | None = None
    """Why a card file beside the run could not be shown, when it could not."""
    samples: SampleStats | None = None
    """With several samples per task (`run --samples K`): per task the mean and spread of
    each candidate's samples, per candidate pass^k and pass@k; None otherwise."""
    leaderboard: Leaderboard | None = None
    """The candidates ranked (as `rank` ranks them) when the run, or the runs given
    together, have more than two; None otherwise."""
    leaderboard_runs: list[str] = field(default_factory=list)
    """The run files the leaderboard pools."""
    leaderboard_note: str | None = None
    """Why there is no leaderboard although there are more than two candidates."""
    judges_checks: dict[str, CheckCounts] = field(default_factory=dict)
    """Per judge in the run file (every judge's latest records, not only the ones shown),
    its checked records and how often a check contradicted it; empty without checks."""

    @property
    def checked(self) -> bool:
        """True when some record shown carries check results."""
        return any(line.checks.records for line in self.candidates)

    def graded_by_all(self) -> list[TaskSection]:
        """The tasks every candidate was graded on: the only fair ground for means."""
        return [t for t in self.tasks if None not in [c.score for c in t.cells]]

    def common_means(self) -> dict[str, float]:
        """Each candidate's mean over `graded_by_all`; empty when there is no such task
        or only one candidate."""
        common = self.graded_by_all()
        if not common or len(self.candidates) < 2:
            return {}
        return {
            line.candidate: fmean(t.cells[i].score or 0 for t in common)
            for i, line in enumerate(self.candidates)
        }


def write_blocks(blocks: Iterable[str], separator: str, out: TextIO) -> None:
    """`separator.join(blocks) + "\\n"`, written a few hundred blocks at a time: a
    renderer's text without holding it all at once (for 10,000 records, 19 MB of Markdown;
    building and encoding it whole cost a third of the report's page faults, measured),
    nor a write per block (10,000 of them cost a tenth of the Markdown's rendering)."""
    batch: list[str] = []
    lead = ""  # the separator before the next batch, once a batch was written
    for block in blocks:
        batch.append(block)
        if len(batch) == _BATCH:
            out.write(lead + separator.join(batch))
            lead = separator
            batch.clear()
    out.write((lead + separator.join(batch) if batch else "") + "\n")


_BATCH = 256
"""Blocks joined per write."""
