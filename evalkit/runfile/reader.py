"""Run files as read: `read_run` gives the manifest and the latest record of every key;
`read_scores` gives only what `compare` compares, for half the cost.

Line 1 is the RunManifest; every other line is a Record (or a pairwise PairRecord, or a
Resume line appended when the run was resumed, with what the probes found then). A
later record for the same (task_id, candidate, judge) key supersedes an earlier one, which
is how resume and retry append instead of rewriting (`evalkit.runfile.writer` writes them). Only
a partial last line, left by a crash mid-write, is skipped; any other bad line is an error
naming the file, the line and the field.

This module is all that the commands which only read run files need, so it imports
neither the writer's asyncio nor the config.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evalkit.errors import RunFileError, describe_validation
from evalkit.types import PairRecord, Record, Resume, RunManifest, Schema, Score, Status

READ_BUFFER = 1 << 20
"""Bytes read from the file at a time: lines came three times faster than with the
default 8 kB (13 against 4.5 ms for 10,000 lines, measured)."""

M = TypeVar("M", bound=BaseModel)


class RunFile(Schema):
    """A run file as read: its manifest and the latest record of every key."""

    path: str
    """Where it was read from."""
    manifest: RunManifest
    """Line 1."""
    records: dict[tuple[str, str, str], Record]
    """The last record of each (task_id, candidate, judge) key, in first-seen key order."""
    partial_tail: bool = False
    """True when the file ended in a partial line (a crash mid-write), which was skipped."""
    pairs: dict[tuple[str, str, str, str], PairRecord] = Field(default_factory=dict)
    """Pairwise lines (`"type": "pair"`): the last of each (task_id, a, b, judge) key."""
    resumes: list[Resume] = Field(default_factory=list)
    """Every resume of the run (`"type": "resume"` lines), in order; empty for a run file
    never resumed, or written before evalkit recorded resumes."""
    size: int = 0
    """The file's size in bytes before it was read: every record up to there was read. A
    resume refuses to append when the file has grown since (another process wrote it)."""


class _Skimmed(Schema):
    """Reads the fields it declares and skips the rest of the object unchecked."""

    model_config = ConfigDict(extra="ignore")


class ScoreVerdict(_Skimmed):
    """A verdict's score and label."""

    score: Score
    """1-5."""
    label: str
    """The rubric's label for the score."""


class ScoreAnswer(_Skimmed):
    """An answer's text only."""

    text: str
    """The answer."""


class ScoreCheck(_Skimmed):
    """A check result's outcome only."""

    passed: bool | None
    """True or False when the check ran; None when it could not."""


class ScoreLine(_Skimmed):
    """A result line as `compare` reads it: the row, the status, the verdict's score and
    label, and the answer's text (to tell a re-grade). Fields it does not use are skipped
    unchecked; `read_run` checks every field."""

    type: Literal["result"] = "result"
    """Always "result"."""
    task_id: str
    """The task."""
    candidate: str
    """The candidate model."""
    judge: str
    """The judge that graded it."""
    status: Status
    """ok, unavailable, error or judge_error."""
    answer: ScoreAnswer | None = None
    """The answer, when there is one."""
    verdict: ScoreVerdict | None = None
    """The verdict, when there is one."""
    checks: list[ScoreCheck] = Field(default_factory=list)
    """The outcomes of the task's checks; empty without checks."""

    @property
    def key(self) -> tuple[str, str, str]:
        """The (task_id, candidate, judge) key, as Record.key."""
        return (self.task_id, self.candidate, self.judge)


class ScoreFile(Schema):
    """A run file as `compare` reads it: the manifest and the latest ScoreLine of every key."""

    path: str
    """Where it was read from."""
    manifest: RunManifest
    """Line 1."""
    records: dict[tuple[str, str, str], ScoreLine]
    """The last result line of each (task_id, candidate, judge) key."""


