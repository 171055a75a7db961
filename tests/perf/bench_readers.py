"""Wall time of the commands that only read run files, on run files of 10,000 records.

    python tests/perf/bench_readers.py [--records 10000] [--repeat 5]

Builds two pairs of run files and the suite folder they came from:

- synthetic: A, and B a copy with about a fifth of the scores moved; records with one
  criterion and a long answer (about 23 MB a file);
- real-shaped: as real runs write them (`runshapes`: eight-criterion verdicts, the judge's
  reply, token counts; B a new run whose scores differ on a third of the rows; about
  23 MB a file).

Then times whole processes, `python -m evalkit compare|report|show ...`, each repeat
running every command once in turn (so a change in the machine's load touches them all),
against two baselines measured in the same run: `python -c pass`, and a process that
decodes the same input files line by line with the standard `json` module (`json.loads`
of every line, nothing kept): what reading the input once costs. `compare` is set against
that baseline for A and B, `report` and `show` against it for A. One more row shows
`compare`'s floor: a process that imports what `compare` needs (numpy, rich) while it
reads both files, as `compare` does, decodes the fields it compares, and does nothing
else. Figures are best-of wall time; the load average is printed with them. Not collected
by pytest (its name is not test_*).
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
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "perf")]

from runfiles import manifest, record  # noqa: E402
from runshapes import real_pair  # noqa: E402

from evalkit.types import Issue, Record  # noqa: E402

CANDIDATES = ("gemma3:1b", "gemma3:27b")
CATEGORIES = ("code-security", "architecture", "ops-scripting", "debugging", "writing")
ANSWER = "def handler(payload, secret):\n    " + "x = compute(payload)  # step\n    " * 45
JSON_LINES = (
    "import json, sys\n"
    "for path in sys.argv[1:]:\n"
    "    with open(path, 'rb') as handle:\n"
    "        for line in handle:\n"
    "            json.loads(line)\n"
)
"""The baseline: decode every line of the files named, with the standard json module."""
COMPARE_FLOOR = (
    "import os, sys\n"
    "os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')  # as evalkit's command line does\n"
    "from evalkit.runfile.prefetch import prefetch\n"
    "prefetch(*sys.argv[1:])  # as compare does: the files are read while it imports\n"
    "import numpy.random, rich.console, rich.table\n"
    "from evalkit.runfile.lines import ScoreLine, read_lines\n"
    "for path in sys.argv[1:]:\n"
    "    read_lines(path, ScoreLine)\n"
)
"""What `compare` cannot do without: its libraries imported (numpy for the bootstrap, rich
for the terminal) while both files are read, as `compare` does, and the fields it compares
decoded, nothing else done."""


def build(folder: Path, records: int) -> tuple[Path, Path]:
    """Synthetic A and B with `records` records each (half per candidate)."""
    rng = random.Random(1)
    tasks = records // len(CANDIDATES)
    lines_a, lines_b = [], []
    for i in range(tasks):
        for candidate in CANDIDATES:
            a = _record(f"task-{i:05d}", candidate, rng)
            b = a.model_copy(deep=True)
            if a.verdict and rng.random() < 0.2:
                b.verdict.score = min(5, max(1, a.verdict.score + rng.choice((-1, 1))))
            lines_a.append(a)
            lines_b.append(b)
    return _write(folder / "synthetic", tasks, lines_a, lines_b)


def build_real(folder: Path, records: int) -> tuple[Path, Path]:
    """Real-shaped A and B with `records` records each (see `runshapes`)."""
    tasks = records // len(CANDIDATES)
    lines_a, lines_b = real_pair(tasks, CANDIDATES)
    return _write(folder / "real", tasks, lines_a, lines_b)


def _write(folder: Path, tasks: int, a: list[Record], b: list[Record]) -> tuple[Path, Path]:
    """results/bench/{a,b}.jsonl and suites/bench under `folder`."""
    _suite(folder / "suites" / "bench", tasks)
    head = manifest(CANDIDATES, suite="bench", tasks=tasks).model_dump_json()
    paths = []
    for name, records in (("a", a), ("b", b)):
        path = folder / "results" / "bench" / f"{name}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [head, *(r.model_dump_json() for r in records)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
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


class Case(NamedTuple):
    """One command to time, and the baseline its ratio is taken against (None: none)."""

    name: str
    argv: list[str]
    cwd: Path
    baseline: str | None


def cases(a: Path, b: Path) -> list[Case]:
    """The commands on one pair of run files, the baselines first."""
    python = [sys.executable]
    evalkit = [*python, "-m", "evalkit"]
    here = a.parents[2]
    ab, only_a = "json.loads A B", "json.loads A"
    table = [
        (ab, [*python, "-c", JSON_LINES, str(a), str(b)], None),
        (only_a, [*python, "-c", JSON_LINES, str(a)], None),
        ("compare's floor (read, import)", [*python, "-c", COMPARE_FLOOR, str(a), str(b)], ab),
        ("compare A B", [*evalkit, "compare", str(a), str(b)], ab),
        (
            "compare A B --format json",
            [*evalkit, "compare", str(a), str(b), "--format", "json"],
            ab,
        ),
        (
            "compare A B --format md --rows all",
            [*evalkit, "compare", str(a), str(b), "--format", "md", "--rows", "all"],
            ab,
        ),
        ("report A -o report.md", [*evalkit, "report", str(a), "-o", "report.md"], only_a),
        ("report A -o report.html", [*evalkit, "report", str(a), "-o", "report.html"], only_a),
        ("show A", [*evalkit, "show", str(a)], only_a),
        (
            "show A --status error --full",
            [*evalkit, "show", str(a), "--status", "error", "--full"],
            only_a,
        ),
    ]
    return [Case(name, argv, here, baseline) for name, argv, baseline in table]


class Timing(NamedTuple):
    """One process run: wall time, and the CPU time it used (user + system). On a busy
    machine wall time waits for a core; CPU time is what the command itself costs."""

    wall: float
    cpu: float


def timed(case: Case, env: dict[str, str]) -> Timing:
    """One run of a whole process (its output discarded)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        case.argv, cwd=case.cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 4):
        raise SystemExit(f"{case.name} exited {done.returncode}: {done.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu)


def measure(groups: dict[str, list[Case]], env: dict[str, str], repeat: int) -> dict:
    """Every case `repeat` times, round-robin over all of them."""
    times: dict[tuple[str, str], list[Timing]] = {}
    for _ in range(repeat):
        for group, listed in groups.items():
            for case in listed:
                times.setdefault((group, case.name), []).append(timed(case, env))
    return times


def print_table(group: str, listed: list[Case], times: dict, bare: list[Timing]) -> None:
    """One pair's figures: best wall time, median, and ratios to both baselines."""
    best = {case.name: min(t.wall for t in times[group, case.name]) for case in listed}
    cpu = {case.name: min(t.cpu for t in times[group, case.name]) for case in listed}
    pass_wall, pass_cpu = min(t.wall for t in bare), min(t.cpu for t in bare)
    print(
        f"{'command':<36} {'wall best':>9} {'median':>7} {'× pass':>7} {'× json':>7}"
        f"  {'cpu best':>8} {'× pass':>7} {'× json':>7}"
    )
    for case in listed:
        median = statistics.median(t.wall for t in times[group, case.name])
        wall, used = best[case.name], cpu[case.name]
        versus = versus_cpu = ""
        if case.baseline:
            versus = f"{wall / best[case.baseline]:.2f}x"
            versus_cpu = f"{used / cpu[case.baseline]:.2f}x"
        print(
            f"{case.name:<36} {wall:>8.3f}s {median:>6.3f}s {wall / pass_wall:>6.1f}x"
            f" {versus:>7}  {used:>7.3f}s {used / pass_cpu:>6.1f}x {versus_cpu:>7}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000, help="records per run file")
    parser.add_argument("--repeat", type=int, default=5, help="runs per command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        pairs = {
            "synthetic": build(folder, args.records),
            "real-shaped": build_real(folder, args.records),
        }
        for group, (a, _) in pairs.items():
            size = a.stat().st_size / 1e6
            print(f"{group}: 2 run files of {args.records:,} records, {size:.1f} MB each")
        print(f"built in {time.perf_counter() - start:.1f} s")
        bare = Case("python -c pass", [sys.executable, "-c", "pass"], folder, None)
        groups = {"": [bare], **{group: cases(a, b) for group, (a, b) in pairs.items()}}
        env = environment(folder)
        times = measure(groups, env, args.repeat)
    load = os.getloadavg()
    print(f"\npython -c pass: best {min(t.wall for t in times['', bare.name]):.3f}s")
    for group, listed in groups.items():
        if group:
            print(f"\n{group} run files")
            print_table(group, listed, times, times["", bare.name])
    print(
        f"\nbest of {args.repeat}; × pass: against `python -c pass`; × json: against decoding"
        " the same input (A and B for compare, A otherwise) line by line with json.loads;"
        f" load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )


if __name__ == "__main__":
    main()
