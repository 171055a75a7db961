"""`show`: the records of a run file, filtered, for a person at a terminal.

Filters are shell-style globs (`--task 'gitea*'`), each repeatable; a record is shown when
it matches any value of every filter given. display.show draws the selection, with each
answer cut at max_tokens or empty marked, and counted per candidate. Filters and counts read
each record's key, status and answer's ending (`runfile.index`); only the records shown are
read in full. A run of several samples per task (`run --samples K`) also shows, for the
matching records, each task's mean and spread over its samples and each candidate's pass^k
and pass@k.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from pydantic import Field

from evalkit.analysis.incomplete import Incomplete, count
from evalkit.analysis.samples import SampleStats, sample_stats, scores_of, threshold_of
from evalkit.runfile.coverage import not_run, recorded_tasks, resume_command
from evalkit.runfile.index import RunIndex
from evalkit.types import Record, Schema

DEFAULT_LIMIT = 100
"""Records drawn unless --limit says otherwise: a terminal table of thousands of rows is
slow to draw (rich takes about 0.5 ms a row) and unreadable; the filters narrow it."""


class Selection(Schema):
    """The records a `show` invocation draws."""

    records: list[Record]
    """The selected records, in file order, at most `limit` of them."""
    matched: int
    """Records matching the filters before the limit."""
    total: int
    """Records in the run file (latest per key)."""
    not_run: dict[str, int] = Field(default_factory=dict)
    """Per candidate, the keys the run planned that have no record in the file (the run
    stopped before them), whatever the filters; empty when none is missing."""
    resume: str = ""
    """The command that finishes the run file."""
    incomplete: list[Incomplete] = Field(default_factory=list)
    """Per candidate, the matching records' answers cut at max_tokens or empty."""
    sampled: bool = False
    """True when the run asked each task several times (records carry a sample index)."""
    samples: SampleStats | None = None
    """With several samples per task: the matching records' per-task means and spreads
    and per-candidate pass^k and pass@k (the manifest judge's records); None otherwise."""


def select(
    run: RunIndex,
    tasks: Sequence[str] = (),
    candidates: Sequence[str] = (),
    statuses: Sequence[str] = (),
    limit: int = DEFAULT_LIMIT,
    threshold: int | None = None,
) -> Selection:
    """The records matching every given filter; `limit` 0 means no limit. `threshold`
    overrides the run's pass threshold for pass^k and pass@k."""

    def matches(value: str, patterns: Sequence[str]) -> bool:
        return not patterns or any(fnmatchcase(value, p) for p in patterns)

    chosen = [
        r
        for r in run.records.values()
        if matches(r.task_id, tasks)
        and matches(r.candidate, candidates)
        and (not statuses or r.status in statuses)
    ]
    shown = chosen[:limit] if limit > 0 else chosen
    return Selection(
        records=[run.record(line.key) for line in shown],
        matched=len(chosen),
        total=len(run.records),
        not_run=not_run(
            run.manifest,
            recorded_tasks((r.task_id, r.candidate, r.sample) for r in run.records.values()),
        ),
        resume=resume_command(run.manifest, run.path),
        incomplete=count(chosen, run.manifest),
        sampled=run.manifest.samples > 1,
        samples=sample_stats(
            scores_of(chosen, run.manifest.judge.name),
            run.manifest.samples,
            threshold_of(run.manifest, threshold),
        )
        if run.manifest.samples > 1
        else None,
    )


def shorten(text: str, width: int = 60) -> str:
    """One line of at most `width` characters: whitespace folded, an ellipsis if cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def reason(record: Record) -> str:
    """Why a record is not ok, with whose call failed; empty when it is ok."""
    if record.error is None:
        return ""
    who = "judge: " if record.error.role == "judge" else ""
    return f"{who}{record.error.kind}: {record.error.message}"


def short_reason(record: Record) -> str:
    """The reason in a few words for a table cell: `HTTP 404`, `judge: InvalidVerdict`."""
    if record.error is None:
        return ""
    who = "judge: " if record.error.role == "judge" else ""
    code = record.error.status_code
    return f"{who}HTTP {code}" if code else f"{who}{record.error.kind}"
