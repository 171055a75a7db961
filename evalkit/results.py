"""Run files: an append-only JSONL writer and a reader.

Line 1 is the RunManifest; every other line is a Record. A later record for the same
(task_id, candidate, judge) key supersedes an earlier one, which is how resume and retry
append instead of rewriting. Each line is written whole, flushed and fsynced before the
writer returns, so a crash can leave at most one partial final line: readers skip it, and
the next writer cuts it off before appending.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from evalkit.config import describe_validation
from evalkit.errors import RunFileError
from evalkit.redact import SECRETS
from evalkit.types import Record, RunManifest

M = TypeVar("M", bound=BaseModel)


class RunFile(BaseModel):
    """A run file as read: its manifest and the latest record of every key."""

    path: str
    """Where it was read from."""
    manifest: RunManifest
    """Line 1."""
    records: dict[tuple[str, str, str], Record]
    """The last record of each (task_id, candidate, judge) key, in first-seen key order."""
    partial_tail: bool = False
    """True when the file ended in a partial line (a crash mid-write), which was skipped."""


class RunWriter:
    """Appends lines to a run file, one whole line at a time, each flushed and fsynced."""

    def __init__(self, path: Path, manifest: RunManifest | None = None) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("ab")
        self._repair_tail()
        if manifest is not None:
            if self._handle.tell() != 0:
                raise RunFileError("already exists; resume it or choose --out", path=str(path))
            self.write(manifest)

    def _repair_tail(self) -> None:
        """Cut a partial final line left by a crash, so the next line starts clean."""
        size = self._handle.tell()
        if size == 0:
            return
        with self.path.open("rb") as reader:
            reader.seek(max(0, size - 1))
            if reader.read(1) == b"\n":
                return
            data = reader.seek(0) or reader.read()
        self._handle.truncate(data.rfind(b"\n") + 1)
        self._handle.seek(0, os.SEEK_END)

    def write(self, item: RunManifest | Record) -> None:
        """Append one line and make it durable before returning."""
        line = SECRETS.scrub(item.model_dump_json()) + "\n"
        self._handle.write(line.encode("utf-8"))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file."""
        self._handle.close()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_run(path: str | Path) -> RunFile:
    """Read a run file; a corrupt line (other than a partial last one) is an error naming
    the file, the line and the field."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RunFileError(f"cannot read: {exc.strerror}", path=str(path)) from None
    lines = data.split(b"\n")
    partial = lines[-1] != b""
    lines = lines[:-1]  # the last element is b"" or a partial line without its newline
    if not lines:
        raise RunFileError("empty or truncated: no complete manifest line", path=str(path))
    manifest = _parse(RunManifest, lines[0], path, 1, "not a run file: line 1 is not a manifest")
    records: dict[tuple[str, str, str], Record] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip():
            record = _parse(Record, line, path, number, "not a result record")
            records[record.key] = record
    return RunFile(path=str(path), manifest=manifest, records=records, partial_tail=partial)


def _parse(model: type[M], line: bytes, path: Path, number: int, what: str) -> M:
    try:
        return model.model_validate_json(line)
    except ValidationError as exc:
        try:
            json.loads(line)
        except ValueError:
            raise RunFileError("corrupt line (not JSON)", path=str(path), line=number) from None
        raise RunFileError(
            f"{what}: {describe_validation(exc)}", path=str(path), line=number
        ) from None
