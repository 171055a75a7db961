"""Whole-process time, evalkit against inspect-ai on identical work: 200 samples, each
answered then model-graded, against one loopback server process holding each request
50 ms with 8 slots (target: 0.8 or less). A bare asyncio loop over litellm.acompletion
doing the same calls is measured beside them, and evalkit's seconds are broken down.

Each tool runs as a fresh process, from spawn to exit, three interleaved rounds; the
fastest round of each is kept (other load only ever adds time). inspect-ai runs
tests/perf/inspect_task.py through its `ollama` provider (install the `bench` extra).

    python tests/perf/bench_inspect.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from harness import (
    PERF,
    PYTHON,
    SAMPLE_LATENCY,
    SAMPLE_SLOTS,
    SAMPLES,
    Measured,
    drive,
    loopback,
    measure,
    report,
    sample_project,
    verdict,
)

TARGET = 0.8
ROUNDS = 3
FLOOR = 2 * SAMPLES * SAMPLE_LATENCY / SAMPLE_SLOTS
INSPECT = "from inspect_ai._cli.main import main; main()"
"""inspect's console script, run by the same interpreter (no version-manager shim)."""


def commands(project: Path, url: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    """What each contender runs, and its environment."""
    suite = str(project / "suites" / "gen" / "data" / "test.jsonl")
    evalkit = [PYTHON, "-m", "evalkit", "run", "gen", "--out"]
    inspect = [PYTHON, "-c", INSPECT, "eval", "inspect_task.py", "--model", "ollama/cand"]
    inspect += ["--max-connections", str(SAMPLE_SLOTS), "--log-dir", "inspect-logs"]
    return {
        "evalkit": (evalkit, {}),
        "inspect-ai": (inspect, {"OLLAMA_BASE_URL": f"{url}/v1", "EVALKIT_BENCH_SUITE": suite}),
        "bare litellm loop": ([PYTHON, str(PERF / "bare_loop.py"), url, suite], {}),
    }


def main(rounds: int = ROUNDS) -> bool:
    """Measure; True when the target holds."""
    best: dict[str, Measured] = {}
    with (
        loopback(SAMPLE_LATENCY, SAMPLE_SLOTS, ["cand", "judge"]) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        project = sample_project(Path(tmp), server.url)
        shutil.copy(PERF / "inspect_task.py", project)
        for round_ in range(rounds):
            for name, (command, env) in commands(project, server.url).items():
                if name == "evalkit":
                    command = [*command, str(project / "results" / f"run-{round_}.jsonl")]
                run = measure(command, cwd=project, env=env)
                if name not in best or run.wall < best[name].wall:
                    best[name] = run
        phases = drive(project)
    for name, run in best.items():
        report(f"whole: {name}", run.wall, "s", cpu=run.cpu, rss_mb=run.max_rss_mb)
    _breakdown(best["evalkit"], phases)
    report("whole: evalkit / bare loop", best["evalkit"].wall / best["bare litellm loop"].wall, "x")
    ratio = best["evalkit"].wall / best["inspect-ai"].wall
    return verdict("whole: evalkit / inspect-ai", ratio, TARGET, "inspect-ai, same run")


def _breakdown(whole: Measured, phases: dict) -> None:
    """Where evalkit's seconds go, from one process that times its own phases (drive.py:
    the run command's work and its closing summary, without printing the table)."""
    startup = phases["startup"] - phases["litellm_import"]
    report("whole:   start-up without litellm", startup, "s")
    report("whole:   import litellm (tuned)", phases["litellm_import"], "s")
    report("whole:   run (probes to last record)", phases["run_wall"], "s", floor=FLOOR)
    report("whole:   summary, streamed from the run file", phases["summary_s"], "s")
    accounted = phases["startup"] + phases["run_wall"] + phases["summary_s"]
    report("whole:   exit", phases["wall"] - accounted, "s")
    report("whole:   printing the tables (cli minus the above)", whole.wall - phases["wall"], "s")


if __name__ == "__main__":
    main()
