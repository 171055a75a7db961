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
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

from harness import PERF, PYTHON, loopback, measure, report, verdict, write_project

TASKS = 100
LATENCY = 0.2
SLOTS = {"small": 2, "large": 4}
TARGET = 1.15


def ideal_seconds(requests: dict[str, int], slots: dict[str, int], latency: float) -> float:
    """The servers' own floor: the busiest endpoint's rounds, and never under the two
    dependent requests (answer, then grade) of one key."""
    rounds = max(math.ceil(requests[name] / slots[name]) for name in requests)
    return max(rounds, 2) * latency


def main() -> bool:
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
        run = json.loads(measure([PYTHON, str(PERF / "drive.py"), str(project)]).stdout)
        served = {"small": small.stats(), "large": large.stats()}
    assert run["records"] == 2 * TASKS, run
    assert all(served[n]["chats"] == requests[n] for n in requests), served
    report("ideal: run time after start-up", run["run_wall"], "s", ideal=ideal)
    for name, stats in served.items():
        report(
            f"ideal: {name} endpoint slots used at once", stats["max_active"], "", of=SLOTS[name]
        )
    return verdict("ideal: run time / ideal", run["run_wall"] / ideal, TARGET, "computed ideal")


if __name__ == "__main__":
    main()
