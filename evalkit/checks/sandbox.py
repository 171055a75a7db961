"""Running a `python` check's code where it cannot touch the host: the parts every sandbox
shares (the launcher, the limits, the bounded process run) and the `Sandbox` protocol.

Guarantees, whatever the sandbox:
- Answer code never runs on the host. A sandbox that cannot start reports `started=False`
  (the check is then "not run"); nothing falls back to a plain subprocess.
- The two files are staged in a host temp dir that is deleted when the run ends, and
  mounted read-only at /input; the launcher copies them into /work, a private size-limited
  tmpfs that is the check's writable work dir. Nothing the code writes reaches the host.
- The launcher sets the limits (`Limits`) before any check code runs, and on a root host
  drops to uid 65534 first (root is exempt from RLIMIT_NPROC).
- The wall-clock timeout kills the whole process group (and, for containers, the container);
  at most `output_bytes` of output are kept (the last ones), however much is written.
- `completed` is True only when check.py ran to its end (or exited 0 itself): the launcher
  then prints a marker carrying a nonce it read from stdin and closed before the check ran.
  An `os._exit(0)`, or a `sys.exit()` raised inside solution.py (an unguarded
  `sys.exit(main())` in the answer), is not a pass. This stops accidental exits; code
  written to forge a pass would have to dig the nonce out of the launcher's memory.

Check code runs with the standard library only: the interpreter starts with `-S -E -s`, so
no site-packages, no PYTHON* variables, no user site (and a start 5x faster than with site).
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, NamedTuple, Protocol

from pydantic import BaseModel, ConfigDict, Field

from evalkit.errors import ConfigError

START = b"\x1eevalkit-check-start\n"
"""The launcher's first output, before any check code: the sandbox did start."""
DONE = "\x1eevalkit-check-done {nonce}\n"
"""The launcher's last output, when check.py ran to its end (or exited 0)."""
NOBODY = 65534
KILL_GRACE = 5.0
"""Seconds a sandbox's own kill (`on_timeout`) may take before its process group is killed."""

LAUNCHER = r"""# evalkit check launcher
import os, resource, sys
nonce = sys.stdin.readline().strip()
os.close(0); os.open(os.devnull, os.O_RDONLY)
source, work = sys.argv[1], sys.argv[2]
names = (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_NPROC,
         resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE, resource.RLIMIT_CORE)
for name, value in zip(names, map(int, sys.argv[3:9])):
    resource.setrlimit(name, (value, value + (name == resource.RLIMIT_CPU)))
files = {}
for name in ("solution.py", "check.py"):
    with open(os.path.join(source, name), "rb") as staged:
        files[name] = staged.read()
if os.getuid() == 0:  # root is exempt from RLIMIT_NPROC
    os.setgroups([]); os.setgid(65534); os.setuid(65534)
os.chdir(work)
for name, data in files.items():
    with open(name, "wb") as copy:
        copy.write(data)
solution = os.path.join(work, "solution.py")
sys.path[0] = work
sys.argv = ["check.py"]
sys.stdout.buffer.write(bytes.fromhex("START_HEX")); sys.stdout.buffer.flush()
del names
import types

def leave(code):
    sys.stdout.flush(); sys.stderr.flush(); os._exit(code)

def inside_solution(tb):
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == solution:
            return True
        tb = tb.tb_next
    return False

main = types.ModuleType("__main__")
main.__file__ = os.path.join(work, "check.py")
sys.modules["__main__"] = main
try:
    exec(compile(files.pop("check.py"), main.__file__, "exec"), main.__dict__)
except SystemExit as stop:
    if inside_solution(stop.__traceback__):
        print("solution.py exited (SystemExit(%r)) while the check ran" % (stop.code,),
              file=sys.stderr)
        leave(1)
    if stop.code is not None and not isinstance(stop.code, int):
        print(stop.code, file=sys.stderr)
        leave(1)
    if stop.code:
        leave(stop.code & 0xFF or 1)
except BaseException as error:  # printed as python would, without this frame
    import traceback  # here: importing it costs 13 ms of every check's start
    traceback.print_exception(type(error), error, error.__traceback__.tb_next)
    leave(1)
sys.stdout.flush(); sys.stderr.flush()
sys.stdout.write("\x1eevalkit-check-done " + nonce + "\n")
leave(0)
""".replace("START_HEX", START.hex())
"""Runs inside the sandbox as `python -S -E -s -B -c LAUNCHER /input /work LIMITS...`."""


class Limits(BaseModel):
    """What one check may use. Per process: a check of N processes may hold N times the
    memory, so `processes * memory_mb` bounds a check's memory under bwrap (a container
    engine bounds the whole container with `--memory`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    memory_mb: int = Field(default=512, gt=0)
    """Address space per process (RLIMIT_AS); a container's memory limit."""
    processes: int = Field(default=16, gt=0)
    """Processes and threads (RLIMIT_NPROC; a container's pids limit)."""
    cpu_seconds: int | None = Field(default=None, gt=0)
    """CPU time per process (RLIMIT_CPU); default: the check's timeout rounded up, plus 1."""
    output_bytes: int = Field(default=64_000, gt=0)
    """Output kept (stdout and stderr together, the last bytes); the rest is counted only."""
    file_mb: int = Field(default=16, gt=0)
    """Largest file the code may write (RLIMIT_FSIZE)."""
    open_files: int = Field(default=256, gt=0)
    """Open file descriptors (RLIMIT_NOFILE)."""
    scratch_mb: int = Field(default=64, gt=0)
    """Size of each writable tmpfs: /work, /tmp and /dev/shm."""

    def rlimits(self, timeout: float) -> list[str]:
        """The launcher's limit arguments, in its order: AS, CPU, NPROC, FSIZE, NOFILE, CORE."""
        cpu = self.cpu_seconds or math.ceil(timeout) + 1
        mib = 1024 * 1024
        values = (self.memory_mb * mib, cpu, self.processes, self.file_mb * mib)
        return [str(value) for value in (*values, self.open_files, 0)]


