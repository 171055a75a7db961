"""Wall time of the commands that only read run files, on run files of 10,000 records.

    python tests/perf/bench_readers.py [--records 10000] [--repeat 5]

Builds two run files (A, and B: a re-run with about a fifth of the scores moved) and the
suite folder they came from, then times whole processes, `python -m evalkit compare|report|
show ...`, against `python -c pass` measured in the same session, so the figures can be
compared across machines as ratios. Not collected by pytest (its name is not test_*).
"""

from __future__ import annotations

import argparse
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
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from runfiles import manifest, record  # noqa: E402

from evalkit.types import Issue, Record  # noqa: E402

CANDIDATES = ("gemma3:1b", "gemma3:27b")
CATEGORIES = ("code-security", "architecture", "ops-scripting", "debugging", "writing")
ANSWER = "def handler(payload, secret):\n    " + "x = compute(payload)  # step\n    " * 45


def build(folder: Path, records: int) -> tuple[Path, Path]:
    """A and B with `records` records each (half per candidate), and suites/bench."""
    rng = random.Random(1)
    tasks = records // len(CANDIDATES)
    _suite(folder / "suites" / "bench", tasks)
    lines_a, lines_b = [], []
    for i in range(tasks):
        for candidate in CANDIDATES:
            a = _record(f"task-{i:05d}", candidate, rng)
            b = a.model_copy(deep=True)
            if a.verdict and rng.random() < 0.2:
                b.verdict.score = min(5, max(1, a.verdict.score + rng.choice((-1, 1))))
            lines_a.append(a.model_dump_json())
            lines_b.append(b.model_dump_json())
    head = manifest(CANDIDATES, suite="bench", tasks=tasks).model_dump_json()
    paths = []
    for name, lines in (("a", lines_a), ("b", lines_b)):
        path = folder / "results" / "bench" / f"{name}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def _record(task_id: str, candidate: str, rng: random.Random) -> Record:
    status = "ok" if rng.random() > 0.03 else rng.choice(("unavailable", "error", "judge_error"))
    issues = [
        Issue(severity=rng.choice(("fatal", "wrong", "vague", "minor")), description=f"Issue {n}")
        for n in range(3)
    ]
    score = rng.randint(1, 5) if status == "ok" else None
    return record(
        task_id,
        candidate,
        status,
        score,
        latency_ms=rng.uniform(800, 12_000),
        text=ANSWER,
        issues=issues,
    )


def _suite(folder: Path, tasks: int) -> None:
    import json

    (folder / "data").mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "id": f"task-{i:05d}",
            "prompt": f"Write the handler number {i}.",
            "reference": "A correct handler.",
            "rubric": [{"id": "main", "criterion": "It works", "severity": "fatal"}],
            "category": CATEGORIES[i % len(CATEGORIES)],
        }
        for i in range(tasks)
    ]
    text = "".join(json.dumps(row) + "\n" for row in rows)
    (folder / "data" / "tasks.jsonl").write_text(text, encoding="utf-8")


def environment(folder: Path) -> dict[str, str]:
    """The processes' environment: a copy of the evalkit package with its bytecode
    compiled. An installed evalkit has its .pyc files; a checkout run under
    PYTHONDONTWRITEBYTECODE=1 (as on these machines) would recompile every evalkit module
    in every process and time the compiler. The copy leaves the checkout untouched."""
    code = folder / "code"
    shutil.copytree(REPO / "evalkit", code / "evalkit")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(code)], check=True)
    return {**os.environ, "PYTHONPATH": str(code), "COLUMNS": "120"}


class Timing(NamedTuple):
    """One process run: wall time, and the CPU time it used (user + system). On a busy
    machine wall time waits for a core; CPU time is what the command itself costs."""

    wall: float
    cpu: float


def timed(argv: list[str], cwd: Path, env: dict[str, str], repeat: int) -> list[Timing]:
    """`repeat` runs of a whole process (stdout discarded)."""
    times = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        times.append(Timing(wall, cpu))
        if done.returncode not in (0, 4):
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000, help="records per run file")
    parser.add_argument("--repeat", type=int, default=5, help="runs per command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        a, b = build(folder, args.records)
        size = a.stat().st_size / 1e6
        print(
            f"built 2 run files of {args.records:,} records ({size:.1f} MB each)"
            f" in {time.perf_counter() - start:.1f} s\n"
        )
        python = [sys.executable]
        evalkit = [*python, "-m", "evalkit"]
        cases = [
            ("python -c pass", [*python, "-c", "pass"]),
            (
                "import evalkit.cli.main, evalkit.runfile.reader",
                [*python, "-c", "import evalkit.cli.main, evalkit.runfile.reader"],
            ),
            ("compare A B", [*evalkit, "compare", str(a), str(b)]),
            (
                "compare A B --format json",
                [*evalkit, "compare", str(a), str(b), "--format", "json"],
            ),
            (
                "compare A B --format md --rows all",
                [*evalkit, "compare", str(a), str(b), "--format", "md", "--rows", "all"],
            ),
            ("report A -o report.md", [*evalkit, "report", str(a), "-o", "report.md"]),
            ("report A -o report.html", [*evalkit, "report", str(a), "-o", "report.html"]),
            ("show A", [*evalkit, "show", str(a)]),
            (
                "show A --status error --full",
                [*evalkit, "show", str(a), "--status", "error", "--full"],
            ),
        ]
        env = environment(folder)
        results = [(name, timed(argv, folder, env, args.repeat)) for name, argv in cases]
    base_wall = min(t.wall for t in results[0][1])
    base_cpu = min(t.cpu for t in results[0][1])
    print(
        f"{'command':<36} {'wall best':>9} {'median':>7} {'ratio':>6}  {'cpu best':>8} {'ratio':>6}"
    )
    for name, times in results:
        wall = min(t.wall for t in times)
        median = statistics.median(t.wall for t in times)
        cpu = min(t.cpu for t in times)
        print(
            f"{name:<36} {wall:>8.3f}s {median:>6.3f}s {wall / base_wall:>5.1f}x"
            f"  {cpu:>7.3f}s {cpu / base_cpu:>5.1f}x"
        )
    print(f"\nratios are against `python -c pass`; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
