"""Secrets never leave: an API key from the environment, credentials inside URLs and a
token query parameter are planted, a run is made that succeeds and fails, and every output
(run file, terminal, reports, logs) is scanned for them."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from ollama_server import FakeOllama
from projects import write_project

from evalkit.cli import main

KEY = "sk-planted-4f9c2e71d0"
PASSWORD = "pw-planted-83hd72"
TOKEN = "tok-planted-a81k3m"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_planted_secrets_appear_nowhere(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture,
    caplog: pytest.LogCaptureFixture,
    ollama: Callable[..., FakeOllama],
) -> None:
    server = ollama(models=["m1", "m2", "judge"])
    server.set_faults(model="m2", status_for_chat=400)  # errors whose messages name the URL
    write_project(
        tmp_path,
        server.url,
        n_tasks=2,
        api_key="${EVALKIT_TEST_API_KEY}",  # sent as a bearer token to the candidates' server
        judge_url=f"http://admin:{PASSWORD}@127.0.0.1:{closed_port()}/?token={TOKEN}",  # down
    )
    monkeypatch.setenv("EVALKIT_TEST_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    run_file = tmp_path / "run.jsonl"
    assert main(["run", "gen", "--out", str(run_file)]) == 3
    assert main(["check"]) == 3
    outputs = [run_file.read_text()]
    for command in (["report", str(run_file)], ["show", str(run_file), "--full"]):
        main(command)  # whichever of the read-only commands exist: their output is scanned
    captured = capfd.readouterr()
    outputs += [captured.out, captured.err, caplog.text]
    outputs += [p.read_text() for p in tmp_path.rglob("*.md") if "judges" not in str(p)]
    seen = "\n".join(outputs)
    assert "unavailable" in seen and "HTTP 400" in seen  # the failures were really reported
    for secret in (KEY, PASSWORD, TOKEN):
        assert secret not in seen
    assert server.requests, "the run must have reached the server"
    assert [r for r in server.requests if r["path"] == "/api/chat"]


def test_a_replica_with_credentials_that_is_down_leaks_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture,
    caplog: pytest.LogCaptureFixture,
    ollama: Callable[..., FakeOllama],
) -> None:
    """Every replica is probed: the one that is down is reported by its URL, redacted."""
    server = ollama(models=["m1", "m2", "judge"])
    write_project(tmp_path, server.url, n_tasks=2)
    down = f"http://admin:{PASSWORD}@127.0.0.1:{closed_port()}/?token={TOKEN}"
    config = (tmp_path / "evalkit.toml").read_text()
    replicas = f'replicas = ["{down}", "{server.url}"]'
    (tmp_path / "evalkit.toml").write_text(config.replace(f'url = "{server.url}"', replicas))
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    run_file = tmp_path / "run.jsonl"
    assert main(["run", "gen", "--out", str(run_file)]) == 0  # the other replica served
    assert main(["check"]) == 3  # but `check` says one is down, by its redacted URL
    main(["report", str(run_file)])
    captured = capfd.readouterr()
    seen = "\n".join([run_file.read_text(), captured.out, captured.err, caplog.text])
    assert "127.0.0.1" in seen and "1 of 2 replicas serving" in seen
    for secret in (PASSWORD, TOKEN):
        assert secret not in seen
