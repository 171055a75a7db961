"""The report people read, built from one run file: what the seed document
(seeds/big-brain-benchmark-2026-04-14.txt) was by hand, computed.

`build_report` turns a run file (and the suite's prompts, when the suite folder is at
hand) into a `Report` (report.document); report.markdown and report.html render it.
Everything a renderer shows is computed here, so Markdown and HTML always say the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from statistics import fmean
from typing import TYPE_CHECKING

from evalkit.analysis.checks import CheckCounts, count_by
from evalkit.analysis.incomplete import Incomplete, count, marker
from evalkit.errors import EvalkitError
from evalkit.report.check_text import findings as check_findings
from evalkit.report.document import CandidateTotals, Cell, Report, ResumeTotals, TaskSection
from evalkit.report.environment import environment
from evalkit.report.prose import SEVERITIES, findings, next_steps, summary
from evalkit.report.suite_text import SuiteText, locate_suite, read_suite
from evalkit.runfile.card import card_path
from evalkit.runfile.coverage import not_run, planned_ids, recorded_tasks, resume_command
from evalkit.runfile.report_lines import ReportRun

if TYPE_CHECKING:  # imported where used: only a run with a card file beside it has one
    from evalkit.analysis.card_models import JudgeCard
    from evalkit.runfile.reader import RunFile  # read in full: its manifest is pydantic's
    from evalkit.runfile.report_lines import ReportIssue, ReportLine
    from evalkit.types import Issue as FullIssue
    from evalkit.types import Record, Resume

    Issue = FullIssue | ReportIssue
    """An issue of either kind of record."""

    Run = RunFile | ReportRun
    """A run file as read in full (`read_run`) or as the report reads it (`read_report_run`,
    which imports no pydantic)."""
    Line = Record | ReportLine
    """A record of either."""


def build_report(
    run: Run,
    suite_dir: Path | None = None,
    *,
    others: Sequence[RunFile] = (),
    threshold: int | None = None,
) -> Report:
    """The report of a run file; prompts come from the suite folder when it is found.
    `others` are run files given with it: they count only in the leaderboard, which
    appears when the runs together have more than two candidates. `threshold` overrides
    the run's pass threshold (pass^k, pass@k)."""
    manifest = run.manifest
    text = read_suite(manifest.suite, locate_suite(manifest.suite, Path(run.path), suite_dir))
    records = _one_per_pair(run)
    candidates = list(dict.fromkeys([*manifest.candidates, *(r.candidate for r in records)]))
    tasks = _tasks(records, text, candidates, _planned(run, text))
    unlisted = _unlisted(run, records, tasks)
    incomplete = {line.candidate: line for line in count(records, manifest)}
    report = Report(
        title=f"{manifest.suite.name}: {' vs '.join(candidates)}",
        path=run.path,
        run_id=manifest.run_id,
        started_at=manifest.started_at,
        evalkit_version=manifest.evalkit_version,
        suite=manifest.suite,
        judge=manifest.judge,
        suite_note=text.note,
        environment=environment(
            manifest.models,
            candidates,
            manifest.judge,
            manifest.health,
            run.resumes,
            manifest.started_at,
        ),
        candidates=[
            _totals(name, column, tasks, unlisted.get(name, 0), incomplete.get(name))
            for column, name in enumerate(candidates)
        ],
        tasks=tasks,
        judge_latency_ms=float(
            sum(r.judge_answer.latency_ms or 0 for r in records if r.judge_answer is not None)
        ),
        resumes=_resumes(run.resumes, records),
    )
    if manifest.families is not None:
        report.self_judged = manifest.families.shared
    report.judges_checks = count_by(run.records.values(), "judge")
    report.card, report.card_note = judge_card(run)
    if manifest.samples > 1:  # only such a run imports the samples' statistics
        from evalkit.analysis.samples import sample_stats, scores_of, threshold_of

        scores = scores_of(run.records.values(), manifest.judge.name)
        report.samples = sample_stats(scores, manifest.samples, threshold_of(manifest, threshold))
    _leaderboard(report, run, others)
    report.summary, report.findings = summary(report), findings(report)
    report.findings += check_findings(report)
    report.next_steps = next_steps(report, resume_command(manifest, run.path))
    return report


