"""The cache across runs: a re-run of an unchanged suite against the time of `python -m
evalkit --help` plus the suite's load (target: 1.2 or less), and the CPU the cache adds
per graded sample on a cold run (target: 1.05 or less).

Workload: the comparison project (200 tasks, `cand` answers, `judge` grades, a loopback
server process holding each request 50 ms in 8 slots).

- Re-run: one cold `python -m evalkit run gen` fills a fresh cache; then `run gen` again
  must make no chat request (the server's counter proves it). Baseline, measured in the
  same rounds, interleaved: `python -m evalkit --help` plus the suite's load (`load_suite`,
  its imports included, timed inside a child process). The least of three rounds each.
- CPU: drive.py's run-phase CPU per graded sample with the cache on (a fresh, empty file
  each round) against the cache off, least of three interleaved rounds each.

    python tests/perf/bench_cache.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from harness import (
    PERF,
    PYTHON,
    SAMPLE_LATENCY,
    SAMPLE_SLOTS,
    SAMPLES,
    best_of,
    drive,
    loopback,
    measure,
    report,
    sample_project,
    verdict,
)

RERUN_TARGET = 1.2
CPU_TARGET = 1.05
ROUNDS = 3
SUITE_LOAD = """
import time, sys
started = time.perf_counter()
from evalkit.suites.loader import load_suite
suite = load_suite("gen", __import__("pathlib").Path(sys.argv[1]))
assert len(suite.tasks) == int(sys.argv[2])
print(time.perf_counter() - started)
"""


def rerun(server, project: Path, cache: Path, rounds: int) -> bool:
    """A re-run of the unchanged suite against --help plus the suite load, measured in
    interleaved rounds (the least of each: other load only ever adds time)."""
    env = {"EVALKIT_CACHE": str(cache)}
    run = [PYTHON, "-m", "evalkit", "run", "gen", "--out"]
    cold = measure([*run, "results/cold.jsonl"], cwd=project, env=env)
    server.reset()
    warm, helps, loads = [], [], []
    for i in range(rounds):
        warm.append(measure([*run, f"results/warm-{i}.jsonl"], cwd=project, env=env).wall)
        helps.append(best_of(2, [PYTHON, "-m", "evalkit", "--help"]).wall)
        load = measure([PYTHON, "-c", SUITE_LOAD, str(project), str(SAMPLES)])
        loads.append(float(load.stdout))
    chats = server.stats()["chats"]
    if chats:
        raise RuntimeError(f"the re-run made {chats} chat requests; expected none")
    report("cache: cold run (fills the cache)", cold.wall, "s")
    report("cache: re-run, every key from the cache", min(warm), "s", chats=chats)
    report("cache:   python -m evalkit --help", min(helps), "s")
    report("cache:   suite load (200 tasks)", min(loads), "s")
    return verdict(
        "cache: re-run / (--help + suite load)",
        min(warm) / (min(helps) + min(loads)),
        RERUN_TARGET,
        "--help + load_suite",
    )


def cpu(project: Path, root: Path, rounds: int) -> bool:
    """CPU per graded sample on a cold run, cache on (empty) against cache off."""
    on, off = [], []
    for i in range(rounds):
        off.append(drive(project, env={"EVALKIT_CACHE": "off"}))
        on.append(drive(project, env={"EVALKIT_CACHE": str(root / f"cold-{i}.sqlite3")}))
    per_on = min(r["run_cpu"] / r["records"] for r in on) * 1000
    per_off = min(r["run_cpu"] / r["records"] for r in off) * 1000
    report("cache: cpu per graded sample, cache on (cold)", per_on, "ms")
    report("cache: cpu per graded sample, cache off", per_off, "ms")
    share = isolated(per_off)
    report("cache:   its share of a sample's cpu (isolated)", share, "x")
    return verdict("cache: cold cpu, on / off", per_on / per_off, CPU_TARGET, "--no-cache")


ISOLATED = """
import sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from projects import task_row
from evalkit.cache import CacheStore
from evalkit.run.cached import RunCache
from evalkit.run.checking import NO_CHECKS
from evalkit.run.runner import messages_for
from evalkit.types import (Answer, CriterionResult, Grading, JudgeInfo, ModelInfo,
    RunManifest, SuiteInfo, Task, Verdict)
tasks = [Task.model_validate(task_row(i)) for i in range(200)]
notes = [CriterionResult(id=i, met=True, note="n" * 80) for i in ("explains", "brief")]
grading = Grading(
    verdict=Verdict(reasoning="r" * 300, criteria=notes, score=4, label="GOOD"),
    judge_answer=Answer(text="j" * 800, latency_ms=40.0),
)
answer = Answer(text="a" * 1500, latency_ms=50.0, completion_tokens=300, finish_reason="stop")
def model(name):
    return ModelInfo(name=name, endpoint="srv", kind="ollama", litellm_model=name,
                     params={"temperature": 0.3}, identity="sha256:" + "a" * 64)
manifest = RunManifest(
    run_id="r", evalkit_version="0", suite=SuiteInfo(name="g", ref="g", fingerprint="f",
    tasks=200), profile="p", candidates=["cand"], models={"cand": model("cand"),
    "judge": model("judge")}, judge=JudgeInfo(name="j", model="judge"))
best = float("inf")
for _ in range(5):
    with tempfile.TemporaryDirectory() as tmp:
        cache = RunCache(CacheStore(Path(tmp) / "c.sqlite3"), manifest, False, False)
        started = time.process_time()
        for task in tasks:
            key, _ = cache.answer("cand", messages_for(task))
            cache.keep_answer(key, answer)
            key, _ = cache.verdict(task, answer)
            cache.keep_verdict(key, grading, NO_CHECKS)
        best = min(best, (time.process_time() - started) / len(tasks))
        cache.close()
print(best)
"""


def isolated(per_sample_off_ms: float) -> float:
    """The cache's own CPU per graded sample on a cold run (two misses, two writes), timed
    alone (least of five passes over 200 samples), as a share of a sample's CPU."""
    done = measure([PYTHON, "-c", ISOLATED, str(PERF.parent)])
    per_sample = float(done.stdout) * 1000
    report("cache: its own cpu per graded sample (isolated)", per_sample, "ms")
    return per_sample / per_sample_off_ms


def main(rounds: int = ROUNDS) -> bool:
    """Measure both; True when both targets hold."""
    with (
        loopback(SAMPLE_LATENCY, SAMPLE_SLOTS, ["cand", "judge"]) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        project = sample_project(Path(tmp) / "project", server.url)
        held = rerun(server, project, Path(tmp) / "rerun.sqlite3", rounds)
        held = cpu(project, Path(tmp), rounds) and held
    return held


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
