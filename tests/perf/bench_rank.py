"""Wall time of ranking 10,000 pairwise outcomes, as whole processes.

    python tests/perf/bench_rank.py [--tasks 1000] [--candidates 5] [--resamples 1000]

Builds the outcomes of every pair of candidates on each task (5 candidates x 1,000 tasks
= 10,000 outcomes, planted Bradley-Terry strengths, 10% ties) and the answers' texts,
then times whole processes that read them from a JSON file and call
`evalkit.analysis.ranking.rank` (plain, and with style control), `python -m evalkit rank`
on the same outcomes as a pairwise run file, the clustered bootstrap `compare` uses, and
`python -m evalkit compare` of two run files of 10,000 rows each (2 candidates x 1,000
tasks x 5 samples, tasks resampled), against `python -c pass` measured in the same
session, so the figures compare across machines as ratios. Each process also reports the
CPU time of the call itself. Not collected by pytest (its name is not test_*).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[2]

RANK = """
import json, sys, time
from evalkit.analysis.ranking import rank
data = json.load(open(sys.argv[1]))
style = sys.argv[3] == "style"
answers = {tuple(k.split("\\t")): v for k, v in data["answers"].items()} if style else None
start = time.process_time()
board = rank(data["outcomes"], answers=answers, style_control=answers is not None,
             resamples=int(sys.argv[2]))
