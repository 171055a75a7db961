"""Every benchmark, one command; prints each figure as it is measured, then every ratio
against its target.

    pip install -e ".[bench]"                # inspect-ai, for the comparison
    python tests/perf/run_all.py             # about 35 minutes on 2 cores
    python tests/perf/run_all.py --quick     # memory on 2k/5k/10k tasks: about 12 minutes

Figures are appended to results/perf.jsonl. Run it on an idle machine: every baseline is
measured in the same run, but other load still shifts absolute times.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import bench_cpu
import bench_ideal
import bench_inspect
import bench_memory
import bench_replicas
import bench_startup
from harness import RESULTS, SUMMARY, report


def machine() -> None:
    """What the figures came from."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    print(f"machine: {os.cpu_count()} cores, {model}; load average {os.getloadavg()[0]:.2f}")
    versions = ", ".join(f"{p} {version(p)}" for p in ("litellm", "inspect-ai", "datasets"))
    print(f"python {platform.python_version()}; {versions}")


def main() -> int:
    """Run every benchmark; exit 1 when a target does not hold."""
    quick = "--quick" in sys.argv
    RESULTS.unlink(missing_ok=True)
    machine()
    benches: list[tuple[str, Callable[[], bool]]] = [
        ("ideal", bench_ideal.main),
        ("inspect", bench_inspect.main),
        ("cpu", bench_cpu.main),
        ("startup", bench_startup.main),
        ("replicas", bench_replicas.main),
        ("memory", lambda: bench_memory.main(bench_memory.QUICK if quick else bench_memory.SIZES)),
    ]
    for name, bench in benches:
        began = time.perf_counter()
        try:
            bench()
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            SUMMARY.append((f"{name}: FAILED", float("nan"), "", False))
        report(f"({name} took)", time.perf_counter() - began, "s")
    print("\nratio                                              value  target   holds")
    for name, ratio, bound, holds in SUMMARY:
        print(f"{name:<48} {ratio:>7.3f}  {bound:<7} {'yes' if holds else 'NO'}")
    return 0 if all(holds for *_, holds in SUMMARY) else 1


if __name__ == "__main__":
    sys.exit(main())
