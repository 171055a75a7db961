"""What the sandbox costs per `python` check: a trivial check (`pass`) run through
BwrapSandbox (stage the files, bwrap, the launcher, clean up), against the interpreter
started as a plain subprocess: `python -c pass`, and `python -S -E -s -B -c pass`, the
flags the sandbox starts it with (no site-packages: the fair floor, and much the cheaper
where site-packages hold many .pth files). Median of 20 runs each, interleaved so that other
load on the machine falls on all three alike.

    python tests/perf/bench_sandbox.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from harness import PYTHON, REPO, report

sys.path.insert(0, str(REPO))
from evalkit.checks import BwrapSandbox

RUNS = 20


def timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def main(runs: int = RUNS) -> bool:
    """Measure; figures only (the issue asks for the cost in the README, not a target)."""
    sandbox = BwrapSandbox()

    def plain() -> None:
        subprocess.run([PYTHON, "-c", "pass"], check=True)

    def nosite() -> None:
        subprocess.run([PYTHON, "-S", "-E", "-s", "-B", "-c", "pass"], check=True)

    def sandboxed() -> None:
        run = sandbox.run("", "pass", 30)
        if not run.completed:
            raise RuntimeError(f"the trivial check did not pass: {run}")

    sandboxed()  # first use: page cache, pydantic models
    times: dict[str, list[float]] = {"plain": [], "nosite": [], "sandboxed": []}
    for _ in range(runs):
        for name, action in (("plain", plain), ("nosite", nosite), ("sandboxed", sandboxed)):
            times[name].append(timed(action))
    median = {name: statistics.median(values) for name, values in times.items()}
    report("sandbox: python -c pass (median)", median["plain"] * 1000, "ms")
    report("sandbox: python -S -E -s -B -c pass (median)", median["nosite"] * 1000, "ms")
    report(
        "sandbox: trivial check in bwrap (median)",
        median["sandboxed"] * 1000,
        "ms",
        vs_plain=round(median["sandboxed"] / median["plain"], 2),
        vs_same_flags=round(median["sandboxed"] / median["nosite"], 2),
        extra_ms=round((median["sandboxed"] - median["nosite"]) * 1000, 1),
    )
    return True


if __name__ == "__main__":
    main()
