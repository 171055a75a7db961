"""The prompts behind a run, for the report: run files hold answers and verdicts, not the
tasks, so the report reads the suite folder's data/*.jsonl itself when the folder is at
hand. It reads them with `json` only: `datasets` costs seconds to import and a report must
not need it (nor the network, for a suite named by hub id).

Rows are read by a fast path first (`runfile.suite_rows`): each decoded natively into a
`SuiteRow` and its canonical JSON encoded natively for the fingerprint, which for such rows
is the one `suites.rows.fingerprint` computes. A row the fast path refuses (checks, nulls
for absent columns, anything invalid) sends the whole suite through the exact path: the
`types.Task` model, whose errors the note quotes. Only that path imports pydantic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evalkit.runfile.suite_rows import SuiteRow, read_rows

if TYPE_CHECKING:  # the exact path imports them; the fast path needs no pydantic
    from evalkit.runfile.heads import SuiteHead
    from evalkit.types import SuiteInfo, Task

    Suite = SuiteInfo | SuiteHead
    """The manifest's suite, from a full manifest or a head."""


@dataclass
class SuiteText:
    """The suite's tasks as found on disk, or why they could not be found. A dataclass,
    not a pydantic model: its tasks are `SuiteRow`s from the fast path or `Task`s, and
    checking them again on the way in would cost what the fast path saves."""

    tasks: dict[str, Task | SuiteRow]
    """Tasks by id, in the suite's order; empty when the suite was not found."""
    source: str | None = None
    """The folder the tasks were read from."""
    note: str | None = None
    """Why prompts are missing, or a warning that the suite changed since the run."""


def locate_suite(info: Suite, run_path: Path, explicit: Path | None = None) -> Path | None:
    """Where the suite folder is: `explicit`, the ref as a path, suites/<ref> in the working
    directory, or suites/<ref> above the run file (results/<suite>/RUN.jsonl sits two
    levels below the directory that holds suites/)."""
    if explicit is not None:
        return explicit
    candidates = [Path(info.ref), Path("suites") / info.ref]
    candidates += [parent / "suites" / info.ref for parent in run_path.resolve().parents]
    return next((c for c in candidates if (c / "data").is_dir()), None)


def read_suite(info: Suite, folder: Path | None) -> SuiteText:
    """Read the tasks of the suite folder; never raises, a problem becomes the note."""
    if folder is None:
        return SuiteText(
            tasks={},
            note=f"prompts not available: suite folder {info.ref!r} not found"
            " (pass --suite PATH to the report)",
        )
    tasks: list[Task] | list[SuiteRow]
    fast = _fast_rows(folder)
    if fast is not None:
        tasks, found = fast
    else:
        from evalkit.suites.rows import fingerprint  # the exact path only

        try:
            tasks = _read_rows(folder)
        except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return SuiteText(tasks={}, note=f"prompts not available: {folder}: {reason}")
        found = fingerprint(tasks)
    note = None
    if found != info.fingerprint:
        note = (
            f"the suite in {folder} has changed since this run (fingerprint differs):"
            " the prompts shown are today's"
        )
    return SuiteText(tasks={t.id: t for t in tasks}, source=str(folder), note=note)


def _files(folder: Path) -> list[Path]:
    """The suite's data/**/*.jsonl files, in the order `datasets` loads them."""
    files = sorted((folder / "data").rglob("*.jsonl"))
    if not files:
        raise ValueError("no data/*.jsonl files")
    return files


def _read_rows(folder: Path) -> list[Task]:
    """Every row of data/**/*.jsonl as a Task, in the order `datasets` loads them."""
    tasks = []
    for path in _files(folder):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                tasks.append(_task(line))
    return tasks


def _fast_rows(folder: Path) -> tuple[list[SuiteRow], str] | None:
    """The rows as `_read_rows` finds them and their fingerprint, when every row decodes
    as a `SuiteRow`; None on anything else (the exact path then decides)."""
    try:
        files = _files(folder)
    except (OSError, ValueError):
        return None
    return read_rows(files)


def _task(line: str) -> Task:
    """One row as a Task. Arrow fills absent columns with null, which a suite row treats
    as absent: rows with such nulls take the slower path through a cleaned dict. A row with
    checks keeps them in the validated form the loader keeps (defaults written out), so the
    fingerprint is the one `run` recorded."""
    from pydantic import ValidationError

    from evalkit.errors import SuiteError
    from evalkit.suites.rows import parse_row
    from evalkit.types import Task

    try:
        task = Task.model_validate_json(line)
    except ValidationError:
        row = json.loads(line)
        if not isinstance(row, dict):
            raise
        cleaned = {k: v for k, v in row.items() if not (v is None and k in _NULLABLE)}
        task = Task.model_validate(cleaned)
    if not task.checks:
        return task
    try:
        return parse_row(task.model_dump(), "", 0)
    except SuiteError as exc:  # read_suite turns a ValueError into its note
        raise ValueError(str(exc)) from None


_NULLABLE = ("tags", "system")
