"""The end-of-run summary, read from the run file as a stream: per-candidate counts by
status, mean score and latency, and the first records in full for the table.

Only `ok` records have scores; the others are counted by status, never averaged in. The
file is read a line at a time and only a few numbers are kept per key, so the summary of
a 100,000-record run holds about 20 MB where reading every record whole took 600 MB.
"""

from __future__ import annotations

from pathlib import Path
from statistics import mean
from typing import NamedTuple

from pydantic import Field

from evalkit.runfile import RunLines
from evalkit.types import Model, Record, RunManifest


class CandidateSummary(Model):
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


class RunSummary(Model):
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


class _Brief(NamedTuple):
    """What the summary keeps of a key's latest record."""

    candidate: str
    status: str
    score: int | None
    latency_ms: float | None
    reason: str | None
    voted: bool


def summarize_file(path: str | Path, first: int = 50) -> RunSummary:
    """Stream the run file once; keep `first` records whole and a _Brief of each key."""
    lines = RunLines(Path(path), Record)
    latest: dict[tuple[str, str, str], _Brief] = {}
    kept: dict[tuple[str, str, str], Record] = {}
    for _, record in lines:
        if not isinstance(record, Record):
            continue  # a pairwise line: not part of this summary
        key = record.key
        if key in kept or len(kept) < first:
            kept[key] = record
        ok = record.status == "ok" and record.verdict is not None
        latency = record.answer.latency_ms if record.answer else None
        latest[key] = _Brief(
            record.candidate,
            record.status,
            record.verdict.score if ok and record.verdict else None,
            latency or None,
            record.error.message if record.error else None,
            bool(record.members),
        )
    grouped: dict[str, list[_Brief]] = {c: [] for c in lines.manifest.candidates}
    for brief in latest.values():
        grouped.setdefault(brief.candidate, []).append(brief)
    return RunSummary(
        path=str(path),
        manifest=lines.manifest,
        records=len(latest),
        all_ok=all(b.status == "ok" for b in latest.values()),
        voted=any(b.voted for b in latest.values()),
        first=list(kept.values()),
        candidates=[_one(candidate, briefs) for candidate, briefs in grouped.items()],
    )


def _one(candidate: str, briefs: list[_Brief]) -> CandidateSummary:
    statuses: dict[str, int] = {}
    for brief in briefs:
        statuses[brief.status] = statuses.get(brief.status, 0) + 1
    scores = [b.score for b in briefs if b.score is not None]
    latencies = [b.latency_ms for b in briefs if b.latency_ms]
    reasons = list(dict.fromkeys(b.reason for b in briefs if b.reason))
    return CandidateSummary(
        candidate=candidate,
        records=len(briefs),
        by_status=statuses,
        mean_score=round(mean(scores), 2) if scores else None,
        mean_latency_ms=round(mean(latencies), 1) if latencies else None,
        total_latency_ms=round(sum(latencies), 1),
        reasons=reasons[:5],
    )
