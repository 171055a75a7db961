"""Run files read in a background thread while a command imports what it needs.

A command that only reads run files spends about as long importing its libraries
(msgspec, numpy, rich) as it does in the read system call that copies its input from the
page cache (15 ms for a 20 MB file, measured). That call releases the GIL, so a thread
started first reads the files while the main thread imports; `file_bytes` then hands
over what was read (`compare` of two 20 MB files: imports and reads 112 ms one after the
other, 90 ms side by side, measured).

Guarantees: `file_bytes` returns the bytes the file held when it was read, or raises the
error reading it raised (an OSError, as `Path.read_bytes` would), never waits for a read
that failed; a prefetched file is handed over once (a second reader reads it again);
nothing is prefetched unless a command asks.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_reads: dict[str, _Read] = {}
"""Reads started, by absolute path, until handed over."""


class _Read:
    """One file's bytes, once read."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.data: bytes | None = None
        self.error: Exception | None = None


def prefetch(*paths: str | Path) -> None:
    """Start reading the files' bytes, one after the other, in a daemon thread (a command
    that fails before it needs them exits anyway)."""
    reads = {key: _Read() for key in map(os.path.abspath, paths) if key not in _reads}
    _reads.update(reads)
    threading.Thread(target=_read_all, args=(reads,), name="prefetch", daemon=True).start()


def _read_all(reads: dict[str, _Read]) -> None:
    for key, read in reads.items():
        try:
            with open(key, "rb") as handle:
                read.data = handle.read()
        except Exception as exc:  # raised again by `file_bytes`, in the command's thread
            read.error = exc
        finally:  # whatever happened, the reader waiting for this file goes on
            read.done.set()


def file_bytes(path: str | Path) -> bytes:
    """The file's bytes: those prefetched (waiting for their read to end), else read now."""
    read = _reads.pop(os.path.abspath(path), None)
    if read is None:
        return Path(path).read_bytes()
    read.done.wait()
    if read.error is not None:
        raise read.error
    return read.data or b""
