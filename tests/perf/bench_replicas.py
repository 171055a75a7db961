"""Throughput of one model on two replicas against one server: `replicas = [url, url]`
balanced by litellm's Router (target: 1.8 times or more).

Each server process holds a request 250 ms with 4 slots, as a GPU pod serving 4 at once
would (a real one takes seconds); the endpoint has `concurrency = 4` (per server). The same
run, 120 tasks answered and graded on that endpoint, is timed against one server, then
against two replicas. At 100 ms a request, two replicas ask 80 requests a second of the
client, and on a busy 2-core machine its CPU (about 5 ms a call) becomes the limit
instead of the servers.

    python tests/perf/bench_replicas.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from harness import drive, loopback, report, verdict, write_project

TASKS = 120
LATENCY = 0.25
SLOTS = 4
TARGET = 1.8


def throughput(root: Path, where: str | list[str]) -> float:
    """Graded samples per second of one run against `where`."""
    project = write_project(
        root, {"srv": (where, SLOTS)}, {"cand": "srv", "judge": "srv"}, ["cand"], "judge", TASKS
    )
    return TASKS / drive(project)["run_wall"]


def main() -> bool:
    """Measure; True when the target holds."""
    models = ["cand", "judge"]
    with (
        loopback(LATENCY, SLOTS, models) as first,
        loopback(LATENCY, SLOTS, models) as second,
        tempfile.TemporaryDirectory() as tmp,
    ):
        one = throughput(Path(tmp) / "one", first.url)
        first.reset()
        two = throughput(Path(tmp) / "two", [first.url, second.url])
        served = [first.stats(), second.stats()]
    ideal_one = SLOTS / LATENCY / 2
    report("replicas: one server", one, "/s", ideal=ideal_one)
    report("replicas: two replicas", two, "/s", ideal=2 * ideal_one)
    for number, stats in enumerate(served, start=1):
        report(
            f"replicas: requests to replica {number}",
            stats["chats"],
            "",
            max_active=stats["max_active"],
        )
    return verdict("replicas: two / one", two / one, TARGET, "one server", at_least=True)


if __name__ == "__main__":
    main()
