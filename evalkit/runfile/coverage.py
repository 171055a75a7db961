"""Which keys a run file lacks: the (task, candidate, sample) keys its manifest planned that
have no record at all, because the run was killed or stopped before them.

A run plans every task of its suite (the first `limit` with `--limit`; of those, the ones
in its shard with `--shard I/N`) for every candidate of its manifest, `samples` times (`run
--samples K`). A key with no record in the file was never run; readers show it as NOT RUN
and count it, so a run that stopped midway never reads as complete. The manifest holds the
task count, not the task ids: the ids come from the suite folder when a reader has it
(`planned_ids`), otherwise only the counts are known.

Pairwise runs (records of type "pair") are not covered here: their keys are pairs, and
`not_run` gives nothing for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from evalkit.runfile.shards import shard_ids

if TYPE_CHECKING:
    from evalkit.runfile.heads import ManifestHead
    from evalkit.types import RunManifest


def planned_tasks(manifest: RunManifest | ManifestHead) -> int:
    """How many tasks the run covers per candidate: the suite's, `--limit`'s, or its
    shard's."""
    if manifest.shard is not None:
        return manifest.shard.tasks
    tasks = manifest.suite.tasks
    return min(tasks, manifest.limit) if manifest.limit else tasks


def planned_ids(manifest: RunManifest | ManifestHead, suite_ids: Sequence[str]) -> list[str]:
    """The planned task ids, given the ids of the suite the run was made from (in the
    suite's order, as `--limit` takes them, then its shard's); the caller checks it is
    that suite."""
    limited = list(suite_ids[: manifest.limit] if manifest.limit else suite_ids)
    shard = manifest.shard
    return limited if shard is None else shard_ids(limited, shard.index, shard.count)


def recorded_tasks(keys: Iterable[tuple[str, str] | tuple[str, str, int]]) -> dict[str, int]:
    """Per candidate, how many distinct (task, sample) keys have a record, given the
    (task_id, candidate) or (task_id, candidate, sample) keys of the records (a key recorded
    by several judges counts once; without a sample, it is sample 0)."""
    tasks: dict[str, set[tuple[str, int]]] = {}
    for key in keys:
        tasks.setdefault(key[1], set()).add((key[0], key[2] if len(key) > 2 else 0))
    return {candidate: len(ids) for candidate, ids in tasks.items()}


def not_run(manifest: RunManifest | ManifestHead, recorded: Mapping[str, int]) -> dict[str, int]:
    """Per candidate of the manifest, how many planned keys have no record, given how many
    distinct (task, sample) keys have one (`recorded_tasks`). Candidates with nothing
    missing are left out; empty for a pairwise run."""
    if manifest.pairwise is not None:
        return {}
    planned = planned_tasks(manifest) * manifest.samples
    counts = {name: planned - recorded.get(name, 0) for name in manifest.candidates}
    return {name: n for name, n in counts.items() if n > 0}


def resume_command(manifest: RunManifest | ManifestHead, path: str | Path) -> str:
    """The command that finishes the run file: `judge --resume` for a re-grade."""
    command = "judge" if manifest.parent is not None else "run"
    return f"python -m evalkit {command} --resume {path}"
