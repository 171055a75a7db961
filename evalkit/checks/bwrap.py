"""The default sandbox: bubblewrap (`bwrap`, Debian package `bubblewrap`), Linux only.

What the check's process gets (see `BwrapSandbox.command`):
- no network: a new network namespace with only a loopback of its own (`--unshare-net`);
- new pid, ipc, uts and cgroup namespaces; a fresh /proc showing only its own processes;
- a read-only view of the system: /usr (and the /bin, /lib... links or dirs), the dynamic
  linker's cache, and the Python installation running evalkit; nothing else of the host,
  so no home directory, no project files, no config with keys;
- writable: only /work (its work dir), /tmp and /dev/shm, each a fresh size-limited
  tmpfs (the sandbox's own root is remounted read-only);
- an empty environment (`--clearenv`) but PATH=/usr/bin:/bin;
- `--new-session` (no terminal injection) and `--die-with-parent`;
- on a root host: no capability but CAP_SETUID/SETGID, used once by the launcher to become
  uid 65534 before any check code runs; otherwise an unprivileged user namespace in which
  no further user namespace may be made (`--disable-userns`).

What it does not bound, and a container engine does: memory per check (RLIMIT_AS is per
process, so a check may hold up to `processes * memory_mb`, 8 GiB with the defaults), and
on a root host the process count per check: every check runs as uid 65534, so checks
running at once (at most one per core) share one RLIMIT_NPROC count.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
from pathlib import Path

from evalkit.checks.sandbox import Limits, SandboxRun, Staged, launcher_argv, run_staged

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
"""Mounted read-only when present (a top-level link such as /bin -> usr/bin is recreated as
that link)."""
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime")
"""Mounted read-only when present: what the dynamic linker and `time` read."""
PATH = "/usr/bin:/bin"
"""The only environment variable the check gets."""


class BwrapSandbox:
    """Runs `python` checks under bubblewrap; see the module docstring for what they get."""

    name = "bwrap"

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        bwrap: str | None = None,
        python: str | None = None,
    ) -> None:
        self.limits = limits or Limits()
        """What each check may use."""
        self.bwrap = bwrap or shutil.which("bwrap") or "bwrap"
        """The bwrap executable."""
        self.python = python or os.path.realpath(sys.executable)
        """The interpreter run inside: by default the one running evalkit, resolved past
        any venv or version-manager shim so its real installation can be mounted."""

    def run(self, solution: str, check: str, timeout: float) -> SandboxRun:
        """Run `check` beside `solution` under bwrap within `timeout` seconds."""
        return run_staged(
            solution,
            check,
            timeout,
            self.limits,
            lambda staged: self.command(staged, timeout),
            on_timeout=kill_namespace,
        )

    def command(self, staged: Staged, timeout: float) -> list[str]:
        """The whole bwrap command line for one staged check."""
        root = os.geteuid() == 0
        return [
            self.bwrap,
            "--die-with-parent",
            "--new-session",
            *_namespaces(root),
            *_system_mounts(),
            *_python_mounts(self.python),
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            *_scratch("/tmp", self.limits.scratch_mb),
            *_scratch("/dev/shm", self.limits.scratch_mb),
            *_scratch("/work", self.limits.scratch_mb),
            "--ro-bind",
            str(staged.directory),
            "/input",
            "--remount-ro",
            "/",
            "--chdir",
            "/work",
            "--clearenv",
            "--setenv",
            "PATH",
            PATH,
            *launcher_argv(self.python, self.limits, timeout),
        ]


def kill_namespace(bwrap_pid: int) -> None:
    """Kill the init of bwrap's pid namespace (bwrap's child): the kernel then kills every
    process in the namespace, and bwrap exits only once they are all gone, so waiting for
    bwrap waits for them. Killing bwrap itself first would leave that teardown running
    after it (its child dies by `--die-with-parent`, asynchronously)."""
    children = Path(f"/proc/{bwrap_pid}/task/{bwrap_pid}/children")
    with contextlib.suppress(OSError):
        for pid in children.read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def _namespaces(root: bool) -> list[str]:
    common = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    common.append("--unshare-cgroup-try")
    if root:
        # No user namespace: in one, uid 65534 would map back to root, which
        # RLIMIT_NPROC exempts. The launcher needs SETUID/SETGID once to drop to it.
        caps = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        return common + caps
    return [*common, "--unshare-user", "--disable-userns"]


def _system_mounts() -> list[str]:
    args: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in SYSTEM_FILES:
        args += ["--ro-bind-try", path, path]
    return args


def _python_mounts(python: str) -> list[str]:
    """The interpreter's installation (the directory above its bin/) unless /usr holds it;
    its parent directories are made traversable (a 0700 /root would hide it from uid 65534)."""
    wanted = {Path(python).resolve().parent.parent}
    args: list[str] = []
    made: set[Path] = set()
    system = [Path(d) for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)]
    for place in sorted(wanted):
        inside = [*system, *(other for other in wanted if other != place)]
        if any(place.is_relative_to(outer) for outer in inside):
            continue
        for parent in reversed(place.parents):
            if parent != Path("/") and parent not in made:
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        args += ["--ro-bind", str(place), str(place)]
    return args


def _scratch(path: str, size_mb: int) -> list[str]:
    """A fresh tmpfs anyone in the sandbox may write, of at most `size_mb` MiB."""
    return ["--perms", "1777", "--size", str(size_mb * 1024 * 1024), "--tmpfs", path]
