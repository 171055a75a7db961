"""Two shards on two servers, then merged, against one run on one server (target: at most
0.55 times its wall time, with the same keys and statuses).

Each loopback server process holds a request 1 s in one of 4 slots, as a pod serving 4 at
once would (a real one takes longer). The suite has 160 tasks and two candidates: `cand`,
on the server, and `gone`, which no server has (its keys are `unavailable`, so the
statuses compared are not all alike). One run asks one server for all of it; `run --shard
1/2` and `--shard 2/2` run at once, each against its own server (two machines, two pods),
and `merge` joins them.

What is timed: for the whole run, its run phase (probes, every request, every record
durable); for the shards, from their run phases starting (together: each child prepares,
imports litellm, then waits for the word) to the last one's ending, plus the whole
`python -m evalkit merge` process. Interpreter and litellm start-up is left out of the
target and reported apart (end to end, start-up included): every run pays it once, on
each machine at the same time, and sharding does not divide it; on this 2-core machine
the two shards' start-ups also compete for the same cores, which two machines would not.

Why requests of 1 s: what sharding cannot divide is a few seconds a run (the pipeline's
tail, where the last answers wait for their grades and slots idle, about one to two
request latencies; the merge, 0.5 to 0.9 s), so the ratio tends to 0.5 as the run grows.
At 250 ms a request and 120 tasks (a 15 s run) it was 0.60 to 0.63 on this loaded
machine; at 1 s and 160 tasks (an 80 s run), 0.52.

    python tests/perf/bench_shards.py       # about 5 minutes
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import PYTHON, loopback, measure, report, verdict, write_project

TASKS = 160
LATENCY = 1.0
SLOTS = 4
TARGET = 0.55
ROUNDS = 2
"""Each layout is timed this many times and the fastest kept: other load on a shared
machine only ever adds time."""


def child(project: Path, out: Path, shard: str | None, url: str) -> dict:
    """In a child process: prepare, then run, timed with the wall clock (so phases of two
    processes can be laid on one time line)."""
    import asyncio

    from evalkit.endpoints.pool import import_litellm
    from evalkit.run.prepare import RunOptions
    from evalkit.run.runner import execute, probe_plan
    from evalkit.run.setup import prepare

    options = RunOptions(
        suite="gen",
        config=str(project / "evalkit.toml"),
        out=str(out),
        shard=shard,
        endpoints=[f"srv={url}"],
    )
    prepared = prepare(options)
    import_litellm()
    print("READY", flush=True)
    sys.stdin.readline()  # the parent says go when every run of the layout is ready

    marks: dict[str, float] = {}

    def first(_: object) -> None:
        marks.setdefault("first_record", time.time())
        marks["last_record"] = time.time()

    async def run() -> None:
        health = await probe_plan(prepared.plan)
        marks["probed"] = time.time()
        with prepared.open(health) as writer:
            await execute(prepared.plan, writer, first)

    started, cpu = time.time(), time.process_time()
    asyncio.run(run())
    ended = time.time()
    return {
        "started": started,
        "ended": ended,
        "cpu": time.process_time() - cpu,
        "probe_s": marks["probed"] - started,
        "first_record_s": marks["first_record"] - started,
        "after_last_record_s": ended - marks["last_record"],
    }


def spawn(project: Path, out: Path, shard: str | None, url: str) -> subprocess.Popen:
    """A run in a child process, prepared (suite loaded, litellm imported) and waiting."""
    command = [PYTHON, __file__, "--child", str(project), str(out), shard or "-", url]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return process


def start(processes: list[subprocess.Popen]) -> None:
    """Once every run is prepared, let them all go at once: as machines started together
    would, whatever one interpreter's start-up took on this busy machine."""
    for process in processes:
        if process.stdout is None or process.stdout.readline().strip() != "READY":
            raise RuntimeError("a run failed before it started")
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()


def finish(process: subprocess.Popen, began: float) -> dict:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"a run failed ({process.returncode})")
    return {**json.loads(out), "process_wall": time.time() - began}


def statuses(path: Path) -> dict[tuple, str]:
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    found = {(r["task_id"], r["candidate"], r["judge"]): r["status"] for r in lines}
    return found


def whole(project: Path, url: str, number: int) -> tuple[float, float, Path]:
    """One run against one server: (run-phase wall, process wall, run file)."""
    out = project / "results" / f"whole-{number}.jsonl"
    began = time.time()
    process = spawn(project, out, None, url)
    start([process])
    timed = finish(process, began)
    return timed["ended"] - timed["started"], timed["process_wall"], out


def sharded(project: Path, urls: list[str], number: int) -> tuple[float, float, float, Path]:
    """Two shards at once, one per server, then merged: (run-phase span plus merge, process
    wall plus merge, merge wall, merged run file)."""
    outs = [project / "results" / f"shard{i}-{number}.jsonl" for i in (1, 2)]
    began = time.time()
    running = [
        spawn(project, out, f"{i}/2", url)
        for i, (out, url) in enumerate(zip(outs, urls, strict=True), start=1)
    ]
    start(running)
    timed = [finish(process, began) for process in running]
    span = max(t["ended"] for t in timed) - min(t["started"] for t in timed)
    merged = project / "results" / f"merged-{number}.jsonl"
    merge = measure([PYTHON, "-m", "evalkit", "merge", *map(str, outs), "-o", str(merged)])
    process_wall = max(t["process_wall"] for t in timed)
    return span + merge.wall, process_wall + merge.wall, merge.wall, merged


def main() -> bool:
    """Measure; True when the target holds and the merged keys and statuses are the whole
    run's."""
    with (
        loopback(LATENCY, SLOTS, ["cand", "judge"]) as first,
        loopback(LATENCY, SLOTS, ["cand", "judge"]) as second,
        tempfile.TemporaryDirectory() as tmp,
    ):
        project = write_project(
            Path(tmp),
            {"srv": (first.url, SLOTS)},
            {"cand": "srv", "gone": "srv", "judge": "srv"},
            ["cand", "gone"],
            "judge",
            TASKS,
        )
        wholes = [whole(project, first.url, n) for n in range(ROUNDS)]
        shards = [sharded(project, [first.url, second.url], n) for n in range(ROUNDS)]
        one, one_process, one_file = min(wholes)
        two, two_process, merge_wall, merged = min(shards)
        same = statuses(merged) == statuses(one_file)
        keys = len(statuses(merged))
    ideal = 2 * TASKS * LATENCY / SLOTS
    report("shards: one run, one server", one, "s", ideal=ideal, process=one_process)
    report(
        "shards: two shards + merge",
        two,
        "s",
        ideal=ideal / 2,
        merge=merge_wall,
        process=two_process,
    )
    report("shards: merged keys and statuses = one run's", float(same), "", keys=keys)
    report("shards: end to end, start-up included", two_process / one_process, "x")
    held = verdict("shards: two shards + merge / one run", two / one, TARGET, "one run")
    return held and same


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        project, out, shard, url = sys.argv[2:6]
        timed = child(Path(project), Path(out), None if shard == "-" else shard, url)
        print(json.dumps(timed))
    else:
        sys.exit(0 if main() else 1)
