"""Peak memory of a run over generated suites of 10,000, 50,000 and 100,000 tasks against
a fast loopback server (no latency, 8 slots): under 400 MB, and flat as the suite grows.

Each size runs as a fresh process (tests/perf/drive.py: prepare, probes, every key
answered, graded and written) and reports its own peak resident memory (VmHWM). The
suite streams (it is read again on each pass, never held) and records are written, not
kept, so the peak is the imports' floor plus a constant. The smallest size is the
baseline of the flatness ratio. Each size takes 2 requests per task: 17 minutes for
100,000 tasks on 2 cores; `--quick` runs 2,000/5,000/10,000. `--pairwise` measures a
pairwise run of two candidates instead (`run --pairwise`: 4 requests per task), through the
same lanes and writer.

    python tests/perf/bench_memory.py [--quick] [--pairwise]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from harness import PERF, PYTHON, loopback, measure, report, verdict, write_project

SIZES = (10_000, 50_000, 100_000)
QUICK = (2_000, 5_000, 10_000)
LIMIT_MB = 400.0
FLAT = 1.1
"""Peak of the largest suite over the smallest's: flat means this or less."""


def peak(size: int, url: str, root: Path, pairwise: bool = False) -> tuple[float, dict]:
    """Peak RSS (MiB) and phases of one run over a suite of `size` tasks."""
    candidates = ["cand", "cand2"] if pairwise else ["cand"]
    project = write_project(
        root / str(size),
        {"srv": (url, 8)},
        {**dict.fromkeys(candidates, "srv"), "judge": "srv"},
        candidates,
        "judge",
        size,
    )
    flags = ["--pairwise"] if pairwise else []
    run = measure([PYTHON, str(PERF / "drive.py"), str(project), *flags])
    phases = json.loads(run.stdout)
    if phases["records"] != size:
        raise RuntimeError(f"{size} tasks gave {phases['records']} records")
    return phases["peak_rss_mb"], phases


def main(sizes: tuple[int, ...] = SIZES, pairwise: bool = False) -> bool:
    """Measure every size; True when the largest is under the limit and the curve flat."""
    peaks = {}
    kind = "pairwise, " if pairwise else ""
    models = ["cand", "cand2", "judge"]
    with loopback(0.0, 8, models) as server, tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            peaks[size], phases = peak(size, server.url, Path(tmp), pairwise)
            report(
                f"memory: peak RSS, {kind}{size:,} tasks",
                peaks[size],
                "MiB",
                run_s=round(phases["run_wall"], 1),
            )
    largest, smallest = peaks[sizes[-1]], peaks[sizes[0]]
    under = verdict(
        f"memory: {kind}{sizes[-1]:,} tasks / {LIMIT_MB:.0f} MiB",
        largest / LIMIT_MB,
        1.0,
        f"{LIMIT_MB:.0f} MiB",
    )
    flat = verdict(
        f"memory: {kind}{sizes[-1]:,} / {sizes[0]:,} tasks",
        largest / smallest,
        FLAT,
        f"{sizes[0]:,} tasks",
    )
    return under and flat


if __name__ == "__main__":
    main(QUICK if "--quick" in sys.argv else SIZES, "--pairwise" in sys.argv)
