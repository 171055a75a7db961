"""Whole-process time of the commands that only read files: `python -m evalkit --help`,
and `compare` and `report` on run files of 10,000 records. No litellm, no datasets.

Baselines from the same run: the bare interpreter (`python -c pass`) for --help, and a
process that only parses one run file (`read_run`) for compare and report, so each ratio
says what the command costs beyond its floor. Best of five runs each.

    python tests/perf/bench_startup.py
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

from harness import PYTHON, REPO, best_of, measure, report, write_suite

sys.path.insert(0, str(REPO / "tests"))
from runfiles import manifest, record, write_run

RECORDS = 10_000
CANDIDATES = ("m1", "m2")
RUNS = 5


def run_files(root: Path) -> tuple[Path, Path]:
    """Two run files of RECORDS records (two candidates), scores drawn at random, and
    the suite folder their tasks come from."""
    tasks = RECORDS // len(CANDIDATES)
    write_suite(root, tasks)
    paths = []
    for name, seed in (("a", 1), ("b", 2)):
        draw = random.Random(seed)
        records = [
            record(
                f"t{i:03d}", candidate, "ok", draw.randint(1, 5), latency_ms=draw.uniform(1e2, 1e4)
            )
            for i in range(tasks)
            for candidate in CANDIDATES
        ]
        paths.append(
            write_run(
                root / f"{name}.jsonl", records, manifest(CANDIDATES, suite="gen", tasks=tasks)
            )
        )
    return paths[0], paths[1]


def main(runs: int = RUNS) -> bool:
    """Measure; figures only (the issue sets no target for these)."""
    evalkit = [PYTHON, "-m", "evalkit"]
    with tempfile.TemporaryDirectory() as tmp:
        # made by a child: this process stays small, and a child's peak RSS (ru_maxrss)
        # starts from its parent's size at spawn
        measure([PYTHON, __file__, "--make", tmp])
        a, b = Path(tmp) / "a.jsonl", Path(tmp) / "b.jsonl"
        suite = Path(tmp) / "suites" / "gen"
        floor = best_of(runs, [PYTHON, "-c", "pass"])
        parse = best_of(
            runs,
            [PYTHON, "-c", f"from evalkit.runfile.reader import read_run; read_run({str(a)!r})"],
        )
        timings = {
            "--help": best_of(runs, [*evalkit, "--help"]),
            "compare": best_of(runs, [*evalkit, "compare", str(a), str(b)]),
            "report": best_of(
                runs, [*evalkit, "report", str(a), "--suite", str(suite), "-o", f"{tmp}/r.md"]
            ),
        }
    report("start: python -c pass", floor.wall, "s")
    report("start: read_run of 10,000 records", parse.wall, "s", rss_mb=parse.max_rss_mb)
    for name, run in timings.items():
        baseline = floor if name == "--help" else parse
        report(
            f"start: evalkit {name}",
            run.wall,
            "s",
            rss_mb=run.max_rss_mb,
            ratio=round(run.wall / baseline.wall, 2),
        )
    return True


if __name__ == "__main__":
    if sys.argv[1:2] == ["--make"]:
        run_files(Path(sys.argv[2]))
    else:
        main()