def _leaderboard(report: Report, run: Run, others: Sequence[RunFile]) -> None:
    """The leaderboard of the runs when they have more than two candidates (a pairwise
    run's candidates are its manifest's), or why it could not be made. The ranking reads
    every run in full (pairwise outcomes too): `run` is read again only then."""
    runs: list[Run] = [run, *others]
    names = {c for run in runs for c in run.manifest.candidates}
    names |= {r.candidate for run in runs for r in run.records.values()}
    if len(names) <= 2:
        return
    report.leaderboard_runs = [each.path for each in runs]
    from evalkit.analysis.rank_runs import leaderboard  # only runs with 3+ candidates rank
    from evalkit.runfile.reader import read_run

    full = [read_run(run.path) if isinstance(run, ReportRun) else run, *others]
    try:
        report.leaderboard = leaderboard(full)
    except ValueError as exc:
        report.leaderboard_note = f"no leaderboard: {exc}"


def _resumes(resumes: Sequence[Resume], records: list[Line]) -> list[ResumeTotals]:
    """What each resume wrote of the records shown: those finished after it began and
    before the next one did (timestamps are UTC ISO 8601, so they sort as text)."""
    ends = [resume.at for resume in resumes[1:]] + ["~"]  # "~" sorts after any timestamp
    totals = []
    for resume, end in zip(resumes, ends, strict=False):
        written = [r for r in records if resume.at <= r.finished_at < end]
        ok = sum(r.status == "ok" for r in written)
        totals.append(ResumeTotals(at=resume.at, written=len(written), ok=ok))
    return totals


def judge_card(run: Run) -> tuple[JudgeCard | None, str | None]:
    """The card of the run's judge from the card file beside the run, if there is one
    (computed without labels: `card --labels` adds agreement); else why not."""
    path = card_path(run.path, run.manifest.judge.name)
    if run.manifest.card is not None or not path.is_file():
        return None, None
    from evalkit.analysis.card import build_card  # only a run with a card pays its import
    from evalkit.runfile.reader import read_run

    try:
        return build_card(read_run(path)), None
    except EvalkitError as exc:
        return None, f"the judge card file {path} could not be read: {exc}"


def _one_per_pair(run: Run) -> list[Line]:
    """The run's records, one per (task, candidate): the manifest judge's when several,
    its first sample when the run asked several (the samples section shows them all)."""
    judge = run.manifest.judge.name
    chosen: dict[tuple[str, str], Line] = {}
    for record in run.records.values():
        held = chosen.get((record.task_id, record.candidate))
        earlier = held is not None and record.judge == held.judge and record.sample < held.sample
        if held is None or held.judge != judge or earlier:
            chosen[(record.task_id, record.candidate)] = record
    return list(chosen.values())


def _planned(run: Run, text: SuiteText) -> list[str]:
    """The task ids the run planned, from the suite folder when it is the run's own suite
    (unchanged since the run); empty otherwise, when only their count is known."""
    if not text.tasks or text.note is not None or run.manifest.pairwise is not None:
        return []
    return planned_ids(run.manifest, list(text.tasks))


def _unlisted(run: Run, records: list[Line], tasks: list[TaskSection]) -> dict[str, int]:
    """Per candidate, the planned keys with no record that no task section lists (their
    task ids are unknown without the suite): counted from the manifest's task count."""
    keys = ((r.task_id, r.candidate, r.sample) for r in run.records.values())
    missing = not_run(run.manifest, recorded_tasks(keys))
    listed = {
        name: sum(c.status == "missing" for t in tasks for c in t.cells if c.candidate == name)
        for name in missing
    }
    return {name: n - listed[name] for name, n in missing.items() if n > listed[name]}


