"""The container sandbox, for hosts without bubblewrap (macOS) or users who prefer one:
podman or docker runs each check in a throwaway container of a Python image.

The container gets what bwrap gives (see evalkit.checks.bwrap): no network
(`--network none`), a read-only root (`--read-only`), size-limited tmpfs for /work, /tmp and
/dev/shm, the staged files read-only at /input, uid 65534, no capabilities and no new
privileges, and only PATH in its environment (an engine passes no host variable unless
told). The engine's cgroup limits bound the whole container: `--memory` (swap included)
and `--pids-limit`, beside the launcher's per-process limits. On a timeout the container
is killed by name, as well as the engine's client process group.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess

from evalkit.checks.sandbox import NOBODY, Limits, SandboxRun, Staged, launcher_argv, run_staged

IMAGE = "docker.io/library/python:3.11-slim"
"""The default image: any image with `python3` on its PATH works."""


class ContainerSandbox:
    """Runs `python` checks in podman or docker containers."""

    def __init__(
        self,
        engine: str = "podman",
        limits: Limits | None = None,
        *,
        image: str = IMAGE,
        executable: str | None = None,
    ) -> None:
        self.name = engine
        """podman or docker (their `run` flags used here are the same)."""
        self.limits = limits or Limits()
        """What each check may use."""
        self.image = image
        """The image the checks run in; it must have python3."""
        self.executable = executable or shutil.which(engine) or engine
        """The engine's client executable."""

    def run(self, solution: str, check: str, timeout: float) -> SandboxRun:
        """Run `check` beside `solution` in a fresh container within `timeout` seconds."""
        container = f"evalkit-check-{secrets.token_hex(6)}"
        return run_staged(
            solution,
            check,
            timeout,
            self.limits,
            lambda staged: self.command(staged, timeout, container),
            on_timeout=lambda _pid: self.kill(container),
            readable=True,
        )

    def command(self, staged: Staged, timeout: float, container: str) -> list[str]:
        """The whole `ENGINE run` command line for one staged check."""
        limits = self.limits
        memory = f"{limits.memory_mb}m"
        return [
            self.executable,
            "run",
            "--rm",
            "--interactive",  # the launcher reads its nonce from stdin
            "--name",
            container,
            "--network",
            "none",
            "--read-only",
            "--user",
            f"{NOBODY}:{NOBODY}",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges",
            "--memory",
            memory,
            "--memory-swap",
            memory,
            "--pids-limit",
            str(limits.processes),
            *_tmpfs("/work", limits.scratch_mb),
            *_tmpfs("/tmp", limits.scratch_mb),
            *_tmpfs("/dev/shm", limits.scratch_mb),
            "--volume",
            f"{staged.directory}:/input:ro,Z",
            "--workdir",
            "/work",
            "--env",
            "PATH=/usr/local/bin:/usr/bin:/bin",
            self.image,
            *launcher_argv("python3", limits, timeout),
        ]

    def kill(self, container: str) -> None:
        """Kill the container (the client's death alone may leave it running)."""
        # on failure the client is killed next; `--rm` removes the container once it stops
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(
                [self.executable, "kill", container],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
                check=False,
            )


def _tmpfs(path: str, size_mb: int) -> list[str]:
    return ["--tmpfs", f"{path}:rw,size={size_mb}m,mode=1777"]
