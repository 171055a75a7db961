"""`evalkit merge`: run files that are parts of one run (the shards of `run --shard I/N`, or
any files of the same suite, profile and judge) joined into one run file.

What a merge guarantees:

- Every key (result or pair line) of any input is in the output exactly once: the latest
  `ok` record of it. An `ok` record wins over any record that is not; between two `ok`
  (or two not `ok`) the one finished later (`finished_at`) wins, and on a tie the file
  named later. Within one input, its latest line for a key is what it holds, as for any
  reader.
- Inputs whose manifests differ in what makes their records comparable (the suite's
  fingerprint, profile, --limit, a model's settings or identity, the judge's definition, a
  pairwise comparison) are refused with every difference named, unless `force`. Files of
  another suite are refused even then.
- The output is a normal run file, which `compare`, `report`, `calibrate`, `show` and
  `run --resume` read: its manifest is the first input's, with the shard cleared (it is a
  whole run now), the candidates and models of every input, and `merged_from` naming
  each input and how many of the output's keys came from it.
- An input that a run is still writing (its lock is held: a shard not finished) is
  refused with the writer's pid, forced or not: its missing keys would look merely not run.
- Every input's resume lines (what the probes found at each resume) are kept, in time
  order, so the merged file's report still tells when an endpoint was down and came back.
- The output is written beside its target and renamed into place once fsynced: a merge
  that fails leaves no partial file. An existing file is never overwritten, and the
  inputs are only read.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from evalkit.errors import ConfigError, MergeMismatchError, RunFileBusyError
from evalkit.runfile.lock import writer_of
from evalkit.runfile.manifests import merge_differences
from evalkit.runfile.reader import RunFile, read_run
from evalkit.types import MergeSource, PairRecord, Record, Resume, RunManifest, Schema

R = TypeVar("R", Record, PairRecord)
K = TypeVar("K", tuple[str, str, str], tuple[str, str, str, str])
_NEVER = datetime.min.replace(tzinfo=UTC)


class MergeResult(Schema):
    """What `merge_runs` wrote."""

    path: str
    """The merged run file."""
    manifest: RunManifest
    """Its manifest."""
    records: int
    """Result keys written, one line each."""
    pairs: int
    """Pairwise keys written, one line each."""
    superseded: int
    """Records of the inputs that lost to another input's record of the same key."""
    partial: list[str]
    """Inputs that ended in a partial line (a crash mid-write), which was skipped."""


def merge_runs(paths: Sequence[str | Path], out: str | Path, *, force: bool = False) -> MergeResult:
    """Join the run files at `paths` into a new run file `out` (see the module docstring)."""
    target = Path(out)
    if not paths:
        raise ConfigError("merge: name the run files to join")
    if target.exists():
        raise ConfigError(f"{target}: already exists; choose another -o")
    _refuse_busy(paths)
    runs = [read_run(path) for path in paths]
    check_mergeable(runs, force)
    records, record_origin, lost = _latest(runs, lambda run: run.records)
    pairs, pair_origin, lost_pairs = _latest(runs, lambda run: run.pairs)
    taken = Counter(record_origin.values()) + Counter(pair_origin.values())
    manifest = merged_manifest(runs, [taken[i] for i in range(len(runs))])
    resumes = sorted((r for run in runs for r in run.resumes), key=lambda r: r.at)
    _write(target, manifest, [*resumes, *records.values(), *pairs.values()])
    return MergeResult(
        path=str(target),
        manifest=manifest,
        records=len(records),
        pairs=len(pairs),
        superseded=lost + lost_pairs,
        partial=[run.path for run in runs if run.partial_tail],
    )


def _refuse_busy(paths: Sequence[str | Path]) -> None:
    """Refuse an input a run is still writing, naming the run's pid."""
    for path in paths:
        writing = writer_of(Path(path))
        if writing is not None:
            raise RunFileBusyError(
                f"{path}: a run is still writing this file ({writing}); merge it once that"
                " run has finished"
            )


def check_mergeable(runs: Sequence[RunFile], force: bool) -> None:
    """Refuse files of another suite; refuse (unless `force`) files whose manifests differ
    from the first's, naming every difference."""
    first = runs[0]
    found = []
    for run in runs[1:]:
        suite, expected = run.manifest.suite.name, first.manifest.suite.name
        if suite != expected:
            raise MergeMismatchError(
                f"{run.path}: made from suite {suite!r}, not {expected!r} like {first.path};"
                " cannot merge"
            )
        differences = merge_differences(first.manifest, run.manifest)
        if differences:
            found.append(f"{run.path} differs from {first.path}: {'; '.join(differences)}")
    if found and not force:
        raise MergeMismatchError(
            "cannot merge: " + " | ".join(found) + " (use --force to merge anyway)"
        )


def merged_manifest(runs: Sequence[RunFile], taken: Sequence[int]) -> RunManifest:
    """The first input's manifest as a whole run of every input: shard cleared, every
    candidate and model, the widest --limit, and the inputs in `merged_from`."""
    first = runs[0].manifest
    models = dict(first.models)
    for run in runs[1:]:
        for name, info in run.manifest.models.items():
            models.setdefault(name, info)
    limits = [run.manifest.limit for run in runs]
    sources = [
        MergeSource(
            path=run.path,
            run_id=run.manifest.run_id,
            shard=run.manifest.shard,
            records=count,
            started_at=run.manifest.started_at,
        )
        for run, count in zip(runs, taken, strict=True)
    ]
    return first.model_copy(
        update={
            "candidates": list(dict.fromkeys(c for run in runs for c in run.manifest.candidates)),
            "models": models,
            "limit": None if None in limits else max(x for x in limits if x is not None),
            "shard": None,
            "merged_from": sources,
        }
    )


def _latest(
    runs: Sequence[RunFile], held: Callable[[RunFile], Mapping[K, R]]
) -> tuple[dict[K, R], dict[K, int], int]:
    """Each key's winning record over the inputs (in first-seen key order), the input it
    came from, and how many records lost to another of their key."""
    chosen: dict[K, R] = {}
    origin: dict[K, int] = {}
    lost = 0
    for number, run in enumerate(runs):
        for key, record in held(run).items():
            before = chosen.get(key)
            if before is not None:
                lost += 1
            if before is None or wins(record, before):
                chosen[key], origin[key] = record, number
    return chosen, origin, lost


def wins(new: R, held: R) -> bool:
    """Whether `new` replaces `held` for their key: ok over not ok; else the later one,
    `new` (from a file named later) on a tie."""
    if (new.status == "ok") != (held.status == "ok"):
        return new.status == "ok"
    return _when(new.finished_at) >= _when(held.finished_at)


def _when(stamp: str) -> datetime:
    """A record's timestamp as an aware datetime (UTC when it names no zone)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return _NEVER
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _write(
    target: Path, manifest: RunManifest, items: Iterable[Resume | Record | PairRecord]
) -> None:
    """Write the run file beside `target`, fsync it, then rename it into place."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as handle:
            handle.write(manifest.model_dump_json().encode("utf-8") + b"\n")
            for item in items:
                handle.write(item.model_dump_json().encode("utf-8") + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():  # made while we wrote: never overwritten
            raise ConfigError(f"{target}: already exists; choose another -o")
        partial.replace(target)
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
