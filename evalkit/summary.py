"""Per-candidate figures over a run file: counts by status, mean score, latency.

Only `ok` records have scores; the others are counted by status, never averaged in.
"""

from __future__ import annotations

from statistics import mean

from pydantic import BaseModel, Field

from evalkit.runfile import RunFile
from evalkit.types import Record


class CandidateSummary(BaseModel):
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
    """Distinct reasons of records that are not ok."""


def summarize(run: RunFile) -> list[CandidateSummary]:
    """A summary per candidate, in the manifest's candidate order."""
    grouped: dict[str, list[Record]] = {c: [] for c in run.manifest.candidates}
    for record in run.records.values():
        grouped.setdefault(record.candidate, []).append(record)
    return [_one(candidate, records) for candidate, records in grouped.items()]


def _one(candidate: str, records: list[Record]) -> CandidateSummary:
    statuses: dict[str, int] = {}
    for record in records:
        statuses[record.status] = statuses.get(record.status, 0) + 1
    scores = [r.verdict.score for r in records if r.status == "ok" and r.verdict]
    latencies = [r.answer.latency_ms for r in records if r.answer and r.answer.latency_ms]
    reasons = list(dict.fromkeys(r.error.message for r in records if r.error))
    return CandidateSummary(
        candidate=candidate,
        records=len(records),
        by_status=statuses,
        mean_score=round(mean(scores), 2) if scores else None,
        mean_latency_ms=round(mean(latencies), 1) if latencies else None,
        total_latency_ms=round(sum(latencies), 1),
        reasons=reasons[:5],
    )


def all_ok(run: RunFile, expected: int) -> bool:
    """True when the run file has `expected` records and every one is ok."""
    return len(run.records) >= expected and all(r.status == "ok" for r in run.records.values())
