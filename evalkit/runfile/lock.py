"""One writer at a time per run file: an exclusive, non-blocking `flock` on the writer's
own handle of the run file, held until the writer closes.

What it guarantees, on Linux and macOS:

- While a `RunWriter` has a run file open, another `RunWriter` for the same file, in any
  process on this machine, fails at once with `RunFileBusyError`, naming the file and the
  holder's pid; it writes nothing. Two resumes of one run file can never both append.
- The lock belongs to the open file, so the kernel drops it when the holder exits, however
  it exits: a killed run never leaves its file locked.
- The holder's pid is written to a sidecar file, `RUN.jsonl.lock`, only so that the error
  can name it. It is written after the lock is taken and removed before it is released; one
  left behind by a killed process is stale, is overwritten by the next writer, and never
  blocks anyone (the lock, not the sidecar, decides).

Where `fcntl` does not exist (Windows), no lock is taken.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import BinaryIO

from evalkit.errors import RunFileBusyError
from evalkit.types import utc_now

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def sidecar(path: Path) -> Path:
    """The file that names the process holding `path`'s lock."""
    return path.with_name(path.name + ".lock")


class RunFileLock:
    """The exclusive lock on a run file, taken on an open handle of it."""

    def __init__(self, handle: BinaryIO, path: Path) -> None:
        """Take the lock, or raise RunFileBusyError naming the holder."""
        self.path = path
        self.note = f"pid {os.getpid()}, since {utc_now()}\n"
        """What the sidecar says while this process holds the lock."""
        if fcntl is None:
            return
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunFileBusyError(
                f"{path}: another evalkit process is writing this run file ({holder(path)});"
                " nothing was written. Wait for it to finish (or stop it), then run again"
            ) from None
        with contextlib.suppress(OSError):  # it only names the holder; the lock holds anyway
            sidecar(path).write_text(self.note, encoding="utf-8")

    def release(self) -> None:
        """Remove the sidecar if it still names this process; the caller then closes the
        handle, which drops the lock."""
        note = sidecar(self.path)
        with contextlib.suppress(OSError):
            if note.read_text(encoding="utf-8") == self.note:
                note.unlink()


def holder(path: Path) -> str:
    """Who holds `path`'s lock, as its sidecar says: `pid 1234, since ...`."""
    try:
        text = sidecar(path).read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "its pid is unknown"


def writer_of(path: Path) -> str | None:
    """Who is writing the run file at `path` right now (`pid 1234, since ...`), or None when
    no writer holds its lock. Only looks: takes a shared lock and drops it at once, which
    a writer's exclusive lock refuses."""
    if fcntl is None:
        return None
    try:
        handle = path.open("rb")
    except OSError:
        return None  # the reader says what is wrong with it
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return holder(path)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None
