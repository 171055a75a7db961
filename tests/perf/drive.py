"""Run evalkit in this process with the run phase timed apart from start-up.

    python tests/perf/drive.py PROJECT_DIR [RUNFILE] [--pairwise]

Prints one JSON object: `startup` (interpreter to a prepared plan, litellm imported),
`litellm_import` (the part of start-up spent importing litellm), `run_wall` and
`run_cpu` (probes, every request, every record durable), `records`, `checks_run`,
`checks_passed` and `check_ms_median` (check results in the records, and a check's median
wall time), `summary_s` (the end-of-run summary the CLI prints, streamed from the run
file), `tuning` (what evalkit switched off in litellm) and `peak_rss_mb` (all of it). With
`--pairwise`, the profile's two candidates are judged side by side (`run --pairwise`)
instead.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()


def main(project: Path, out: Path, pairwise: bool = False) -> dict:
    """Prepare, then time probes plus execute."""
    from evalkit.analysis.summary import summarize_file
    from evalkit.endpoints.litellm_tuning import applied
    from evalkit.endpoints.pool import import_litellm
    from evalkit.run.pairwise import execute_pairs, prepare_pairwise
    from evalkit.run.prepare import RunOptions
    from evalkit.run.runner import execute, probe_plan
    from evalkit.run.setup import prepare

    options = RunOptions(suite="gen", config=str(project / "evalkit.toml"), out=str(out))
    paired = prepare_pairwise(options) if pairwise else None
    prepared = paired.prepared if paired else prepare(options)
    before_import = time.perf_counter()
    import_litellm()
    litellm_import = time.perf_counter() - before_import
    records = 0
    checks = {"run": 0, "passed": 0}
    check_ms: list[float] = []

    def count(record: object) -> None:
        nonlocal records
        records += 1
        for result in getattr(record, "checks", []):
            checks["run"] += result.passed is not None
            checks["passed"] += result.passed is True
            check_ms.append(result.duration_ms)

    async def run() -> None:
        health = await probe_plan(prepared.plan)
        with prepared.open(health) as writer:
            if paired:
                await execute_pairs(
                    prepared.plan, paired.judge, paired.pairs, writer, paired.done, count
                )
            else:
                await execute(prepared.plan, writer, count)

    startup = time.perf_counter() - STARTED
    wall, cpu = time.perf_counter(), time.process_time()
    asyncio.run(run())
    run_wall, run_cpu = time.perf_counter() - wall, time.process_time() - cpu
    summarized = time.perf_counter()
    if not pairwise and summarize_file(out).records != records:
        raise RuntimeError("the summary does not count every record")
    return {
        "startup": startup,
        "litellm_import": litellm_import,
        "run_wall": run_wall,
        "run_cpu": run_cpu,
        "records": records,
        "checks_run": checks["run"],
        "checks_passed": checks["passed"],
        "check_ms_median": statistics.median(check_ms) if check_ms else None,
        "summary_s": time.perf_counter() - summarized,
        "tuning": applied(),
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), MiB. Read here rather than from the
    parent's wait4: a child's ru_maxrss starts from its parent's size at spawn."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--pairwise"]
    project = Path(args[0])
    out = Path(args[1]) if len(args) > 1 else project / "results" / "run.jsonl"
    print(json.dumps(main(project, out, "--pairwise" in sys.argv)))