def _tasks(
    found: list[Line], text: SuiteText, candidates: Sequence[str], planned: Sequence[str]
) -> list[TaskSection]:
    """One section per task with a record or planned: a key without a record is NOT RUN."""
    records = {(r.task_id, r.candidate): r for r in found}
    ids = list(dict.fromkeys([*(task_id for task_id, _ in records), *planned]))
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


def _cell(candidate: str, record: Line | None) -> Cell:
    """One record as a cell, its fields set straight from the record (already validated):
    one of these per record, so it does no more per record than it must."""
    if record is None:
        return Cell(candidate=candidate, status="missing", reason="no record in the run file")
    status = record.status
    cell = Cell(candidate=candidate, status=status)
    answer = record.answer
    if answer is not None:
        cell.answer = answer.text
        cell.latency_ms = answer.latency_ms
        if answer.truncated or answer.empty:
            cell.incomplete = marker(answer)
    verdict = record.verdict
    if verdict is not None and status == "ok":
        cell.score = verdict.score
        cell.label = verdict.label
        cell.reasoning = verdict.reasoning
        cell.issues = _by_severity(verdict.issues)
        cell.criteria = verdict.criteria
        cell.capped_from = verdict.capped_from
    if record.checks:
        cell.checks = record.checks
        cell.disagreements = record.disagreements
    error = record.error
    if error is not None:
        who = "judge: " if error.role == "judge" else ""
        short = f"HTTP {error.status_code}" if error.status_code else error.kind
        cell.reason = f"{who}{error.message}"
        cell.short_reason = f"{who}{short}"
    return cell


def _by_severity(issues: Sequence[Issue]) -> list[Issue]:
    """The issues, most severe first (stable: issues of one severity keep their order)."""
    if len(issues) < 2:
        return list(issues)
    if len(issues) == 2:
        first, second = issues
        in_order = _RANK[first.severity] <= _RANK[second.severity]
        return [first, second] if in_order else [second, first]
    return sorted(issues, key=lambda i: _RANK[i.severity])


def _winner(cells: list[Cell]) -> str:
    best, graded = 0, 0
    leaders: list[str] = []
    for cell in cells:
        score = cell.score
        if score is None:
            continue
        graded += 1
        if score > best:
            best, leaders = score, [cell.candidate]
        elif score == best:
            leaders.append(cell.candidate)
    if graded < 2:
        return "N/A"
    return leaders[0] if len(leaders) == 1 else "tie"


def _totals(
    candidate: str,
    column: int,
    tasks: list[TaskSection],
    unlisted: int,
    incomplete: Incomplete | None,
) -> CandidateTotals:
    """The candidate's totals over its cells: column `column` of every task."""
    cells = [task.cells[column] for task in tasks]
    by_status: dict[str, int] = {}
    for cell in cells:
        by_status[cell.status] = by_status.get(cell.status, 0) + 1
    scores = [c.score for c in cells if c.score is not None]
    latencies = [c.latency_ms for c in cells if c.latency_ms is not None]
    times = Counter(c.reason for c in cells if c.reason and c.status != "missing")
    checks = CheckCounts()
    for cell in cells:
        if cell.checks:  # `add` counts nothing for a cell without any
            checks.add(cell.checks, len(cell.disagreements))
    return CandidateTotals(
        candidate=candidate,
        tasks=len(cells),
        answered=sum(c.answer is not None for c in cells),
        graded=len(scores),
        by_status=by_status,
        mean_score=fmean(scores) if scores else None,
        total_latency_ms=sum(latencies) if latencies else None,
        reasons=sorted(times, key=lambda r: -times[r]),  # stable: first seen first
        unlisted_not_run=unlisted,
        incomplete=incomplete,
        checks=checks,
    )
