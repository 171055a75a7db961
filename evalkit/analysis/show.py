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
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from evalkit.analysis.incomplete import Incomplete, count
from evalkit.runfile.coverage import not_run, recorded_tasks, resume_command
from evalkit.runfile.index import RunIndex
from evalkit.runfile.lines import KeyLine

if TYPE_CHECKING:
    from evalkit.analysis.samples import SampleStats
    from evalkit.types import Record

DEFAULT_LIMIT = 100
"""Records drawn unless --limit says otherwise: a terminal table of thousands of rows is
slow to draw and unreadable; the filters narrow it."""


@dataclass
class Selection:
    """The records a `show` invocation draws (a dataclass: `show` runs without pydantic
    unless it shows records in full or a sampled run's statistics)."""

    records: list[Record] | list[KeyLine]
    """The selected records, in file order, at most `limit` of them: in full for
    `--full`, otherwise as the table reads them."""
    matched: int
    """Records matching the filters before the limit."""
    total: int
    """Records in the run file (latest per key)."""
    not_run: dict[str, int] = field(default_factory=dict)
    """Per candidate, the keys the run planned that have no record in the file (the run
    stopped before them), whatever the filters; empty when none is missing."""
    resume: str = ""
    """The command that finishes the run file."""
    incomplete: list[Incomplete] = field(default_factory=list)
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
    overrides the run's pass threshold for pass^k and pass@k. The records are read in
    full when the index kept their lines (`read_index(keep_lines=True)`)."""

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
    manifest = run.manifest
    return Selection(
        records=[run.record(line.key) for line in shown] if run.lines else shown,
        matched=len(chosen),
        total=len(run.records),
        not_run=not_run(
            manifest,
            recorded_tasks((r.task_id, r.candidate, r.sample) for r in run.records.values()),
        ),
        resume=resume_command(manifest, run.path),
        incomplete=count(chosen, manifest),
        sampled=manifest.samples > 1,
        samples=_sample_stats(chosen, run, threshold) if manifest.samples > 1 else None,
    )


def _sample_stats(chosen: list[KeyLine], run: RunIndex, threshold: int | None) -> SampleStats:
    """The chosen records' per-task means and spreads and per-candidate pass rates."""
    from evalkit.analysis.samples import sample_stats, scores_of, threshold_of

    manifest = run.manifest
    scores = scores_of(chosen, manifest.judge.name)
    return sample_stats(scores, manifest.samples, threshold_of(manifest, threshold))


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


def short_reason(record: Record | KeyLine) -> str:
    """The reason in a few words for a table cell: `HTTP 404`, `judge: InvalidVerdict`."""
    if record.error is None:
        return ""
    who = "judge: " if record.error.role == "judge" else ""
    code = record.error.status_code
    return f"{who}HTTP {code}" if code else f"{who}{record.error.kind}"
