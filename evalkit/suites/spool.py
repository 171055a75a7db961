"""Large suites are read by a helper process, once, into a local spool file of validated
tasks; the run streams that file, as often as it needs to.

Why a helper process: `datasets` (with pyarrow and pandas) adds about 116 MB to a process
that imports it, and the pass over a large dataset leaves another 30 to 50 MB in the
allocator; litellm adds 150 MB of its own. A run that imported both sat at 420 MB before
its first request. Read by a helper, the run holds neither, and its memory stays flat
whatever the suite's size. Why a spool: each candidate's lane reads the suite once more,
and a Hub dataset would otherwise stream from the Hub on every pass; the spool costs disk
the size of the suite (about 400 bytes a task), deleted when the process ends.

A command can also start the helper early (`prefetch`), before it imports its own modules,
loads the config and the judge: `datasets` then loads on one core while the command works
on the other, and `load_suite` takes the spool the helper wrote (waiting for it if need
be). The helper then reads the suite as `load_suite` does (`locate`, the folder's lint,
`datasets`), so the tasks, the fingerprint and every error are the ones `load_suite` gives
without it. A helper nobody took is stopped when the process ends. The helper is a fork of
the command while it has one thread (no new interpreter to start), a new interpreter
otherwise. It exits without tearing down what it imported (`os._exit` once its spool file
is closed): freeing `datasets`, pandas and pyarrow took 0.4 s (measured), time a run would
wait for.

This module imports only the standard library and evalkit.errors, so a command can start
the helper before it imports anything heavy (pydantic included).

    python -m evalkit.suites.spool SOURCE SPLIT TARGET           # what load_suite runs
    python -m evalkit.suites.spool --suite REF BASE SPLIT TARGET   # what prefetch runs
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from evalkit.errors import SuiteError


@dataclass
class _Reading:
    """A helper started by `prefetch`, not yet taken."""

    process: Helper
    target: Path
    """Where it writes the spool."""
    stderr: Path
    """Where its error output goes (a file: a pipe nobody reads could fill and stall it)."""


_STARTED: dict[tuple[str, str, str | None], _Reading] = {}
"""The helpers `prefetch` started, by (ref, base folder, split)."""


def prefetch(ref: str, base_dir: Path, split: str | None = None) -> None:
    """Start reading the suite `load_suite(ref, base_dir, split)` would read, in a helper
    process, now; `load_suite` takes it (see `take`)."""
    key = (ref, str(base_dir), split)
    if key in _STARTED:
        return
    target = _spool_target()
    stderr = target.with_name("stderr.txt")
    helper = ["--suite", ref, str(base_dir), split or "", str(target)]
    process: Helper | None = _fork(helper, stderr)
    if process is None:
        with stderr.open("wb") as errors:
            process = subprocess.Popen(
                [sys.executable, "-m", "evalkit.suites.spool", *helper],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
    atexit.register(_stop, process)  # after _spool_target's rmtree: runs before it
    _STARTED[key] = _Reading(process=process, target=target, stderr=stderr)


class Helper(Protocol):
    """A helper process: a `subprocess.Popen`, or a `Forked` child."""

    def wait(self) -> int: ...
    def poll(self) -> int | None: ...
    def kill(self) -> None: ...


class Forked:
    """A helper forked from this process (see `_fork`), as much of Popen as `take` needs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)


def _fork(argv: list[str], stderr: Path) -> Forked | None:
    """The helper as a fork of this process, which skips the new interpreter's start (about
    35 ms, measured); None where forking is not safe (another thread could hold a lock the
    child needs; macOS, whose system libraries are not fork-safe, which is why Python starts
    new interpreters there by default) or not possible, and the caller starts a new
    interpreter instead."""
    if not hasattr(os, "fork") or sys.platform == "darwin" or threading.active_count() > 1:
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return Forked(pid)
    code = 1
    try:  # the child: nothing of the parent's runs here (no atexit, no finally above)
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        sys.stderr = open(stderr, "w", encoding="utf-8")  # noqa: SIM115
        os.dup2(sys.stdout.fileno(), 1)
        os.dup2(sys.stderr.fileno(), 2)
        code = main(argv)
    except BaseException:  # a bug: its traceback goes where the parent reads errors
        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def take(ref: str, base_dir: Path, split: str | None) -> Path | None:
    """The spool of a suite `prefetch` started reading, once the helper is done; None if
    none was started for these arguments. A bad suite raises the helper's SuiteError."""
    reading = _STARTED.pop((ref, str(base_dir), split), None)
    if reading is None:
        return None
    code = reading.process.wait()
    if code == 0:
        return reading.target
    raise _failure(ref, reading.stderr.read_text(encoding="utf-8", errors="replace"))


def _stop(process: Helper) -> None:
    """End a helper nobody took (the command failed before it needed the suite)."""
    if process.poll() is None:
        process.kill()
        process.wait()


def _spool_target() -> Path:
    """A spool file's path in a fresh folder, removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="evalkit-suite-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder / "tasks.jsonl"


def _failure(source: str, stderr: str) -> SuiteError:
    """The SuiteError a helper reported (its last line), or one naming how it failed."""
    lines = stderr.strip().splitlines() or ["the suite reader failed without a message"]
    try:
        message = json.loads(lines[-1])["error"]
    except (ValueError, KeyError, TypeError):
        message = f"{source}: reading the suite failed: {lines[-1]}"
    return SuiteError(message)


def spool_suite(source: str, split: str | None) -> Path:
    """Validate every row of the dataset at `source` into a spool file, in a helper
    process; a bad row raises the SuiteError the helper found (file, row and field)."""
    target = _spool_target()
    helper = [sys.executable, "-m", "evalkit.suites.spool", source, split or "", str(target)]
    done = subprocess.run(helper, capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return target
    raise _failure(source, done.stderr)


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


def write_spool(source: str, split: str | None, target: Path) -> int:
    """In the helper: every validated task as one JSON line; returns how many."""
    from evalkit.suites.rows import dataset_rows, validate_rows

    count = 0
    with target.open("w", encoding="utf-8") as out:
        for task in validate_rows(dataset_rows(source, split), source):
            out.write(task.model_dump_json() + "\n")
            count += 1
    return count


def write_suite_spool(ref: str, base_dir: Path, split: str | None, target: Path) -> int:
    """In a `prefetch` helper: what `load_suite` reads, in its order (the suite located,
    a local folder linted line by line, then read through `datasets`), into the spool."""
    from evalkit.suites.rows import lint_folder

    source = locate(ref, base_dir)
    if Path(source).is_dir():
        lint_folder(Path(source))
    return write_spool(source, split, target)


def main(argv: list[str]) -> int:
    """The helper's entry point; a SuiteError goes to the parent as a JSON line."""
    try:
        if argv[0] == "--suite":
            ref, base_dir, split, target = argv[1:]
            write_suite_spool(ref, Path(base_dir), split or None, Path(target))
        else:
            source, split, target = argv
            write_spool(source, split or None, Path(target))
    except SuiteError as exc:
        print(json.dumps({"error": str(exc)}), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the spool is closed: nothing imported here needs tearing down
