"""run_checks: order, the not-run cases, the bound on checks at once, and how a sandbox run
becomes a result. Sandboxes here are scripted (the Sandbox protocol); the real one is
tested in test_sandbox_*.py."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any

import pytest

from evalkit.checks import SandboxRun, run_checks, validate_checks
from evalkit.checks.runner import interpret

ANSWER = "Use hmac:\n```python\ndef verify(): return True\n```\n"


def definitions(*python_codes: str, text: bool = True) -> list[Any]:
    rows: list[dict[str, Any]] = [
        {"id": f"py{i}", "kind": "python", "code": code, "severity": "major", "timeout": 5}
        for i, code in enumerate(python_codes)
    ]
    if text:
        rows.insert(0, {"id": "re", "kind": "regex", "pattern": "hmac", "severity": "minor"})
    return validate_checks(rows, [])


def sandbox_run(**fields: Any) -> SandboxRun:
    defaults = dict(started=True, completed=False, exit_code=1, timed_out=False, output="",
                    output_bytes=0, elapsed_ms=30.0)  # fmt: skip
    return SandboxRun(**{**defaults, **fields})


class ScriptedSandbox:
    """Sleeps for the seconds written in the check code, then passes; counts overlap."""

    name = "scripted"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.seen: list[str] = []

    def run(self, solution: str, check: str, timeout: float) -> SandboxRun:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.seen.append(solution)
        time.sleep(float(check))
        with self.lock:
            self.running -= 1
        return sandbox_run(completed=True, exit_code=0)


def test_results_come_in_the_suites_order_whatever_finishes_first() -> None:
    checks = definitions("0.3", "0.0", "0.1")
    results = asyncio.run(run_checks(checks, ANSWER, ScriptedSandbox()))
    assert [r.id for r in results] == ["re", "py0", "py1", "py2"]
    assert [r.passed for r in results] == [True, True, True, True]
    assert results[1].duration_ms >= 300


def test_the_sandbox_gets_the_answers_python_blocks() -> None:
    sandbox = ScriptedSandbox()
    asyncio.run(run_checks(definitions("0", text=False), ANSWER, sandbox))
    assert sandbox.seen == ["def verify(): return True\n"]


def test_skip_runs_nothing_and_says_so() -> None:
    sandbox = ScriptedSandbox()
    results = asyncio.run(run_checks(definitions("0"), ANSWER, sandbox, skip=True))
    assert [(r.passed, r.detail) for r in results] == [
        (None, "not run: checks skipped (--checks skip)")
    ] * 2
    assert sandbox.seen == []


def test_without_a_sandbox_python_checks_do_not_run_and_text_checks_do() -> None:
    results = asyncio.run(run_checks(definitions("0"), ANSWER, None))
    assert [(r.id, r.passed, r.detail) for r in results][1] == ("py0", None, "not run: no sandbox")
    assert results[0].passed is True


def test_an_answer_without_python_code_fails_the_check() -> None:
    [result] = asyncio.run(
        run_checks(definitions("0", text=False), "no code here", ScriptedSandbox())
    )
    assert (result.passed, result.detail) == (False, "no python code block in the answer")


class BrokenSandbox:
    name = "broken"

    def __init__(self, error: Exception | None = None, run: SandboxRun | None = None) -> None:
        self.error, self.result = error, run

    def run(self, solution: str, check: str, timeout: float) -> SandboxRun:
        if self.error:
            raise self.error
        assert self.result is not None
        return self.result


@pytest.mark.parametrize(
    ("sandbox", "detail"),
    [
        (
            BrokenSandbox(FileNotFoundError(2, "No such file", "bwrap")),
            "the sandbox could not start",
        ),
        (
            BrokenSandbox(
                run=sandbox_run(started=False, output="bwrap: Creating new namespace failed")
            ),
            "the sandbox failed to start: bwrap: Creating new namespace failed",
        ),
        (BrokenSandbox(run=sandbox_run(started=False, timed_out=True)), "did not start in time"),
    ],
)
def test_a_sandbox_that_cannot_run_the_check_gives_not_run(sandbox: Any, detail: str) -> None:
    [result] = asyncio.run(run_checks(definitions("0", text=False), ANSWER, sandbox))
    assert result.passed is None
    assert result.detail.startswith("not run: ") and detail in result.detail


def test_no_more_checks_run_at_once_than_cores_across_calls() -> None:
    cores = os.cpu_count() or 1
    sandbox = ScriptedSandbox()

    async def main() -> None:
        answers = [run_checks(definitions(*["0.1"] * 3, text=False), ANSWER, sandbox, 64)
                   for _ in range(cores + 1)]  # fmt: skip
        await asyncio.gather(*answers)

    asyncio.run(main())
    assert len(sandbox.seen) == 3 * (cores + 1)
    assert sandbox.most == cores


def test_the_event_loop_keeps_running_while_checks_run() -> None:
    async def main() -> float:
        checks = asyncio.create_task(
            run_checks(definitions("0.4", text=False), ANSWER, ScriptedSandbox())
        )
        worst, last = 0.0, time.perf_counter()
        while not checks.done():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            worst, last = max(worst, now - last), now
        return worst

    assert asyncio.run(main()) < 0.2


@pytest.mark.parametrize(
    ("run", "passed", "detail"),
    [
        (sandbox_run(completed=True, exit_code=0), True, "exit 0"),
        (sandbox_run(exit_code=1, output="AssertionError\n", output_bytes=15), False,
         "exit 1\noutput:\nAssertionError"),
        (sandbox_run(exit_code=None, timed_out=True), False,
         "timed out after 2 s (process group killed)"),
        (sandbox_run(exit_code=-24), False, "killed by SIGXCPU (CPU time limit)"),
        (sandbox_run(exit_code=-9), False, "killed by SIGKILL"),
        (sandbox_run(exit_code=0), False,
         "exit 0 before check.py finished (os._exit?): not a pass"),
    ],
)  # fmt: skip
def test_how_a_sandbox_run_reads(run: SandboxRun, passed: bool, detail: str) -> None:
    assert tuple(interpret(run, 2.0)) == (passed, detail)


def test_a_long_output_keeps_its_last_lines_and_says_how_much_there_was() -> None:
    output = "".join(f"line {i}\n" for i in range(1000))
    passed, detail = interpret(sandbox_run(output=output, output_bytes=50_000), 2.0)
    assert passed is False
    assert "output (last 15 lines of 50000 bytes)" in detail
    assert detail.endswith("line 999") and "line 984" not in detail