class SandboxRun(BaseModel):
    """What running one check in a sandbox gave."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    started: bool
    """The launcher ran inside the sandbox; False: the sandbox itself failed (see output)."""
    completed: bool
    """check.py ran to its end or exited 0 itself (see the module docstring)."""
    exit_code: int | None
    """The process's exit status (negative: killed by that signal); None after a timeout."""
    timed_out: bool
    """The wall-clock timeout fired and the process group was killed."""
    output: str
    """The last `output_bytes` of stdout and stderr together (model-influenced text)."""
    output_bytes: int
    """How many bytes of output were written in all."""
    elapsed_ms: float
    """Wall-clock time from spawn to exit."""


class Sandbox(Protocol):
    """Where `python` checks run. Implementations: BwrapSandbox, ContainerSandbox."""

    name: str
    """As the config names it: "bwrap", "podman", "docker"."""

    def run(self, solution: str, check: str, timeout: float) -> SandboxRun:
        """Run `check` as check.py beside `solution` as solution.py, within `timeout`."""
        ...


class SandboxUnavailable(ConfigError):
    """The chosen sandbox does not work here; the message says how to get one working."""


class Staged(NamedTuple):
    """The host side of one run: the staging dir and the nonce the launcher will print."""

    directory: Path
    nonce: str


def run_staged(
    solution: str,
    check: str,
    timeout: float,
    limits: Limits,
    command: Callable[[Staged], Sequence[str]],
    on_timeout: Callable[[int], None] | None = None,
    *,
    readable: bool = False,
) -> SandboxRun:
    """Stage the files, run the sandbox's command with the nonce on its stdin, clean up.
    `on_timeout(pid)`: what kills the sandbox's own processes when the timeout fires, given
    the pid of the command (then its process group is killed in any case).
    `readable`: let every uid read the staged files (a container's uid is not the host's)."""
    with tempfile.TemporaryDirectory(prefix="evalkit-check-") as directory:
        staged = Staged(Path(directory), secrets.token_hex(16))
        for name, text in (("solution.py", solution), ("check.py", check)):
            (staged.directory / name).write_text(text, encoding="utf-8")
            if readable:
                (staged.directory / name).chmod(0o644)
        if readable:
            staged.directory.chmod(0o755)
        argv = list(command(staged))
        return _run(argv, staged.nonce, timeout, limits.output_bytes, on_timeout)


def _run(
    command: list[str],
    nonce: str,
    timeout: float,
    keep: int,
    kill: Callable[[int], None] | None,
) -> SandboxRun:
    """Run `command` in its own session, keep the last `keep` bytes of output, and kill
    its process group when `timeout` passes."""
    began = time.monotonic()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(nonce.encode() + b"\n")
        process.stdin.close()
    except BrokenPipeError:
        pass  # the sandbox died at once; its output says why
    output = _Output(keep)
    timed_out = not output.read(process.stdout, began + timeout)
    if not timed_out:
        try:
            process.wait(max(0.0, began + timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True  # it closed its output but kept running
    if timed_out:
        _kill_group(process, kill)
    process.stdout.close()
    return output.result(nonce, process.returncode, timed_out, time.monotonic() - began)


def _kill_group(process: subprocess.Popen[bytes], kill: Callable[[int], None] | None) -> None:
    if kill is not None:
        kill(process.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(KILL_GRACE)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class _Output:
    """The first bytes (for the start marker) and the last `keep` bytes of a stream."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.head = b""
        self.tail = bytearray()
        self.total = 0

    def read(self, stream: IO[bytes], deadline: float) -> bool:
        """Read until end of stream (True) or the deadline (False)."""
        fd = stream.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while (remaining := deadline - time.monotonic()) > 0:
                if not selector.select(remaining):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    return True
                self._add(chunk)
        return False

    def _add(self, chunk: bytes) -> None:
        if len(self.head) < len(START):
            self.head += chunk[: len(START) - len(self.head)]
        self.total += len(chunk)
        self.tail += chunk
        if len(self.tail) > self.keep + len(START):
            del self.tail[: len(self.tail) - self.keep - len(START)]

    def result(self, nonce: str, code: int | None, timed_out: bool, elapsed: float) -> SandboxRun:
        started = self.head == START
        text = bytes(self.tail)
        if started and self.total == len(text):
            text = text[len(START) :]
        # found anywhere: a process the check left behind may have written after it
        done = DONE.format(nonce=nonce).encode()
        at = text.rfind(done)
        completed = started and code == 0 and not timed_out and at >= 0
        total = self.total - (len(START) if started else 0)
        if at >= 0:
            text, total = text[:at] + text[at + len(done) :], total - len(done)
        return SandboxRun(
            started=started,
            completed=completed,
            exit_code=None if timed_out else code,
            timed_out=timed_out,
            output=text[-self.keep :].decode("utf-8", "replace"),
            output_bytes=total,
            elapsed_ms=elapsed * 1000,
        )


def launcher_argv(python: str, limits: Limits, timeout: float) -> list[str]:
    """The interpreter command every sandbox runs inside (see the module docstring)."""
    interpreter = [python, "-S", "-E", "-s", "-B", "-c", LAUNCHER]
    return [*interpreter, "/input", "/work", *limits.rlimits(timeout)]