def read_run(path: str | Path) -> RunFile:
    """Read a run file; a corrupt line (other than a partial last one) is an error naming
    the file, the line and the field."""
    lines = RunLines(Path(path), Record, pairs=True)
    size = lines.size()
    records = {record.key: record for record in lines}
    return RunFile(
        path=str(path),
        manifest=lines.manifest,
        records=records,
        partial_tail=lines.partial,
        pairs=lines.pairs,
        resumes=lines.resumes,
        size=size,
    )


def read_scores(path: str | Path) -> ScoreFile:
    """Read what `compare` compares from a run file: a line that is not JSON, or whose
    compared fields are wrong, is an error naming the file, the line and the field.

    Skipping the other fields halves the time to read (10,000 records: 0.10 s against
    0.15 s a file, measured), which is most of what `compare` costs."""
    lines = RunLines(Path(path), ScoreLine)
    records = {line.key: line for line in lines}
    return ScoreFile(path=str(path), manifest=lines.manifest, records=records)


class RunLines(Generic[M]):
    """A run file read one line at a time: `manifest` is line 1, and iterating yields every
    result line, parsed as `record_type`, keeping none. With `pairs`, pairwise lines are
    gathered in `pairs`, the last of each key; otherwise they are skipped. Resume lines are
    gathered in `resumes`, in order. Later result
    lines supersede earlier ones of the same key; that is the caller's to apply. Once
    iteration has ended, `partial` says whether a partial last line (a crash mid-write)
    was skipped.

    A line's bytes are freed once parsed, so reading touches the memory of what the
    caller keeps and not twice the file's size."""

    def __init__(self, path: Path, record_type: type[M], *, pairs: bool = False) -> None:
        self.path, self.record_type, self.read_pairs = path, record_type, pairs
        self.pairs: dict[tuple[str, str, str, str], PairRecord] = {}
        self.resumes: list[Resume] = []
        self.partial = False
        with self._open() as handle:
            head = handle.readline()
        if not head.endswith(b"\n"):
            raise RunFileError("empty or truncated: no complete manifest line", path=str(path))
        what = "not a run file: line 1 is not a manifest"
        self.manifest = _parse(RunManifest, head, path, 1, what)

    def _open(self) -> BinaryIO:
        try:
            return self.path.open("rb", buffering=READ_BUFFER)
        except OSError as exc:
            raise RunFileError(f"cannot read: {exc.strerror}", path=str(self.path)) from None

    def size(self) -> int:
        """The file's size in bytes now."""
        try:
            return self.path.stat().st_size
        except OSError as exc:
            raise RunFileError(f"cannot read: {exc.strerror}", path=str(self.path)) from None

    def __iter__(self) -> Iterator[M]:
        path = self.path
        with self._open() as handle, _gc_paused():
            handle.readline()
            for number, line in enumerate(handle, start=2):
                if not line.endswith(b"\n"):
                    self.partial = True  # the last line, cut by a crash mid-write: skipped
                    return
                if line.isspace():  # a blank line (isspace, unlike strip, copies nothing)
                    continue
                kind = _line_type(line)
                if kind == "pair":
                    if self.read_pairs:
                        pair = _parse(PairRecord, line, path, number, "not a pair record")
                        self.pairs[pair.key] = pair
                    continue
                if kind == "resume":
                    self.resumes.append(_parse(Resume, line, path, number, "not a resume line"))
                    continue
                yield _parse(self.record_type, line, path, number, "not a result record")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while records are parsed.

    Each record allocates a dozen containers; with thousands alive, the collector's
    full passes rescan them all again and again, which tripled the time to read 10,000
    records (0.45 s against 0.15 s, measured). Parsed records hold no reference cycles,
    so pausing loses nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_TYPE_PREFIXES = {
    b'{"type":"result"': "result",
    b'{"type":"pair"': "pair",
    b'{"type":"resume"': "resume",
}


def _line_type(line: bytes) -> object:
    """The line's "type" field, or None when it is not a JSON object (reported later)."""
    # The writer emits "type" first (pydantic keeps field order), so a prefix answers for
    # every line evalkit wrote without parsing it twice; any other line is parsed.
    for prefix, kind in _TYPE_PREFIXES.items():
        if line.startswith(prefix):
            return kind
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data.get("type") if isinstance(data, dict) else None


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
