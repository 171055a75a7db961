"""Suites are Hugging Face datasets: a folder in suites/, a path, or a hub id, all loaded by
`datasets.load_dataset`, every row validated into a Task before any request is made.

A local folder is also linted line by line first, because the JSON loader reports a bad
row as an Arrow cast error with no row in it; that lint names the file, the line and the
field, which is what a person fixing a suite needs.

Suites are read with `streaming=True`, and a suite past `HELD_TASKS` tasks (or any hub id)
is read once by a helper process into a spool file of validated tasks (see
evalkit.suite_spool), which a `TaskStream` reads again for each pass: a run holds a few
tasks at a time whatever the suite's size, and a hub id is streamed from the Hub once, not
downloaded whole and not held.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from pydantic import ValidationError

from evalkit.errors import SuiteError, describe_validation
from evalkit.types import SuiteInfo, Task

HELD_TASKS = 1_000
"""A suite of up to this many tasks is held in memory; a larger one streams."""


class TaskStream(Sequence[Task]):
    """A large suite's tasks, read from its spool file on each pass, so a run holds a few
    of them at a time whatever the suite's size. Length, iteration and slices from the
    start (`[:n]`, as --limit takes) are cheap; other indexing reads up to the index."""

    def __init__(self, spool: Path, count: int | None = None, digest: str | None = None):
        self.spool = spool
        """One validated task per line, in the dataset's order (written by suite_spool)."""
        if count is None or digest is None:
            count, digest = _scan(spool)
        self._count = count
        self.fingerprint = digest
        """The whole suite's fingerprint (also of a slice: it names the suite)."""

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Task]:
        with self.spool.open("rb") as lines:
            for line in itertools.islice(lines, self._count):
                yield Task.model_validate_json(line)

    @overload
    def __getitem__(self, key: int) -> Task: ...
    @overload
    def __getitem__(self, key: slice) -> Sequence[Task]: ...
    def __getitem__(self, key: int | slice) -> Task | Sequence[Task]:
        if isinstance(key, slice):
            start, stop, step = key.indices(self._count)
            if start == 0 and step == 1:
                return TaskStream(self.spool, stop, self.fingerprint)
            return list(self)[key]
        index = range(self._count)[key]  # IndexError as a list would raise it
        return next(itertools.islice(iter(self), index, None))


def _scan(spool: Path) -> tuple[int, str]:
    """Count and fingerprint a spool in one pass: its lines are the tasks' canonical JSON,
    so hashing them is `fingerprint` without parsing a task."""
    digest = hashlib.sha256()
    count = 0
    with spool.open("rb") as lines:
        for line in lines:
            digest.update(line)
            count += 1
    return count, digest.hexdigest()


@dataclass
class Suite:
    """A loaded, validated suite."""

    info: SuiteInfo
    """Name, how it was named, fingerprint and size."""
    tasks: Sequence[Task]
    """The tasks, in the dataset's order: a list, or a TaskStream past HELD_TASKS."""


def locate(ref: str, base_dir: Path) -> str:
    """What to hand `load_dataset`: an existing path, suites/<ref> beside the config, or
    the ref itself as a hub id."""
    for candidate in (Path(ref), base_dir / "suites" / ref):
        if candidate.is_dir():
            return str(candidate)
    if Path(ref).exists():
        raise SuiteError(f"{ref}: a suite is a dataset folder, not a file")
    if "/" not in ref:
        known = sorted(p.name for p in (base_dir / "suites").glob("*") if p.is_dir())
        raise SuiteError(
            f"unknown suite {ref!r}: not a folder, not in {base_dir / 'suites'}"
            f" (known: {', '.join(known) or 'none'}), and not a hub id (owner/name)"
        )
    return ref


