"""CPU time per graded sample: evalkit against a bare asyncio loop over
`litellm.acompletion` making the same calls (target: 1.2 or less).

Both run as fresh child processes against the same loopback server process (200 samples,
answer then grade, 50 ms, 8 slots); each counts the CPU of its run phase only, after its
imports. The figures are the least of three interleaved rounds: other load on a shared
machine only ever adds CPU time. A third process runs the bare loop with litellm tuned as
evalkit tunes it (`--tuned`): that is what litellm, the event loop and the sockets cost
evalkit per sample, and the rest of evalkit's figure is evalkit's own work.

    python tests/perf/bench_cpu.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from harness import (
    PERF,
    PYTHON,
    SAMPLE_LATENCY,
    SAMPLE_SLOTS,
    SAMPLES,
    drive,
    loopback,
    measure,
    report,
    sample_project,
    verdict,
)

TARGET = 1.2
ROUNDS = 3
TUNING = {"disable_token_counter", "response_cost_calculator", "_schedule_async_success_logging"}


def main(rounds: int = ROUNDS) -> bool:
    """Measure; True when the target holds."""
    ours, bare, tuned = [], [], []
    with (
        loopback(SAMPLE_LATENCY, SAMPLE_SLOTS, ["cand", "judge"]) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        project = sample_project(Path(tmp), server.url)
        suite = project / "suites" / "gen" / "data" / "test.jsonl"
        for _ in range(rounds):
            ours.append(drive(project))
            command = [PYTHON, str(PERF / "bare_loop.py"), server.url, str(suite)]
            bare.append(json.loads(measure(command).stdout))
            tuned.append(json.loads(measure([*command, "--tuned"]).stdout))
    missing = TUNING - set(ours[0]["tuning"])
    if missing:  # a litellm upgrade moved what evalkit switches off
        raise RuntimeError(f"litellm tuning not applied: {sorted(missing)}")
    per_sample = _least_ms(ours)
    inside = _least_ms(tuned)
    bare_per_sample = _least_ms(bare)
    report("cpu: evalkit per graded sample", per_sample, "ms")
    report("cpu:   litellm + loop + sockets (tuned)", inside, "ms")
    report("cpu:   evalkit's own work", per_sample - inside, "ms")
    report("cpu: bare litellm loop per sample", bare_per_sample, "ms")
    return verdict("cpu: evalkit / bare loop", per_sample / bare_per_sample, TARGET, "bare loop")


def _least_ms(runs: list[dict]) -> float:
    """CPU milliseconds per sample of the least costly run."""
    return min(r["run_cpu"] for r in runs) / SAMPLES * 1000


if __name__ == "__main__":
    main()
