"""Run files: the append-only JSONL writer (`evalkit.runfile.reader` reads them).

Line 1 is the RunManifest; every other line is a Record, a PairRecord, or a Resume line
(written first by each resume, with what the endpoint probes found then). A later line
for the same key supersedes an earlier one, which is how resume and retry append instead
of rewriting.

One writer at a time: a writer holds an exclusive lock on the file (`runfile.lock`) from
the moment it opens it until it closes, so a second process resuming the same file fails
at once, naming the first, instead of appending beside it. A resume also refuses a file
that grew since it read it (`expect_size`): what it read would be out of date.

What a crash can cost, exactly:

- A line is *acknowledged* when `write` or `await append` returns. That happens only
  once the line has been written to the file and an fsync that began after that write
  has finished, so an acknowledged record survives a crash of the process, of the kernel,
  or of the power.
- A crash can lose records not yet acknowledged, and nothing else; `--resume` redoes
  them. Lines are written whole, in order, so a crash leaves at most one partial final
  line: readers skip it, and the next writer cuts it off before appending.
- Nothing learns of a record before it is acknowledged: the runner counts progress and
  reports a record only after its append has returned.

`append` is the runner's path and commits in groups. Appended lines wait in memory; one
worker thread writes all that are waiting in one write and fsyncs, and every append they
came from returns together; lines appended meanwhile go in the next group. The event loop
never touches the file: one fsync costs about 3 ms here, and a write to a file being
fsynced waits for it, so one line written and fsynced per record on the event loop
stalled every request in flight.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

from evalkit.errors import RunFileBusyError, RunFileError
from evalkit.runfile.lock import RunFileLock
from evalkit.types import PairRecord, Record, Resume, RunManifest

Line = RunManifest | Record | PairRecord | Resume


class RunWriter:
    """Appends lines to a run file, one whole line at a time; see the module docstring for
    when a line is durable."""

    def __init__(
        self, path: Path, manifest: RunManifest | None = None, *, expect_size: int | None = None
    ) -> None:
        """Open `path` for appending and lock it (RunFileBusyError when another process
        holds it); with `manifest`, start a new run file, which must be empty. With
        `expect_size`, the size the file had when it was read for a resume, refuse a file
        that has grown since."""
        self.path = path
        self._lock = threading.Lock()
        """Held while lines are written and fsynced, by the worker thread or by `write`."""
        self._waiting: list[bytes] = []
        """Appended lines not yet written."""
        self._appended = 0
        """Lines appended or written by this writer, in order."""
        self._durable = 0
        """How many of them are written and fsynced."""
        self._commit: asyncio.Future[None] | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("ab")
        try:
            self._file_lock = RunFileLock(self._handle, path)
        except BaseException:
            self._handle.close()
            raise
        try:
            self._start(manifest, expect_size)
        except BaseException:
            self.close()
            raise

    def _start(self, manifest: RunManifest | None, expect_size: int | None) -> None:
        """Check the file is as expected, cut a crash's partial line, write a manifest."""
        if expect_size is not None and self._handle.tell() != expect_size:
            raise RunFileBusyError(
                f"{self.path}: another process wrote to this run file after it was read"
                " (a resume running at the same time?); nothing was written; run again"
            )
        self._repair_tail()
        if manifest is not None:
            if self._handle.tell() != 0:
                raise RunFileError("already exists; resume it or choose --out", path=str(self.path))
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

    def write(self, item: Line) -> None:
        """Append one line and make it durable (with any appended before it) now."""
        self._queue(item)
        with self._lock:
            self._write_waiting()

    async def append(self, item: Line) -> None:
        """Append one line and return once it is durable, sharing the write and the fsync
        with every line appended meanwhile (group commit)."""
        mine = self._queue(item)
        while self._durable < mine:
            if self._commit is None or self._commit.done():
                self._commit = asyncio.ensure_future(asyncio.to_thread(self._commit_waiting))
                # read its error here too, so one nobody awaits (after a cancelled run) is
                # not reported as never retrieved
                self._commit.add_done_callback(_retrieve)
            # shielded: a cancelled caller must not cancel the commit others wait on
            await asyncio.shield(self._commit)

    def _queue(self, item: Line) -> int:
        """Encode one line and queue it; returns its number. The line is written as it is:
        secrets were taken out of the fields that can carry them when those were built
        (see evalkit.redact), and keys, answers and verdicts are data, never rewritten."""
        line = item.model_dump_json() + "\n"
        self._waiting.append(line.encode("utf-8"))
        self._appended += 1
        return self._appended

    def _commit_waiting(self) -> None:
        """In the worker thread: write and fsync every line waiting."""
        with self._lock:
            self._write_waiting()

    def _write_waiting(self) -> None:
        """Write every waiting line in one write, then fsync; the lock is held."""
        # taken in one step: the event loop may append while this thread writes
        count, lines, self._waiting = self._appended, self._waiting, []
        if lines:
            self._handle.write(b"".join(lines))
            self._handle.flush()
        os.fsync(self._handle.fileno())
        self._durable = max(self._durable, count)

    def close(self) -> None:
        """Make every line durable, then close the file."""
        with self._lock:
            if self._handle.closed:
                return
            try:
                if self._durable < self._appended:
                    self._write_waiting()
            finally:
                self._file_lock.release()
                self._handle.close()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
