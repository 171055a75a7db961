"""The end-of-run summary, read from the run file as a stream: per-candidate counts by
status, mean score and latency, and the first records in full for the table.

Only `ok` records have scores; the others are counted by status, never averaged in.
Answers cut at max_tokens or empty are counted per candidate (analysis.incomplete). The
file is read a line at a time and only a few numbers are kept per key, so the summary of
a 100,000-record run holds about 20 MB where reading every record whole took 600 MB.
"""

from __future__ import annotations

from array import array
from pathlib import Path
from statistics import mean
from typing import get_args

from pydantic import Field

from evalkit.analysis.incomplete import Incomplete, max_tokens_of
from evalkit.runfile.coverage import not_run, resume_command
from evalkit.runfile.reader import RunLines
from evalkit.types import Record, RunManifest, Schema, Status


class CandidateSummary(Schema):
    """One candidate's line in the summary."""

    candidate: str
    """The candidate's name."""
    records: int
    """Records in the run file for it."""
    by_status: dict[str, int] = Field(default_factory=dict)
    """Counts of ok, unavailable, error, judge_error."""
    mean_score: float | None = None
    """Mean score over ok records; null when none is ok."""
    mean_latency_ms: float | None = None
    """Mean answer latency over records with an answer."""
    total_latency_ms: float = 0.0
    """Sum of answer latencies."""
    reasons: list[str] = Field(default_factory=list)
    """Distinct reasons of records that are not ok (the first five)."""
    not_run: int = 0
    """Tasks the run planned for the candidate that have no record (it stopped before
    them); never counted in `records`."""
    incomplete: Incomplete | None = None
    """Its answers cut at max_tokens or empty; None when every answer is whole."""


class RunSummary(Schema):
    """What the end of a run shows."""

    path: str
    """The run file."""
    manifest: RunManifest
    """Its line 1."""
    records: int
    """Keys in the file: the latest record of each counts once."""
    all_ok: bool
    """True when every latest record is ok."""
    voted: bool
    """True when some latest record holds a panel's or sampled judge's votes."""
    first: list[Record]
    """The latest records of the first keys in the file, in full, for the table."""
    candidates: list[CandidateSummary]
    """Per candidate, in the manifest's order, then any other candidate seen."""
    resume: str = ""
    """The command that finishes the run file (its records not ok, its keys not run)."""
    cached_answers: int = 0
    """Keys whose answer came from the cache across runs (the candidate was not asked)."""
    cached_verdicts: int = 0
    """Keys whose verdict came from the cache across runs (the judge was not asked)."""

    @property
    def not_run(self) -> int:
        """Planned keys with no record in the file."""
        return sum(line.not_run for line in self.candidates)


STATUSES: tuple[Status, ...] = get_args(Status)
"""The statuses in their order as codes: 0 is ok."""
CUT, EMPTY = 1, 2
"""Bits of `_Tally.incomplete`: the answer was cut at max_tokens; it is empty."""
FROM_CACHE = {"cached_answer_from": 1, "cached_verdict_from": 2}
"""Bits of `_Tally.cached`: the answer, the verdict came from the cache across runs."""


