"""Secrets never leave, and scrubbing them never damages data.

Real requests go through litellm to a reachable loopback server: one endpoint's URL carries
a user name and a password, another sends an API key from the environment. Some requests
are answered 200, others 500 with a body that echoes the request (its headers, and the
Basic credentials decoded), so litellm's own error and debug text carry the secrets. Every
output (run file, terminal, logs, Markdown and HTML reports) is scanned for them, every
command's exit code is checked, and the candidate `gemma3:1b`, whose name starts with the
URL's user name `gemma`, is written intact and resumed without being asked again.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from ollama_server import FakeOllama
from projects import ENDPOINT, write_project

from evalkit.cli import main

KEY = "rpa_planted4f9c2e71d0"  # not sk-..., which litellm masks by its shape
PASSWORD = "pw-planted-83hd72"
TOKEN = "tok-planted-a81k3m"
BASIC = base64.b64encode(f"gemma:{PASSWORD}".encode()).decode()
"""The password as it travels in the Authorization header: a secret too."""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def endpoint(name: str, url: str, extra: str = "") -> str:
    settings = dict(concurrency=4, timeout=5, retries=1, deadline=30, stream="false")
    return ENDPOINT.format(name=name, url=url, **settings) + extra


def write_credentials_project(root: Path, server_url: str) -> None:
    """gemma3:1b and m2 on a URL with user:password, m3 and the judge on one with an API
    key; both are the same loopback server."""
    write_project(root, server_url, n_tasks=2)  # the suite and the judge files
    with_password = server_url.replace("http://", f"http://gemma:{PASSWORD}@")
    config = [
        'default_profile = "test"',
        endpoint("pw", with_password),
        endpoint("keyed", server_url, 'api_key = "${EVALKIT_TEST_API_KEY}"\n'),
        '[models."gemma3:1b"]\nendpoint = "pw"\n',
        '[models."m2"]\nendpoint = "pw"\n',
        '[models."m3"]\nendpoint = "keyed"\n',
        '[models."judge"]\nendpoint = "keyed"\n',
        '[profiles.test]\ncandidates = ["gemma3:1b", "m2", "m3"]\njudge = "j"\n',
    ]
    (root / "evalkit.toml").write_text("\n".join(config))


def records(run_file: Path) -> list[dict]:
    lines = [json.loads(line) for line in run_file.read_text().splitlines()]
    return [line for line in lines if line["type"] == "result"]


def test_planted_secrets_appear_nowhere_and_keys_stay_intact(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture,
    caplog: pytest.LogCaptureFixture,
    ollama: Callable[..., FakeOllama],
) -> None:
    server = ollama(models=["gemma3:1b", "m2", "m3", "judge"])
    for failing in ("m2", "m3"):  # answered 500, the body quoting the credentials sent
        server.set_faults(model=failing, status_for_chat=500, echo_request=True)
    write_credentials_project(tmp_path, server.url)
    monkeypatch.setenv("EVALKIT_TEST_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="LiteLLM")  # litellm's own debug text too
    run_file = tmp_path / "run.jsonl"

    assert main(["run", "gen", "--out", str(run_file)]) == 3  # m2 and m3 failed
    asked = server.count(path="/api/chat", model="gemma3:1b")
    assert main(["run", "--resume", str(run_file)]) == 3  # they fail again
    assert main(["check"]) == 0
    assert main(["report", str(run_file), "-o", str(tmp_path / "report.md")]) == 0
    assert main(["report", str(run_file), "-o", str(tmp_path / "report.html")]) == 0
    assert main(["show", str(run_file), "--full"]) == 0

    # the credentials were really sent, and the failures really quoted them back
    chats = [r for r in server.requests if r["path"] == "/api/chat"]
    sent = {r["model"]: r["headers"].get("authorization") for r in chats}
    assert sent["gemma3:1b"] == sent["m2"] == f"Basic {BASIC}"
    assert sent["m3"] == sent["judge"] == f"Bearer {KEY}"
    # gemma3:1b keeps its name, is graded, and the resume did not ask it again
    kept = [r for r in records(run_file) if r["candidate"] == "gemma3:1b"]
    assert len(kept) == 2 and all(r["status"] == "ok" for r in kept)
    assert server.count(path="/api/chat", model="gemma3:1b") == asked
    failed = [r for r in records(run_file) if r["candidate"] in ("m2", "m3")]
    assert len(failed) == 8 and all("HTTP 500" in r["error"]["message"] for r in failed)

    captured = capfd.readouterr()
    reports = [(tmp_path / name).read_text() for name in ("report.md", "report.html")]
    outputs = [run_file.read_text(), *reports, captured.out, captured.err, caplog.text]
    seen = "\n".join(outputs)
    assert "fault injected: HTTP 500" in seen  # the echoing bodies reached the outputs
    for secret in (KEY, PASSWORD, BASIC):
        assert secret not in seen
    assert "***3:1b" not in seen
    for output in (run_file.read_text(), *reports):
        assert "gemma3:1b" in output


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
    assert main(["report", str(run_file)]) == 0
    captured = capfd.readouterr()
    seen = "\n".join([run_file.read_text(), captured.out, captured.err, caplog.text])
    assert "127.0.0.1" in seen and "1 of 2 replicas serving" in seen
    for secret in (PASSWORD, TOKEN):
        assert secret not in seen


def test_a_mistyped_endpoint_override_is_refused_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    """`--endpoint URL` without NAME= is a usage error; the message quoting it shows the
    URL without its credentials."""
    write_project(tmp_path, "http://127.0.0.1:9", n_tasks=1)
    monkeypatch.chdir(tmp_path)
    password, token = "pw-typed-by-hand-3k2j", "tok-typed-by-hand-9d8s"  # seen by no pool
    override = f"https://gemma:{password}@pod.example/?token={token}"
    assert main(["run", "gen", "--endpoint", override]) == 2
    err = capfd.readouterr().err
    assert "--endpoint" in err and "pod.example" in err
    assert password not in err and token not in err
