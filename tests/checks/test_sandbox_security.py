"""The six attacks of issue 12, each by answer code in the real bubblewrap sandbox: the host
file does not appear, the server sees no connection, the timeout fires, the memory and
process limits hold, and the API key appears nowhere. Each test also checks that the attack
left no process behind."""

from __future__ import annotations

import ast
import asyncio
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalkit.checks import BwrapSandbox, PythonCheck, run_check, run_checks, validate_checks
from evalkit.checks.sandbox import LAUNCHER

TIMEOUT = 1.5
MARK = LAUNCHER.splitlines()[0].encode()
"""The launcher's first line, in the command line of every process of a check."""


def answer(code: str) -> str:
    return f"Here is my solution:\n```python\n{code}\n```\n"


def check(code: str = "import solution") -> PythonCheck:
    return PythonCheck(id="attack", kind="python", severity="fatal", code=code, timeout=TIMEOUT)


def host_processes(mark: bytes = MARK) -> list[Path]:
    """Processes on the host whose command line holds `mark`, bwrap's own excepted: by
    default, those running a check's launcher (or forked from one). Those that another
    process tree still holds (another test run's sandboxes, on a shared machine) are not
    ours to count; ours, and orphans (a leak, whoever made it), are."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and mark in (entry / "cmdline").read_bytes()
                and (entry / "comm").read_text().strip() != "bwrap"
                and _ours_or_orphaned(int(entry.name))
            ):
                found.append(entry)
        except OSError:
            continue  # gone meanwhile
    return found


def _ours_or_orphaned(pid: int) -> bool:
    """Whether the sandboxed process descends from this test process, or from no live
    process but other sandboxed ones and bwrap (orphaned: its parents are gone)."""
    while True:
        stat = Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state: ppid
        if pid in (os.getpid(), 0, 1):
            return True
        parent = Path(f"/proc/{pid}")
        sandboxed = MARK in (parent / "cmdline").read_bytes()
        if not sandboxed and (parent / "comm").read_text().strip() != "bwrap":
            return False  # held by another live process tree


def sandboxed_processes() -> int:
    return len(host_processes())


def resident_mb(processes: list[Path]) -> float:
    """Their resident memory together, MiB."""
    total = 0
    for process in processes:
        try:
            status = (process / "status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines()
                       if line.startswith("VmRSS:")), 0)  # fmt: skip
    return total / 1024


class Watch:
    """Samples the sandboxed processes while a check runs: the most at once and the most
    resident memory they held together."""

    def __init__(self) -> None:
        self.most = 0
        self.most_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.is_set():
            processes = host_processes()
            self.most = max(self.most, len(processes))
            self.most_mb = max(self.most_mb, resident_mb(processes))
            time.sleep(0.01)


@pytest.fixture(autouse=True)
def nothing_left_behind() -> Iterator[None]:
    assert sandboxed_processes() == 0, "a previous test left sandboxed processes"
    yield
    deadline = time.monotonic() + 2
    while sandboxed_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandboxed_processes() == 0


def test_a_file_written_outside_the_work_dir_never_reaches_the_host(
    bwrap: BwrapSandbox, tmp_path: Path
) -> None:
    target = tmp_path / "escaped" / "pwned.txt"
    code = f"""
import ast
import asyncio
import os
written = []
for path in [{str(target)!r}, {str(Path.cwd() / "pwned.txt")!r}, "/input/pwned.txt",
             "/usr/pwned.txt", "/pwned.txt"]:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("pwned")
        written.append(path)
    except OSError as e:
        print("refused", path, e.strerror)
print("written inside the sandbox:", written)
"""
    result = run_check(check(), answer(code), bwrap)
    assert result.passed is True, result.detail  # the attack ran to its end
    assert "refused /usr/pwned.txt Read-only file system" in result.detail
    assert not target.exists() and not target.parent.exists()
    assert not (Path.cwd() / "pwned.txt").exists()
    assert not Path("/usr/pwned.txt").exists() and not Path("/pwned.txt").exists()


class CountingServer:
    """A loopback TCP server that counts the connections it accepts."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.socket.close()


def test_no_connection_reaches_a_loopback_server(bwrap: BwrapSandbox) -> None:
    server = CountingServer()
    try:
        probe = socket.create_connection(("127.0.0.1", server.port), timeout=2)
        probe.close()
        time.sleep(0.1)
        assert server.connections == 1  # the server does accept connections from the host
        code = f"""
import socket
for host in ["127.0.0.1", "localhost", {socket.gethostname()!r}]:
    try:
        socket.create_connection((host, {server.port}), timeout=0.5).close()
        print("CONNECTED", host)
    except OSError as e:
        print("refused", host, type(e).__name__)
"""
        result = run_check(check(), answer(code), bwrap)
        time.sleep(0.2)
        assert server.connections == 1
        assert "CONNECTED" not in result.detail
        assert "refused 127.0.0.1" in result.detail
    finally:
        server.close()