def load_suite(ref: str, base_dir: Path, split: str | None = None) -> Suite:
    """Load and validate a suite; a bad row stops here with file, row and field named.

    A local suite of up to HELD_TASKS rows is read here and held; a larger one, or a hub
    id, is read by a helper process into a spool and streamed (see the module docstring).
    """
    source = locate(ref, base_dir)
    rows = lint_folder(Path(source)) if Path(source).is_dir() else None
    tasks: Sequence[Task]
    if rows is not None and rows <= HELD_TASKS:
        tasks = list(validate_rows(_dataset_rows(source, split), source))
        digest = fingerprint(tasks)
    else:
        from evalkit.suite_spool import spool_suite

        stream = TaskStream(spool_suite(source, split))
        tasks = stream if len(stream) > HELD_TASKS else list(stream)
        digest = stream.fingerprint
    if not tasks:
        raise SuiteError(f"{source}: the suite has no tasks")
    info = SuiteInfo(
        name=Path(source).name if Path(source).is_dir() else ref,
        ref=ref,
        fingerprint=digest,
        tasks=len(tasks),
    )
    return Suite(info=info, tasks=tasks)


def _dataset_rows(source: str, split: str | None) -> Iterable[dict]:
    """The rows of the dataset's test split (or its only split) through `datasets`."""
    import datasets  # imported here: commands that only read run files never pay for it

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    try:
        # streaming reads the files themselves: no Arrow cache, which keys local folders
        # by name and served one folder's stale rows for another (measured), and constant
        # memory for suites of any size
        loaded = datasets.load_dataset(source, streaming=True)
    except Exception as exc:  # datasets raises many unrelated types for one bad input
        raise SuiteError(f"{source}: cannot load as a dataset: {exc}") from None
    names = list(loaded.keys())
    chosen = split or ("test" if "test" in names else names[0] if len(names) == 1 else None)
    if chosen not in names:
        raise SuiteError(f"{source}: choose a split with --split (has {', '.join(names)})")
    return loaded[chosen]


def validate_rows(rows: Iterable[dict], source: str) -> Iterator[Task]:
    """Validate rows into Tasks, refusing duplicates; errors name the row and field."""
    seen: set[str] = set()
    for index, row in enumerate(rows):
        task = parse_row(row, source, index)
        if task.id in seen:
            raise SuiteError(f"field id: duplicate task id {task.id!r}", path=source, row=index)
        seen.add(task.id)
        yield task


def parse_row(row: object, source: str, row_name: int | str) -> Task:
    """One row as a Task; a null tags or system (from Arrow's schema union) means absent."""
    if not isinstance(row, dict):
        raise SuiteError("a row must be a JSON object", path=source, row=row_name)
    cleaned = {k: v for k, v in row.items() if not (v is None and k in ("tags", "system"))}
    try:
        return Task.model_validate(cleaned)
    except ValidationError as exc:
        raise SuiteError(f"field {describe_validation(exc)}", path=source, row=row_name) from None


def lint_folder(folder: Path) -> int:
    """Check every data/*.jsonl line of a local suite before `datasets` sees it; returns
    how many rows the folder has (every split)."""
    files = sorted((folder / "data").rglob("*.jsonl")) if (folder / "data").is_dir() else []
    if not files:
        raise SuiteError(f"{folder}: no data/*.jsonl files (a suite is a dataset folder)")
    seen: dict[str, str] = {}
    for path in files:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SuiteError(f"not valid JSON: {exc}", path=str(path), row=number) from None
                task = parse_row(row, str(path), number)
                if task.id in seen:
                    raise SuiteError(
                        f"field id: duplicate task id {task.id!r} (first in {seen[task.id]})",
                        path=str(path),
                        row=number,
                    )
                seen[task.id] = f"{path.name} row {number}"
    if not seen:
        raise SuiteError(f"{folder}: the suite has no tasks")
    return len(seen)


def fingerprint(tasks: Iterable[Task]) -> str:
    """sha256 over the tasks' canonical JSON: any change to any task changes it."""
    digest = hashlib.sha256()
    for task in tasks:
        digest.update(task.model_dump_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()