print(json.dumps({"call_cpu": time.process_time() - start, "top": board.standings[0].candidate}))
"""

CLUSTERED = """
import json, sys, time
from evalkit.analysis.clustered import cluster_bootstrap
clusters = json.load(open(sys.argv[1]))
start = time.process_time()
result = cluster_bootstrap(clusters, resamples=int(sys.argv[2]))
print(json.dumps({"call_cpu": time.process_time() - start, "mean": result.mean}))
"""


def build(folder: Path, tasks: int, candidates: int) -> Path:
    """Outcomes of every pair on every task (order random), answers of varied style."""
    rng = random.Random(1)
    names = [f"model-{k}" for k in range(candidates)]
    strength = {name: 0.25 * k for k, name in enumerate(names)}
    outcomes, answers = [], {}
    for task in range(tasks):
        task_id = f"task-{task:05d}"
        for name in names:
            words = int(rng.lognormvariate(math.log(300), 0.5))
            text = (
                "word " * words + "\n- point" * rng.randint(0, 4) + " **key**" * rng.randint(0, 2)
            )
            answers[f"{task_id}\t{name}"] = text
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                first, second = (a, b) if rng.random() < 0.5 else (b, a)
                p = 1 / (1 + math.exp(strength[second] - strength[first]))
                u = rng.random()
                result = "tie" if u < 0.1 else ("a" if rng.random() < p else "b")
                outcomes.append((task_id, first, second, result))
    path = folder / "outcomes.json"
    path.write_text(json.dumps({"outcomes": outcomes, "answers": answers}), encoding="utf-8")
    return path


def build_run_file(folder: Path, data: Path) -> Path:
    """The same outcomes as a pairwise run file: one pair line per (task, pair) holding
    both answers and two judged orders (the outcome and its mirror), as `run --pairwise`
    writes them, so `python -m evalkit rank` reads what a real run leaves."""
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    from runfiles import manifest

    from evalkit.runfile.writer import RunWriter
    from evalkit.types import Answer, PairJudgement, PairRecord

    loaded = json.loads(data.read_text(encoding="utf-8"))
    answers = {tuple(k.split("\t")): v for k, v in loaded["answers"].items()}
    names = sorted({o[1] for o in loaded["outcomes"]} | {o[2] for o in loaded["outcomes"]})
    head = manifest(names, suite="bench", tasks=len({o[0] for o in loaded["outcomes"]}))
    path = folder / "pairs.jsonl"
    with RunWriter(path, head) as writer:
        for task_id, a, b, result in loaded["outcomes"]:
            writer._queue(  # one fsync at close: building the file is not what is measured
                PairRecord(
                    task_id=task_id,
                    a=a,
                    b=b,
                    judge=head.judge.name,
                    status="ok",
                    answer_a=Answer(text=answers[(task_id, a)], latency_ms=900.0),
                    answer_b=Answer(text=answers[(task_id, b)], latency_ms=900.0),
                    judgements=[
                        PairJudgement(first="a", preferred=result, reasoning="compared"),
                        PairJudgement(first="b", preferred=result, reasoning="compared"),
                    ],
                    outcome=result,
                )
            )
    return path


def build_sampled_runs(folder: Path, tasks: int = 1000, samples: int = 5) -> tuple[Path, Path]:
    """Two run files of 2 candidates x `tasks` x `samples` result records, as `run
    --samples` writes them; B's scores move from A's by a small random step."""
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    from runfiles import manifest, record

    from evalkit.runfile.writer import RunWriter

    rng = random.Random(3)
    names = ["model-a", "model-b"]
    head = manifest(names, suite="bench", tasks=tasks).model_copy(update={"samples": samples})
    paths = [folder / "sampled-a.jsonl", folder / "sampled-b.jsonl"]
    with RunWriter(paths[0], head) as a, RunWriter(paths[1], head) as b:
        for task in range(tasks):
            for name in names:
                for sample in range(samples):
                    score = rng.randint(1, 5)
                    moved = min(5, max(1, score + rng.choice((-1, 0, 0, 1))))
                    for writer, value in ((a, score), (b, moved)):
                        line = record(f"task-{task:05d}", name, "ok", value)
                        writer._queue(line.model_copy(update={"sample": sample}))
    return paths[0], paths[1]


def build_clusters(folder: Path, tasks: int, samples: int, categories: int) -> tuple[Path, Path]:
    """Score differences (integers -4..4) of `samples` samples per task: one cluster per
    task, and the same differences in `categories` clusters."""
    rng = random.Random(2)
    per_task = [
        [rng.choice((-2, -1, 0, 0, 0, 1, 1, 2)) for _ in range(samples)] for _ in range(tasks)
    ]
    per_category: list[list[int]] = [[] for _ in range(categories)]
    for task, deltas in enumerate(per_task):
        per_category[task % categories].extend(deltas)
    paths = []
    for name, clusters in (("tasks", per_task), ("categories", per_category)):
        path = folder / f"{name}.json"
        path.write_text(json.dumps(clusters), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def environment(folder: Path) -> dict[str, str]:
    """A copy of the evalkit package with its bytecode compiled (as bench_readers: a
    checkout under PYTHONDONTWRITEBYTECODE=1 would time the compiler)."""
    code = folder / "code"
    shutil.copytree(REPO / "evalkit", code / "evalkit")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(code)], check=True)
    return {**os.environ, "PYTHONPATH": str(code)}


class Timing(NamedTuple):
    """One process: wall time, its CPU time, and the CPU time of the measured call."""

    wall: float
    cpu: float
    call_cpu: float | None


def timed(argv: list[str], env: dict[str, str], repeat: int) -> list[Timing]:
    """`repeat` runs of a whole process."""
    times = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv[:3])} exited {done.returncode}: {done.stderr}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        lines = done.stdout.strip().splitlines()
        last = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
        call = last.get("call_cpu") if isinstance(last, dict) else None
        times.append(Timing(wall, cpu, call))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000, help="tasks judged")
    parser.add_argument("--candidates", type=int, default=5, help="candidates, every pair judged")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--repeat", type=int, default=5, help="runs per command")
    args = parser.parse_args()
    python = [sys.executable]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = build(folder, args.tasks, args.candidates)
        tasks, categories = build_clusters(folder, 5000, 3, 25)
        run_file = build_run_file(folder, data)
        sampled_a, sampled_b = build_sampled_runs(folder)
        outcomes = args.tasks * args.candidates * (args.candidates - 1) // 2
        resamples = str(args.resamples)
        cases = [
            ("python -c pass", [*python, "-c", "pass"]),
            ("import ranking", [*python, "-c", "import evalkit.analysis.ranking"]),
            (f"rank {outcomes:,} outcomes", [*python, "-c", RANK, str(data), resamples, "plain"]),
            ("rank --style-control", [*python, "-c", RANK, str(data), resamples, "style"]),
            (
                f"evalkit rank: {outcomes:,} pair lines",
                [*python, "-m", "evalkit", "rank", str(run_file), "--format", "json"],
            ),
            ("cluster: 5,000 tasks x 3, 10k res.", [*python, "-c", CLUSTERED, str(tasks), "10000"]),
            (
                "cluster: 25 categories, 10k res.",
                [*python, "-c", CLUSTERED, str(categories), "10000"],
            ),
            (
                "evalkit compare: 2 x 10,000 rows, K=5",
                [
                    *python,
                    "-m",
                    "evalkit",
                    "compare",
                    str(sampled_a),
                    str(sampled_b),
                    "--rows",
                    "none",
                    "--format",
                    "json",
                ],
            ),
        ]
        env = environment(folder)
        results = [(name, timed(argv, env, args.repeat)) for name, argv in cases]
    base_wall = min(t.wall for t in results[0][1])
    print(
        f"{outcomes:,} outcomes ({args.candidates} candidates, {args.tasks:,} tasks), "
        f"{args.resamples} resamples, best of {args.repeat}\n"
    )
    head = ("command", "wall best", "median", "ratio", "cpu best", "call cpu")
    print("{:<36} {:>9} {:>7} {:>6} {:>9} {:>9}".format(*head))
    for name, times in results:
        wall = min(t.wall for t in times)
        calls = [t.call_cpu for t in times if t.call_cpu is not None]
        call = f"{min(calls):>8.3f}s" if calls else f"{'':>9}"
        print(
            f"{name:<36} {wall:>8.3f}s {statistics.median(t.wall for t in times):>6.3f}s"
            f" {wall / base_wall:>5.1f}x {min(t.cpu for t in times):>8.3f}s {call}"
        )
    print(f"\nratios are against `python -c pass`; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
