"""Running a task's checks on one answer, off the event loop, no more at once than cores.

Guarantees:
- `run_checks` returns one CheckResult per check, in the suite's order, and never blocks
  the event loop: every check runs in a thread pool shared by all calls with the same
  `pool_size`, which is at most `os.cpu_count()` (a sandboxed check is a CPU-bound process).
- `passed` is None only when a check could not run: checks skipped (`skip=True`, for
  `--checks skip`), a python check without a sandbox ("not run: no sandbox"), or a sandbox
  that failed to start. Otherwise the check ran and its result is True or False.
- Nothing here runs answer code outside the sandbox it is given.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from evalkit.checks.code_blocks import python_source
from evalkit.checks.result import CheckResult, Outcome, not_run
from evalkit.checks.sandbox import Sandbox, SandboxRun
from evalkit.checks.spec import Check, PythonCheck
from evalkit.checks.text import evaluate_text, shorten

SKIPPED = "checks skipped (--checks skip)"
NO_SANDBOX = "no sandbox"
TAIL_LINES = 15
"""Lines of a python check's output a detail keeps (its last ones)."""
TAIL_CHARS = 1500
"""Characters of output a detail keeps at most."""

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


async def run_checks(
    checks: Sequence[Check],
    answer_text: str,
    sandbox: Sandbox | None,
    pool_size: int | None = None,
    *,
    skip: bool = False,
) -> list[CheckResult]:
    """Every check on the answer, in order (see the module docstring). `pool_size`: checks
    at once across all calls, capped at the number of cores (default: that number)."""
    if skip:
        return [
            CheckResult(id=c.id, passed=None, detail=not_run(SKIPPED).detail, duration_ms=0.0)
            for c in checks
        ]
    loop = asyncio.get_running_loop()
    pool = _pool(pool_size)
    pending = [loop.run_in_executor(pool, run_check, c, answer_text, sandbox) for c in checks]
    return list(await asyncio.gather(*pending))


def run_check(check: Check, answer_text: str, sandbox: Sandbox | None) -> CheckResult:
    """One check on the answer, timed; blocking (run_checks calls it in its pool)."""
    began = time.perf_counter()
    if isinstance(check, PythonCheck):
        outcome = evaluate_python(check, answer_text, sandbox)
    else:
        outcome = evaluate_text(check, answer_text)
    elapsed = (time.perf_counter() - began) * 1000
    return CheckResult(
        id=check.id, passed=outcome.passed, detail=outcome.detail, duration_ms=round(elapsed, 3)
    )


def evaluate_python(check: PythonCheck, answer_text: str, sandbox: Sandbox | None) -> Outcome:
    """Run the check's code beside the answer's python blocks in the sandbox."""
    if sandbox is None:
        return not_run(NO_SANDBOX)
    solution = python_source(answer_text)
    if not solution.strip():
        return Outcome(False, "no python code block in the answer")
    try:
        run = sandbox.run(solution, check.code, check.timeout)
    except OSError as exc:  # the sandbox's executable could not be started
        return not_run(f"the sandbox could not start: {exc}")
    return interpret(run, check.timeout)


def interpret(run: SandboxRun, timeout: float) -> Outcome:
    """A sandbox run as an outcome: passed iff check.py completed within the timeout."""
    output = _tail(run)
    if not run.started:
        why = "did not start in time" if run.timed_out else "failed to start"
        return not_run(f"the sandbox {why}: {shorten(run.output, 300) or 'no output'}")
    if run.completed:
        return Outcome(True, "exit 0" + output)
    if run.timed_out:
        reason = f"timed out after {timeout:g} s (process group killed)"
    elif run.exit_code is not None and run.exit_code < 0:
        reason = f"killed by {_signal_name(-run.exit_code)}"
    elif run.exit_code == 0:
        reason = "exit 0 before check.py finished (os._exit?): not a pass"
    else:
        reason = f"exit {run.exit_code}"
    return Outcome(False, reason + output)


def _tail(run: SandboxRun) -> str:
    """The last lines of the output, introduced on their own line; "" when there is none."""
    text = run.output.rstrip()
    if not text:
        return ""
    lines = text.splitlines()[-TAIL_LINES:]
    kept = "\n".join(lines)[-TAIL_CHARS:]
    cut = len(kept) < len(text) or len(run.output.encode()) < run.output_bytes
    head = (
        f"output (last {len(kept.splitlines())} lines of {run.output_bytes} bytes)"
        if cut
        else "output"
    )
    return f"\n{head}:\n{kept}"


def _signal_name(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    notes = {"SIGXCPU": " (CPU time limit)", "SIGXFSZ": " (file size limit)"}
    return name + notes.get(name, "")


def _pool(size: int | None) -> ThreadPoolExecutor:
    cores = os.cpu_count() or 1
    workers = max(1, min(size or cores, cores))
    with _pools_lock:
        if workers not in _pools:
            _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="evalkit-check")
        return _pools[workers]