def test_an_endless_loop_is_killed_at_the_timeout(bwrap: BwrapSandbox) -> None:
    """The loop also starts a child in a new session, which the kill must reach too."""
    token = "sleeper-" + secrets.token_hex(8)
    code = f"""
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {token!r}],
                 start_new_session=True)
while True:
    pass
"""
    began = time.monotonic()
    result = run_check(check(), answer(code), bwrap)
    elapsed = time.monotonic() - began
    assert result.passed is False
    assert result.detail.startswith(f"timed out after {TIMEOUT:g} s (process group killed)")
    assert TIMEOUT <= elapsed < TIMEOUT + 1.5
    assert host_processes(token.encode()) == []


def test_allocating_far_more_than_the_limit_fails_and_the_host_stays_small(
    bwrap: BwrapSandbox,
) -> None:
    code = """
held = []
while True:
    held.append(bytearray(32 * 1024 * 1024))  # touched: really allocated
"""
    with Watch() as watch:
        result = run_check(check(), answer(code), bwrap)
    assert result.passed is False
    assert result.detail.startswith("exit 1") and result.detail.endswith("MemoryError")
    assert 0 < watch.most_mb <= bwrap.limits.memory_mb


def test_a_fork_bomb_is_held_at_the_process_limit_and_killed(bwrap: BwrapSandbox) -> None:
    code = """
import ast
import asyncio
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
    began = time.monotonic()
    with Watch() as watch:
        result = run_check(check(), answer(code), bwrap)
    assert result.passed is False
    assert result.detail.startswith("timed out")
    assert time.monotonic() - began < TIMEOUT + 1.5
    assert 1 < watch.most <= bwrap.limits.processes  # it did fork, no further than the limit


def test_the_api_key_in_the_environment_appears_nowhere(
    bwrap: BwrapSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-test-" + secrets.token_hex(16)
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("HTTPS_PROXY", "http://user:" + key + "@proxy.invalid:3128")
    code = """
import os, sys
print("argv:", sys.argv, sys.orig_argv)
for path in ["/proc/self/environ", "/proc/1/environ"] + [
        f"/proc/{pid}/environ" for pid in os.listdir("/proc") if pid.isdigit()]:
    try:
        print(path, open(path, "rb").read())
    except OSError as e:
        print(path, "refused", e.strerror)
print("environ:", dict(os.environ))
"""
    result = run_check(check(), answer(code), bwrap)
    assert result.passed is True, result.detail  # it looked everywhere and printed it
    environ = ast.literal_eval(result.detail.rsplit("environ: ", 1)[1])
    # PWD comes from bwrap's --chdir, LC_CTYPE from Python's coercion of the C locale
    assert set(environ) <= {"PATH", "PWD", "LC_CTYPE"} and environ["PATH"] == "/usr/bin:/bin"
    assert key not in result.model_dump_json()
    run = bwrap.run(answer(code).split("```python\n")[1].split("```")[0], "import solution", 2)
    assert re.search(r"sk-test-[0-9a-f]{32}", run.output) is None


def test_attacks_beside_honest_checks_leave_the_honest_results_intact(
    bwrap: BwrapSandbox,
) -> None:
    """One answer's checks, run together as a run runs them: the attacks fail, and the
    honest checks beside them still pass."""
    solution = answer("def add(a, b):\n    return a + b")
    attacks = {
        "loop": "while True:\n    pass",
        "memory": "x = bytearray(64 * 1024**3)",
        "fork": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
        "        pass",
    }
    rows = [{"id": "honest-1", "code": "from solution import add\nassert add(1, 2) == 3"}]
    rows += [{"id": name, "code": code} for name, code in attacks.items()]
    rows += [{"id": "honest-2", "code": "from solution import add\nassert add(-1, 1) == 0"}]
    checks = validate_checks(
        [{**row, "kind": "python", "severity": "fatal", "timeout": TIMEOUT} for row in rows], []
    )
    results = asyncio.run(run_checks(checks, solution, bwrap))
    assert [(r.id, r.passed) for r in results] == [
        ("honest-1", True),
        ("loop", False),
        ("memory", False),
        ("fork", False),
        ("honest-2", True),
    ]
