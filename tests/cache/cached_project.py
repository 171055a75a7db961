"""A project for the cache's end-to-end tests: 3 tasks x 2 candidates (m1, m2) on one
loopback Ollama server, judged by `j` (model judge) or `other` (model judge-b)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from judge_replies import scripted
from projects import is_judge_request

from evalkit.cli import main
from evalkit.runfile.reader import read_run

TASKS = ("t000", "t001", "t002")
CANDIDATES = ("m1", "m2")
EVERY = {(t, c) for t in TASKS for c in CANDIDATES}


def responder(score: Callable[[dict], int] | int = 4) -> Callable[[dict], str]:
    """Candidates answer with their model, sampling options and prompt (so a changed setting
    changes the answer, as it does on a real model); the judge scores `score`."""
    judge = scripted(score=score)

    def respond(body: dict[str, Any]) -> str:
        if isinstance(body.get("format"), dict):
            return judge(body)
        options = json.dumps(body.get("options") or {}, sort_keys=True)
        return f"{body['model']} {options}: {body['messages'][-1]['content']}"

    return respond


def run(out: str, *flags: str) -> int:
    return main(["run", "gen", "--out", out, *flags])


def asked(fake) -> tuple[int, int]:
    """(candidate, judge) chat requests in the server's log since it was last cleared."""
    chats = [e for e in fake.requests if e["path"] == "/api/chat"]
    judged = sum(is_judge_request(e) for e in chats)
    return len(chats) - judged, judged


def from_cache(path: str) -> tuple[set, set]:
    """The (task, candidate) keys whose answer, and whose verdict, came from the cache."""
    records = read_run(path).records.values()
    answers = {(r.task_id, r.candidate) for r in records if r.cached_answer_from}
    verdicts = {(r.task_id, r.candidate) for r in records if r.cached_verdict_from}
    return answers, verdicts
