"""Choosing a sandbox by name, and telling whether it works here.

Guarantees:
- `sandbox_status` never raises for a sandbox that is missing or broken: it runs a trivial
  check in it and says whether it worked, what failed, and what to do about it (for Linux
  and macOS alike).
- `find_sandbox` returns a sandbox only after that trivial check passed in it; otherwise it
  raises `SandboxUnavailable` (a ConfigError: the CLI exits 2) with the same advice. There is
  no fallback to running code on the host.
"""

from __future__ import annotations

import shutil
import sys

from pydantic import BaseModel, ConfigDict

from evalkit.checks.bwrap import BwrapSandbox
from evalkit.checks.container import ContainerSandbox
from evalkit.checks.sandbox import Limits, Sandbox, SandboxUnavailable
from evalkit.errors import ConfigError

SANDBOXES = ("bwrap", "podman", "docker")
"""The names a config may choose."""
PROBE = "import solution\nprint('sandbox ok')\n"
"""The trivial check a status runs: it must import solution.py and exit 0."""
SKIP = "or run with `--checks skip` (python checks are then recorded as not run)"

LINUX_INSTALL = (
    "install bubblewrap: `sudo apt-get install bubblewrap` (Debian, Ubuntu), "
    "`sudo dnf install bubblewrap` (Fedora), `sudo pacman -S bubblewrap` (Arch); "
    f"or choose podman or docker as the sandbox; {SKIP}"
)
MACOS = (
    "bwrap (bubblewrap) does not exist on macOS: choose a container engine as the sandbox "
    f"(podman or docker, e.g. `brew install podman`), {SKIP}"
)
OTHER_OS = (
    f"bwrap (bubblewrap) exists only on Linux: choose podman or docker as the sandbox, {SKIP}"
)
USERNS = (
    "bwrap could not create its namespaces: unprivileged user namespaces look disabled. "
    "Debian: `sudo sysctl kernel.unprivileged_userns_clone=1`; Ubuntu 23.10+: "
    "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile for "
    "bwrap; inside a container, bwrap needs a privileged one. Or choose podman or docker as "
    f"the sandbox, {SKIP}"
)


class SandboxStatus(BaseModel):
    """Whether a sandbox works here, as `check` reports it."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str
    """The sandbox's name: bwrap, podman or docker."""
    works: bool
    """A trivial check ran in it and passed."""
    detail: str
    """What the probe found: its time when it worked, the sandbox's error when not."""
    advice: str | None = None
    """What to do to get a working sandbox; None when it works."""


def make_sandbox(name: str, limits: Limits | None = None) -> Sandbox:
    """The sandbox called `name`, not yet probed; ConfigError for an unknown name."""
    if name == "bwrap":
        return BwrapSandbox(limits)
    if name in ("podman", "docker"):
        return ContainerSandbox(name, limits)
    raise ConfigError(f"unknown sandbox {name!r} (one of: {', '.join(SANDBOXES)})")


def sandbox_status(
    name: str = "bwrap", limits: Limits | None = None, timeout: float = 60.0
) -> SandboxStatus:
    """Run a trivial check in the sandbox `name` and say whether it works (see module)."""
    missing = _missing(name)
    if missing is not None:
        return SandboxStatus(name=name, works=False, detail=missing[0], advice=missing[1])
    sandbox = make_sandbox(name, limits)
    try:
        run = sandbox.run("", PROBE, timeout)
    except OSError as exc:
        return SandboxStatus(name=name, works=False, detail=str(exc), advice=_advice(name, ""))
    if run.completed:
        return SandboxStatus(
            name=name, works=True, detail=f"a check ran in {run.elapsed_ms:.0f} ms"
        )
    output = run.output.strip()[-500:] or "no output"
    what = "timed out" if run.timed_out else f"exit {run.exit_code}"
    return SandboxStatus(
        name=name,
        works=False,
        detail=f"the probe failed ({what}): {output}",
        advice=_advice(name, output),
    )


def find_sandbox(name: str = "bwrap", limits: Limits | None = None) -> Sandbox:
    """The sandbox `name` once it ran a trivial check, else SandboxUnavailable (exit 2)."""
    status = sandbox_status(name, limits)
    if not status.works:
        raise SandboxUnavailable(
            f"sandbox {name} does not work here: {status.detail}. {status.advice}"
        )
    return make_sandbox(name, limits)


def _missing(name: str) -> tuple[str, str] | None:
    """(detail, advice) when the sandbox's executable is not installed."""
    if name not in SANDBOXES:
        raise ConfigError(f"unknown sandbox {name!r} (one of: {', '.join(SANDBOXES)})")
    if shutil.which(name) is not None:
        return None
    if name != "bwrap":
        return (
            f"{name} is not installed (not on PATH)",
            f"install {name}, or choose another sandbox, {SKIP}",
        )
    if sys.platform == "darwin":
        return "bwrap is not available on macOS", MACOS
    if not sys.platform.startswith("linux"):
        return f"bwrap is not available on {sys.platform}", OTHER_OS
    return "bwrap is not installed (not on PATH)", LINUX_INSTALL


def _advice(name: str, output: str) -> str:
    if name == "bwrap":
        lowered = output.lower()
        if "namespace" in lowered or "uid map" in lowered or "permission" in lowered:
            return USERNS
        return f"see the error above; or choose podman or docker as the sandbox, {SKIP}"
    return f"check that `{name} run` works for this user (and can pull the image), {SKIP}"
