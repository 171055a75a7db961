"""A suite's rows: read through `datasets`, linted line by line, validated into Tasks, and
fingerprinted. Every error names the file (or dataset), the row and the field.

`datasets` is imported inside `dataset_rows` only: the report reads a suite folder's
prompts (and `fingerprint`) without paying for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from evalkit.errors import SuiteError, describe_validation
from evalkit.types import Task


def dataset_rows(source: str, split: str | None) -> Iterable[dict]:
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
    """One row as a Task; a null tags, system or checks (from Arrow's schema union) means
    absent. Its checks are validated (`evalkit.checks.validate_checks`) and kept in their
    validated form: a bad check is a SuiteError naming the row and `checks[i].field`."""
    if not isinstance(row, dict):
        raise SuiteError("a row must be a JSON object", path=source, row=row_name)
    cleaned = {k: v for k, v in row.items() if not (v is None and k in ("tags", "system"))}
    if cleaned.get("checks") is None:
        cleaned.pop("checks", None)
    try:
        task = Task.model_validate(cleaned)
    except ValidationError as exc:
        raise SuiteError(f"field {describe_validation(exc)}", path=source, row=row_name) from None
    if not task.checks:
        return task
    from evalkit.checks import validate_checks  # only suites with checks pay for it

    try:
        checks = validate_checks(task.checks, [criterion.id for criterion in task.rubric])
    except ValueError as exc:
        raise SuiteError(f"field {exc}", path=source, row=row_name) from None
    dumped = [check.model_dump(by_alias=True) for check in checks]
    return task.model_copy(update={"checks": dumped})


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
