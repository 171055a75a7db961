"""What every benchmark shares: loopback servers as separate processes, whole-process
measurements of a child (wall, CPU, peak RSS, from `os.wait4`), throwaway projects, and
one line per result.

The servers run in their own processes so that a measured client process is measured
alone: its CPU time and memory are its own, whatever the server costs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PERF = Path(__file__).resolve().parent
REPO = PERF.parents[1]
sys.path.insert(0, str(REPO / "tests"))
from projects import write_suite  # noqa: E402

PYTHON = sys.executable
"""The real interpreter, not a version-manager shim that would add its own start-up."""
RESULTS = REPO / "results" / "perf.jsonl"
"""Every printed figure is also appended here, one JSON object per line (git ignores it)."""


@dataclass
class Loopback:
    """A running loopback server process."""

    url: str
    process: subprocess.Popen

    def stats(self) -> dict:
        """Chat requests served and the most held at once."""
        import httpx

        return httpx.get(f"{self.url}/_stats").json()

    def reset(self) -> None:
        """Zero the counters between measurements."""
        import httpx

        httpx.post(f"{self.url}/_reset")


@contextmanager
def loopback(latency: float, parallel: int, models: Sequence[str] = ()) -> Iterator[Loopback]:
    """Start `loopback.py` in its own process; it stops when we close its stdin."""
    command = [PYTHON, str(PERF / "loopback.py"), f"--latency={latency}"]
    command += [f"--parallel={parallel}", f"--models={','.join(models)}"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("PORT "):
            raise RuntimeError(f"loopback server did not start: {line!r}")
        yield Loopback(url=f"http://127.0.0.1:{line.split()[1]}", process=process)
    finally:
        if process.stdin:
            process.stdin.close()
        process.wait(timeout=10)


@dataclass
class Measured:
    """One child process, measured by the kernel."""

    wall: float
    """Seconds from spawn to exit."""
    cpu: float
    """User plus system CPU seconds of the child (and children it waited for)."""
    max_rss_mb: float
    """Peak resident memory, MiB."""
    stdout: str
    """What it printed."""
    returncode: int


def measure(command: Sequence[str], cwd: Path | None = None, env: dict | None = None) -> Measured:
    """Run a command to its end; wall time, CPU and peak RSS come from `os.wait4`. The
    cache across runs is off unless `env` sets EVALKIT_CACHE: a benchmark that runs the
    same suite twice measures the requests, not the cache."""
    environment = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "EVALKIT_CACHE": "off",
        **(env or {}),
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    # read both pipes to the end first, so a chatty child never blocks on a full pipe
    out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 3):
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{err.decode()}")
    return Measured(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,
        stdout=out.decode(),
        returncode=process.returncode,
    )


def best_of(runs: int, command: Sequence[str], **kwargs: object) -> Measured:
    """The fastest of several runs: other load on a shared machine only ever adds time."""
    return min((measure(command, **kwargs) for _ in range(runs)), key=lambda m: m.wall)  # type: ignore[arg-type]


ENDPOINT = """
[endpoints.{name}]
kind = "ollama"
{where}
concurrency = {concurrency}
timeout = 60
retries = 2
"""


def write_project(
    root: Path,
    endpoints: dict[str, tuple[str | list[str], int]],
    models: dict[str, str],
    candidates: Sequence[str],
    judge_model: str,
    n_tasks: int,
) -> Path:
    """A project: endpoints {name: (url or replica urls, concurrency)}, models {name:
    endpoint}, one profile `bench`, judge `j` on `judge_model`, suite `gen` of n tasks."""
    root.mkdir(parents=True, exist_ok=True)
    parts = ['default_profile = "bench"']
    for name, (where, concurrency) in endpoints.items():
        place = f'url = "{where}"' if isinstance(where, str) else f"replicas = {json.dumps(where)}"
        parts.append(ENDPOINT.format(name=name, where=place, concurrency=concurrency))
    for model, endpoint in models.items():
        parts.append(f'[models."{model}"]\nendpoint = "{endpoint}"\ntemperature = 0.3\n')
    names = ", ".join(f'"{c}"' for c in candidates)
    parts.append(f'[profiles.bench]\ncandidates = [{names}]\njudge = "j"\n')
    (root / "evalkit.toml").write_text("\n".join(parts))
    (root / "judges").mkdir(exist_ok=True)
    for template in ("rubric-judge.md", "pairwise-judge.md"):
        (root / "judges" / template).write_text((REPO / "judges" / template).read_text())
    (root / "judges" / "j.toml").write_text(f'model = "{judge_model}"\ntemperature = 0.0\n')
    write_suite(root, n_tasks)
    return root


def report(name: str, value: float, unit: str, **extra: object) -> None:
    """Print one figure and append it to results.jsonl."""
    details = "  ".join(f"{k}={_fmt(v)}" for k, v in extra.items())
    print(f"{name:<44} {_fmt(value):>9} {unit:<4} {details}", flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as handle:
        handle.write(json.dumps({"name": name, "value": value, "unit": unit, **extra}) + "\n")


def verdict(name: str, ratio: float, target: float, baseline: str, at_least: bool = False) -> bool:
    """Print a ratio against its target (at most, or `at_least`); True when it holds."""
    holds = ratio >= target if at_least else ratio <= target
    bound = f"{'>=' if at_least else '<='} {target}"
    report(name, ratio, "x", target=bound, baseline=baseline, holds=holds)
    SUMMARY.append((name, ratio, bound, holds))
    return holds


SUMMARY: list[tuple[str, float, str, bool]] = []
"""Every verdict of this process, for run_all's closing table."""


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


SAMPLES = 200
"""The issue's comparison workload: 200 samples, answer then model-graded score, against
one server holding each request 50 ms with 8 slots (floor: 400 x 0.05 / 8 = 2.5 s)."""
SAMPLE_LATENCY = 0.05
SAMPLE_SLOTS = 8


def sample_project(root: Path, url: str) -> Path:
    """The comparison workload as an evalkit project: `cand` answers, `judge` grades, one
    endpoint of 8 slots."""
    return write_project(
        root,
        {"srv": (url, SAMPLE_SLOTS)},
        {"cand": "srv", "judge": "srv"},
        ["cand"],
        "judge",
        SAMPLES,
    )


def drive(project: Path, env: dict | None = None) -> dict:
    """evalkit in a child process with its phases timed (see drive.py) and its whole wall
    time (`wall`); every record must be ok."""
    out = project / "results" / f"drive-{time.monotonic_ns()}.jsonl"
    run = measure([PYTHON, str(PERF / "drive.py"), str(project), str(out)], env=env)
    result = {**json.loads(run.stdout), "wall": run.wall}
    statuses = {json.loads(line).get("status") for line in out.read_text().splitlines()[1:]}
    if statuses != {"ok"}:
        raise RuntimeError(f"{out}: records not all ok: {statuses}")
    return result
