"""The container sandbox's command line (no engine runs on the test machines) and its
timeout path, with a stand-in engine executable."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from evalkit.checks import ContainerSandbox, Limits
from evalkit.checks.sandbox import LAUNCHER, Staged

LIMITS = Limits(memory_mb=300, processes=20, scratch_mb=32)


def command(engine: str = "podman", **options: object) -> list[str]:
    sandbox = ContainerSandbox(engine, LIMITS, executable=f"/usr/bin/{engine}", **options)  # type: ignore[arg-type]
    return sandbox.command(Staged(Path("/tmp/evalkit-check-x"), "n0nce"), 2.0, "evalkit-check-1")


def pairs(argv: list[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(argv))


@pytest.mark.parametrize("engine", ["podman", "docker"])
def test_the_container_is_isolated_and_limited(engine: str) -> None:
    argv = command(engine)
    assert argv[:3] == [f"/usr/bin/{engine}", "run", "--rm"]
    assert {
        ("--network", "none"),
        ("--user", "65534:65534"),
        ("--cap-drop", "ALL"),
        ("--security-opt", "no-new-privileges"),
        ("--memory", "300m"),
        ("--memory-swap", "300m"),
        ("--pids-limit", "20"),
        ("--name", "evalkit-check-1"),
        ("--volume", "/tmp/evalkit-check-x:/input:ro,Z"),
        ("--workdir", "/work"),
        ("--tmpfs", "/work:rw,size=32m,mode=1777"),
        ("--tmpfs", "/tmp:rw,size=32m,mode=1777"),
    } <= pairs(argv)
    assert "--read-only" in argv and "--interactive" in argv
    assert "--privileged" not in argv


def test_only_path_is_passed_into_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-pass")
    argv = command()
    assert [argv[i + 1] for i, arg in enumerate(argv) if arg in ("--env", "-e")] == [
        "PATH=/usr/local/bin:/usr/bin:/bin"
    ]
    assert not any("sk-should-not-pass" in arg for arg in argv)
    assert "--env-file" not in argv and "--env-host" not in argv


def test_the_image_runs_the_launcher_with_the_limits() -> None:
    argv = command(image="registry.example/python:3.12")
    at = argv.index("registry.example/python:3.12")
    assert argv[at + 1 : at + 8] == ["python3", "-S", "-E", "-s", "-B", "-c", LAUNCHER]
    assert argv[at + 8 : at + 10] == ["/input", "/work"]
    assert argv[at + 10 :] == [str(300 * 1024 * 1024), "3", "20", str(16 * 1024 * 1024), "256", "0"]


def test_a_timeout_kills_the_container_by_name(tmp_path: Path) -> None:
    """A stand-in engine whose `run` hangs until its `kill` is called."""
    log, pid = tmp_path / "engine.log", tmp_path / "run.pid"
    engine = tmp_path / "docker"
    engine.write_text(
        f'#!/bin/sh\necho "$1 $2" >> {log}\n'
        f'[ "$1" = run ] && echo $$ > {pid} && exec sleep 30\n'
        f'[ "$1" = kill ] && kill "$(cat {pid})"\nexit 0\n'
    )
    engine.chmod(0o755)
    began = time.monotonic()
    run = ContainerSandbox("docker", LIMITS, executable=str(engine)).run("", "pass", 0.5)
    assert run.timed_out and not run.started
    assert time.monotonic() - began < 2  # the client ended with its container
    lines = log.read_text().splitlines()
    assert lines[0] == "run --rm"
    assert lines[1].startswith("kill evalkit-check-")
