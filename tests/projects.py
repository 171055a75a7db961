"""Throwaway evalkit projects for tests: a generated suite, a config pointing at loopback
servers with test-sized timeouts, and a rubric judge file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

ENDPOINT = """
[endpoints.{name}]
kind = "ollama"
url = "{url}"
concurrency = {concurrency}
timeout = {timeout}
retries = {retries}
deadline = {deadline}
backoff = 0.05
stream = {stream}
"""


def task_row(index: int) -> dict:
    """A task whose prompt starts with a unique marker, so requests can be traced to it."""
    return {
        "id": f"t{index:03d}",
        "prompt": f"TASK-{index:03d}: explain item {index} briefly.",
        "reference": f"Item {index} is explained.",
        "rubric": [
            {"id": "explains", "criterion": "Explains the item", "severity": "fatal"},
            {"id": "brief", "criterion": "Is brief", "severity": "minor"},
        ],
        "system": None,
        "category": "architecture",
        "tags": [],
    }


def write_suite(root: Path, n: int, name: str = "gen") -> Path:
    """suites/<name> with n generated tasks."""
    folder = root / "suites" / name
    (folder / "data").mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(task_row(i)) for i in range(n)]
    (folder / "data" / "test.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n"
        "  - split: test\n    path: data/test.jsonl\n---\n# gen\n"
    )
    return folder


def write_project(
    root: Path,
    url: str,
    *,
    n_tasks: int = 6,
    candidates: tuple[str, ...] = ("m1", "m2"),
    judge_model: str = "judge",
    timeout: float = 5,
    retries: int = 2,
    deadline: float = 30,
    concurrency: int = 4,
    stream: bool = False,
    judge_url: str | None = None,
    api_key: str | None = None,
    breaker: tuple[int, float] | None = None,
    max_tokens: dict[str, int] | None = None,
) -> Path:
    """A project at root: evalkit.toml, judges/j.toml (+ template), suites/gen.

    `breaker` is (breaker_threshold, breaker_cooldown) for every endpoint, when given;
    `max_tokens` sets it for the candidates it names."""
    settings = dict(
        concurrency=concurrency,
        timeout=timeout,
        retries=retries,
        deadline=deadline,
        stream=str(stream).lower(),
    )
    extra = ""
    if breaker is not None:
        extra = f"breaker_threshold = {breaker[0]}\nbreaker_cooldown = {breaker[1]}\n"
    config = ['default_profile = "test"', ENDPOINT.format(name="srv", url=url, **settings)]
    config[-1] += extra
    if api_key:
        config[-1] += f'api_key = "{api_key}"\n'
    judge_endpoint = "srv"
    if judge_url:
        config.append(ENDPOINT.format(name="judgesrv", url=judge_url, **settings) + extra)
        judge_endpoint = "judgesrv"
    for model in candidates:
        config.append(f'[models."{model}"]\nendpoint = "srv"\ntemperature = 0.3\n')
        if max_tokens and model in max_tokens:
            config[-1] += f"max_tokens = {max_tokens[model]}\n"
    config.append(f'[models."{judge_model}"]\nendpoint = "{judge_endpoint}"\n')
    names = ", ".join(f'"{c}"' for c in candidates)
    config.append(f'[profiles.test]\ncandidates = [{names}]\njudge = "j"\n')
    (root / "evalkit.toml").write_text("\n".join(config))
    (root / "judges").mkdir(exist_ok=True)
    shutil.copy(REPO / "judges" / "rubric-judge.md", root / "judges" / "rubric-judge.md")
    (root / "judges" / "j.toml").write_text(f'model = "{judge_model}"\ntemperature = 0.0\n')
    write_suite(root, n_tasks)
    return root


def is_judge_request(entry: dict) -> bool:
    """A chat request asking for a verdict (it carries a JSON-schema format)."""
    body = entry.get("body")
    return (
        entry["path"] == "/api/chat"
        and isinstance(body, dict)
        and isinstance(body.get("format"), dict)
    )


def mentions(entry: dict, text: str) -> bool:
    """Whether a chat request's messages contain text."""
    body = entry.get("body") if isinstance(entry.get("body"), dict) else {}
    return any(text in str(m.get("content", "")) for m in body.get("messages") or [])


def start_evalkit(project: Path, *args: str) -> subprocess.Popen:
    """`python -m evalkit ARGS` started in `project`, stderr kept, stdout dropped."""
    return subprocess.Popen(
        [sys.executable, "-m", "evalkit", *args],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