class _Tally:
    """One (candidate, judge)'s latest record of each task, as columns: about 150 bytes a
    task (a tuple of fields per task took 340, which broke the flat-memory target at
    100,000 tasks, measured)."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        """Task id -> its row in the columns."""
        self.status = array("B")
        """Index into STATUSES."""
        self.score = array("B")
        """The score when ok, else 0."""
        self.latency = array("d")
        """The answer's latency, or 0.0 when there is none."""
        self.incomplete = array("B")
        """CUT and EMPTY bits of the answer, 0 for a whole answer or none."""
        self.cached = array("B")
        """FROM_CACHE bits: what of the record came from the cache across runs."""
        self.reasons: dict[int, str] = {}
        """Row -> why that record is not ok (only rows that have a reason)."""
        self.voted: set[int] = set()
        """Rows whose verdict holds a panel's or sampled judge's votes."""

    def put(self, record: Record) -> None:
        """Record a line; a later line of the same task replaces its row."""
        ok = record.status == "ok" and record.verdict is not None
        row = self.rows.setdefault(record.task_id, len(self.rows))
        answer = record.answer
        values = (
            STATUSES.index(record.status),
            record.verdict.score if ok and record.verdict else 0,
            (answer.latency_ms or 0.0) if answer else 0.0,
            (CUT * answer.truncated | EMPTY * answer.empty) if answer else 0,
            sum(bit for name, bit in FROM_CACHE.items() if getattr(record, name)),
        )
        columns = (self.status, self.score, self.latency, self.incomplete, self.cached)
        if row == len(self.status):
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        else:
            for column, value in zip(columns, values, strict=True):
                column[row] = value
        self.reasons.pop(row, None)
        if record.error is not None:
            self.reasons[row] = record.error.message
        if record.members:
            self.voted.add(row)
        else:
            self.voted.discard(row)


def summarize_file(path: str | Path, first: int = 50) -> RunSummary:
    """Stream the run file once; keep `first` records whole and a _Tally row a key."""
    lines = RunLines(Path(path), Record)
    tallies: dict[tuple[str, str], _Tally] = {}
    kept: dict[tuple[str, str, str], Record] = {}
    for record in lines:
        key = record.key
        if key in kept or len(kept) < first:
            kept[key] = record
        tallies.setdefault((record.candidate, record.judge), _Tally()).put(record)
    grouped: dict[str, list[_Tally]] = {c: [] for c in lines.manifest.candidates}
    for (candidate, _), tally in tallies.items():
        grouped.setdefault(candidate, []).append(tally)
    every = list(tallies.values())
    missing = not_run(lines.manifest, {c: _tasks(parts) for c, parts in grouped.items()})
    return RunSummary(
        path=str(path),
        manifest=lines.manifest,
        records=sum(len(t.rows) for t in every),
        all_ok=all(code == 0 for t in every for code in t.status),
        voted=any(t.voted for t in every),
        first=list(kept.values()),
        candidates=[
            _one(
                candidate,
                parts,
                missing.get(candidate, 0),
                max_tokens_of(lines.manifest, candidate),
            )
            for candidate, parts in grouped.items()
        ],
        resume=resume_command(lines.manifest, path),
        cached_answers=sum(bool(bits & 1) for t in every for bits in t.cached),
        cached_verdicts=sum(bool(bits & 2) for t in every for bits in t.cached),
    )


def _tasks(tallies: list[_Tally]) -> int:
    """Distinct tasks with a record among one candidate's tallies (one per judge)."""
    if len(tallies) == 1:  # the usual case: no set of every task id to build
        return len(tallies[0].rows)
    return len(set().union(*(t.rows for t in tallies)))


def _one(
    candidate: str, tallies: list[_Tally], missing: int, max_tokens: int | None
) -> CandidateSummary:
    statuses: dict[str, int] = {}
    for tally in tallies:
        for code in tally.status:
            statuses[STATUSES[code]] = statuses.get(STATUSES[code], 0) + 1
    scores = [score for t in tallies for score in t.score if score]
    latencies = [latency for t in tallies for latency in t.latency if latency]
    reasons = list(dict.fromkeys(r for t in tallies for r in t.reasons.values()))
    cut = sum(bool(bits & CUT) for t in tallies for bits in t.incomplete)
    empty = sum(bool(bits & EMPTY) for t in tallies for bits in t.incomplete)
    incomplete = Incomplete(candidate=candidate, cut=cut, empty=empty, max_tokens=max_tokens)
    return CandidateSummary(
        candidate=candidate,
        records=sum(len(t.rows) for t in tallies),
        by_status=statuses,
        mean_score=round(mean(scores), 2) if scores else None,
        mean_latency_ms=round(mean(latencies), 1) if latencies else None,
        total_latency_ms=round(sum(latencies), 1),
        reasons=reasons[:5],
        not_run=missing,
        incomplete=incomplete if cut or empty else None,
    )
