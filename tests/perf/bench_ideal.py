"""Run time after start-up over the ideal: 100 tasks, two candidates on two endpoints, the
judge on the larger one, 200 ms per request (target: 1.15 or less).

The ideal is what the servers allow: each endpoint serves its requests `slots` at a time,
so it needs ceil(requests / slots) rounds of the latency, and no key finishes before its
answer and then its grade (two rounds). The larger endpoint serves one candidate and every
grade (300 requests on 4 slots: 75 rounds, 15 s); the small one the other candidate (100
on 2 slots: 10 s). It can always be fed (its own candidate's answers need nothing first),
so the bound is reached by a perfect client, and "run time" is measured from the moment
the plan is ready (litellm imported) to the last record durable, probes included.

    python tests/perf/bench_ideal.py
    python tests/perf/bench_ideal.py --checks   # + a 50 ms python check on every task

With `--checks`, every task carries a `python` check that keeps a core busy for 50 ms, and
every candidate answer holds a python block, so each of the 200 answers is checked in the
real sandbox (bwrap) before it is graded: the ratio shows whether checks, which run off the
event loop in a pool of at most one per core, keep the endpoints from being fed.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path

from harness import PERF, PYTHON, loopback, measure, report, verdict, write_project

TASKS = 100
LATENCY = 0.2
SLOTS = {"small": 2, "large": 4}
TARGET = 1.15
CHECK = {
    "id": "busy-50ms",
    "kind": "python",
    "severity": "minor",
    "code": "import time\nend = time.perf_counter() + 0.05\nwhile time.perf_counter() < end:\n"
    "    pass\nimport solution\n",
}
"""50 ms of CPU in the sandbox, then the answer's code imported: a check of every task."""
CODE_PROMPT = "\n```python\nvalue = {index}\n```\n"
"""A prompt the loopback server echoes into its answer (its first 60 characters), so every
answer holds a python block for the check to run."""


def ideal_seconds(requests: dict[str, int], slots: dict[str, int], latency: float) -> float:
    """The servers' own floor: the busiest endpoint's rounds, and never under the two
    dependent requests (answer, then grade) of one key."""
    rounds = max(math.ceil(requests[name] / slots[name]) for name in requests)
    return max(rounds, 2) * latency


def add_checks(project: Path) -> None:
    """Give every task of the project's suite the 50 ms check and a prompt whose echo is a
    python block."""
    data = project / "suites" / "gen" / "data" / "test.jsonl"
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    for index, row in enumerate(rows):
        row["prompt"] = CODE_PROMPT.format(index=index)
        row["checks"] = [CHECK]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))


def main(checks: bool = False) -> bool:
    """Measure once; True when the target holds."""
    requests = {"small": TASKS, "large": TASKS + 2 * TASKS}
    ideal = ideal_seconds(requests, SLOTS, LATENCY)
    models = ["cand-small", "cand-large", "judge"]
    with (
        loopback(LATENCY, SLOTS["small"], models) as small,
        loopback(LATENCY, SLOTS["large"], models) as large,
        tempfile.TemporaryDirectory() as tmp,
    ):
        project = write_project(
            Path(tmp),
            {"small": (small.url, SLOTS["small"]), "large": (large.url, SLOTS["large"])},
            {"cand-small": "small", "cand-large": "large", "judge": "large"},
            ["cand-small", "cand-large"],
            "judge",
            TASKS,
        )
        if checks:
            add_checks(project)
        run = json.loads(measure([PYTHON, str(PERF / "drive.py"), str(project)]).stdout)
        served = {"small": small.stats(), "large": large.stats()}
    assert run["records"] == 2 * TASKS, run
    name = "ideal+checks" if checks else "ideal"
    if checks:
        report(f"{name}: checks run, passed", run["checks_run"], "", passed=run["checks_passed"])
        report(f"{name}: median wall time of a check", run["check_ms_median"], "ms")
    assert all(served[n]["chats"] == requests[n] for n in requests), served
    report(f"{name}: run time after start-up", run["run_wall"], "s", ideal=ideal)
    for endpoint, stats in served.items():
        report(
            f"{name}: {endpoint} endpoint slots used at once",
            stats["max_active"],
            "",
            of=SLOTS[endpoint],
        )
    return verdict(f"{name}: run time / ideal", run["run_wall"] / ideal, TARGET, "computed ideal")


if __name__ == "__main__":
    main(checks="--checks" in sys.argv[1:])
