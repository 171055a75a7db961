"""The report people read, built from one run file: what the seed document
(seeds/big-brain-benchmark-2026-04-14.txt) was by hand, computed.

`build_report` turns a run file (and the suite's prompts, when the suite folder is at
hand) into a `Report`; report_md.py and report_html.py render it. Everything a renderer
shows is computed here, so Markdown and HTML always say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from statistics import fmean
from typing import TextIO

from pydantic import Field

from evalkit.report_env import EnvironmentColumn, environment
from evalkit.report_suite import SuiteText, locate_suite, read_suite
from evalkit.report_text import SEVERITIES, findings, next_steps, summary
from evalkit.runfile import RunFile
from evalkit.types import (
    CriterionResult,
    Issue,
    JudgeInfo,
    Model,
    Record,
    SuiteInfo,
)


class Cell(Model):
    """One candidate's result on one task."""

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
    issues: list[Issue] = Field(default_factory=list)
    """The judge's issues, most severe first."""
    criteria: list[CriterionResult] = Field(default_factory=list)
    """The judge's finding on each rubric criterion."""
    capped_from: int | None = None
    """The judge's own score when a missed fatal criterion capped it."""
    reason: str | None = None
    """Why the record is not ok, in full."""
    short_reason: str | None = None
    """The reason in a few words, for table cells: HTTP 404, InvalidVerdict, ..."""

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
    def headline(self) -> str:
        """The cell in a few words: `2/5 BROKEN` or `UNAVAILABLE (HTTP 404)`."""
        if self.score is not None:
            return f"{self.score}/5 {self.label}"
        return f"{self.state} ({self.short_reason})" if self.short_reason else self.state


class TaskSection(Model):
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


class CandidateTotals(Model):
    """One candidate over the whole run."""

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

    @property
    def unavailable_everywhere(self) -> bool:
        """True when the candidate answered no task because its endpoint was down."""
        return self.by_status.get("unavailable", 0) == self.tasks > 0 and not self.answered


class Report(Model):
    """Everything the report shows."""

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
    suite: SuiteInfo
    """The suite."""
    judge: JudgeInfo
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
    summary: list[str] = Field(default_factory=list)
    """The summary's sentences."""
    findings: list[str] = Field(default_factory=list)
    """Key findings computed from the data."""
    next_steps: list[str] = Field(default_factory=list)
    """What to do next (bring an endpoint back, resume the run)."""

    def graded_by_all(self) -> list[TaskSection]:
        """The tasks every candidate was graded on: the only fair ground for means."""
        return [t for t in self.tasks if all(c.graded for c in t.cells)]

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
    """`separator.join(blocks) + "\\n"`, written a block at a time: a renderer's text
    without holding it all at once (for 10,000 records, 19 MB of Markdown; building and
    encoding it whole cost a third of the report's page faults, measured)."""
    for number, block in enumerate(blocks):
        if number:
            out.write(separator)
        out.write(block)
    out.write("\n")


def build_report(run: RunFile, suite_dir: Path | None = None) -> Report:
    """The report of a run file; prompts come from the suite folder when it is found."""
    manifest = run.manifest
    text = read_suite(manifest.suite, locate_suite(manifest.suite, Path(run.path), suite_dir))
    records = _one_per_pair(run)
    candidates = list(dict.fromkeys([*manifest.candidates, *(r.candidate for r in records)]))
    tasks = _tasks(records, text, candidates)
    report = Report(
        title=f"{manifest.suite.name}: {' vs '.join(candidates)}",
        path=run.path,
        run_id=manifest.run_id,
        started_at=manifest.started_at,
        evalkit_version=manifest.evalkit_version,
        suite=manifest.suite,
        judge=manifest.judge,
        suite_note=text.note,
        environment=environment(manifest.models, candidates, manifest.judge, manifest.health),
        candidates=[_totals(name, tasks) for name in candidates],
        tasks=tasks,
        judge_latency_ms=sum(
            r.judge_answer.latency_ms or 0 for r in records if r.judge_answer is not None
        ),
    )
    report.summary, report.findings = summary(report), findings(report)
    report.next_steps = next_steps(report)
    return report


def _one_per_pair(run: RunFile) -> list[Record]:
    """The run's records, one per (task, candidate): the manifest judge's when several."""
    judge = run.manifest.judge.name
    chosen: dict[tuple[str, str], Record] = {}
    for record in run.records.values():
        held = chosen.get((record.task_id, record.candidate))
        if held is None or held.judge != judge:
            chosen[(record.task_id, record.candidate)] = record
    return list(chosen.values())


def _tasks(found: list[Record], text: SuiteText, candidates: Sequence[str]) -> list[TaskSection]:
    records = {(r.task_id, r.candidate): r for r in found}
    ids = list(dict.fromkeys(task_id for task_id, _ in records))
    order = {task_id: i for i, task_id in enumerate(text.tasks)}
    ids.sort(key=lambda task_id: order.get(task_id, len(order)))
    sections = []
    for number, task_id in enumerate(ids, start=1):
        task = text.tasks.get(task_id)
        cells = [_cell(name, records.get((task_id, name))) for name in candidates]
        sections.append(
            TaskSection(
                number=number,
                task_id=task_id,
                category=task.category if task else None,
                prompt=task.prompt if task else None,
                system=task.system if task else None,
                reference=task.reference if task else None,
                cells=cells,
                winner=_winner(cells),
            )
        )
    return sections


_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
"""Issue severities, most severe first."""


def _cell(candidate: str, record: Record | None) -> Cell:
    if record is None:
        return Cell(candidate=candidate, status="missing", reason="no record in the run file")
    values: dict = {"candidate": candidate, "status": record.status}
    if record.answer is not None:
        values.update(answer=record.answer.text, latency_ms=record.answer.latency_ms)
    verdict = record.verdict
    if verdict is not None and record.status == "ok":
        values.update(
            score=verdict.score,
            label=verdict.label,
            reasoning=verdict.reasoning,
            issues=sorted(verdict.issues, key=lambda i: _RANK[i.severity]),
            criteria=verdict.criteria,
            capped_from=verdict.capped_from,
        )
    if record.error is not None:
        error = record.error
        who = "judge: " if error.role == "judge" else ""
        short = f"HTTP {error.status_code}" if error.status_code else error.kind
        values.update(reason=f"{who}{error.message}", short_reason=f"{who}{short}")
    return Cell(**values)


def _winner(cells: list[Cell]) -> str:
    graded = [c for c in cells if c.score is not None]
    if len(graded) < 2:
        return "N/A"
    best = max(c.score or 0 for c in graded)
    leaders = [c.candidate for c in graded if c.score == best]
    return leaders[0] if len(leaders) == 1 else "tie"


def _totals(candidate: str, tasks: list[TaskSection]) -> CandidateTotals:
    cells = [cell for task in tasks for cell in task.cells if cell.candidate == candidate]
    by_status: dict[str, int] = {}
    for cell in cells:
        by_status[cell.status] = by_status.get(cell.status, 0) + 1
    scores = [c.score for c in cells if c.score is not None]
    latencies = [c.latency_ms for c in cells if c.latency_ms is not None]
    reasons = [c.reason for c in cells if c.reason and c.status != "missing"]
    return CandidateTotals(
        candidate=candidate,
        tasks=len(cells),
        answered=sum(c.answer is not None for c in cells),
        graded=len(scores),
        by_status=by_status,
        mean_score=fmean(scores) if scores else None,
        total_latency_ms=sum(latencies) if latencies else None,
        reasons=sorted(dict.fromkeys(reasons), key=lambda r: -reasons.count(r)),
    )
