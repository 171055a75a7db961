"""Suites are Hugging Face datasets: a folder in suites/, a path, or a hub id, all loaded by
`datasets.load_dataset`, every row validated into a Task before any request is made.

A local folder is also linted line by line first, because the JSON loader reports a bad
row as an Arrow cast error with no row in it; that lint names the file, the line and the
field, which is what a person fixing a suite needs.

Suites are read with `streaming=True`, and a suite past `HELD_TASKS` tasks (or any hub id)
is read once by a helper process into a spool file of validated tasks (see
evalkit.suites.spool), which a `TaskStream` reads again for each pass: a run holds a few
tasks at a time whatever the suite's size, and a hub id is streamed from the Hub once, not
downloaded whole and not held.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from evalkit.errors import SuiteError
from evalkit.suites.rows import dataset_rows, fingerprint, lint_folder, validate_rows
from evalkit.suites.spool import locate, spool_suite, take
from evalkit.types import SuiteInfo, Task

HELD_TASKS = 1_000
"""A suite of up to this many tasks is held in memory; a larger one streams."""


class TaskStream(Sequence[Task]):
    """A large suite's tasks, read from its spool file on each pass, so a run holds a few
    of them at a time whatever the suite's size. Length, iteration and slices from the
    start (`[:n]`, as --limit takes) are cheap; other indexing reads up to the index."""

    def __init__(self, spool: Path, count: int | None = None, digest: str | None = None):
        self.spool = spool
        """One validated task per line, in the dataset's order (written by suites.spool)."""
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


def load_suite(ref: str, base_dir: Path, split: str | None = None) -> Suite:
    """Load and validate a suite; a bad row stops here with file, row and field named.

    A local suite of up to HELD_TASKS rows is read here and held; a larger one, or a hub
    id, is read by a helper process into a spool and streamed (see the module docstring).
    A suite `spool.prefetch` started reading with the same arguments is taken from its
    helper's spool instead: the same tasks, fingerprint and errors.
    """
    source = locate(ref, base_dir)
    spooled = take(ref, base_dir, split)  # read by a helper `prefetch` started, if any
    rows = lint_folder(Path(source)) if spooled is None and Path(source).is_dir() else None
    tasks: Sequence[Task]
    if rows is not None and rows <= HELD_TASKS:
        tasks = list(validate_rows(dataset_rows(source, split), source))
        digest = fingerprint(tasks)
    else:
        stream = TaskStream(spooled or spool_suite(source, split))
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
