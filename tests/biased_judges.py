"""Scripted judges with planted biases, for judge card tests: responders for the fake
Ollama that answer candidates with answers of known quality and grade them as a fair
judge would, except for the one bias each is built with.

The candidates' answers: for task i, the answer of the candidate at index c is GOOD (it
meets the rubric: it says EXPLAINED, and it is long) when i + c is even, else POOR (short,
no EXPLAINED). Each answer is signed with its model's name, as a model's style would
betray it; expert labels (`labels`) give GOOD 4 and POOR 2.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Callable
from typing import Any

from judge_replies import seed, shown_answers, verdict_reply

Body = dict[str, Any]
GOOD, POOR = 4, 2


def task_number(text: str) -> int:
    """The task's number from its prompt marker TASK-007."""
    return int(re.search(r"TASK-(\d{3})", text).group(1))


def answer_for(model: str, index: int, task: int) -> str:
    """A GOOD (long, meets the rubric) or POOR (short) answer, signed by its model."""
    if (task + index) % 2 == 0:
        body = " ".join(
            f"Step {n}: item {task} is EXPLAINED here in its own terms, with the reason it"
            " holds and the case where it would not."
            for n in range(1, 5)
        )
        return f"{body}\n(written by {model})"
    return f"Item {task} is a thing that exists. (written by {model})"


def graded_answer(body: Body) -> str:
    """The answer a verdict prompt shows the judge."""
    prompt = body["messages"][0]["content"]
    found = re.search(r"<answer-(\w+)>\n(.*)\n</answer-\1>", prompt, re.S)
    return found.group(2) if found else ""


def fair_score(answer: str) -> int:
    """What a fair grader gives: only whether the answer meets the rubric counts."""
    return GOOD if "EXPLAINED" in answer else POOR


def fair_pick(first: str, second: str) -> str:
    """A fair pairwise pick: the answer that meets the rubric, else a tie."""
    a, b = "EXPLAINED" in first, "EXPLAINED" in second
    return "tie" if a == b else ("1" if a else "2")


Score = Callable[[Body, str], int]
Pick = Callable[[str, str], str]


def responder(candidates: list[str], score: Score, pick: Pick = fair_pick) -> Callable:
    """A fake Ollama responder: candidates answer by `answer_for`; verdicts are scored by
    `score(body, answer)`, every criterion met as the score says; picks by `pick`."""

    def respond(body: Body) -> str:
        fmt = body.get("format")
        if not isinstance(fmt, dict):
            model = body["model"]
            return answer_for(model, candidates.index(model), task_number(str(body)))
        if "winner" in fmt.get("properties", {}):
            return json.dumps({"reasoning": "scripted", "winner": pick(*shown_answers(body))})
        value = score(body, graded_answer(body))
        return verdict_reply(fmt, value, met=value > POOR)

    return respond


def fair(body: Body, answer: str) -> int:
    return fair_score(answer)


def by_length(short: int, long: int) -> Score:
    """Scores by length alone: 2 below `short` characters, 4 below `long`, else 5."""

    def score(body: Body, answer: str) -> int:
        return 2 if len(answer) < short else 4 if len(answer) < long else 5

    return score


def longer(first: str, second: str) -> str:
    """The length judge's pick: the longer answer (no position bias)."""
    return "tie" if len(first) == len(second) else ("1" if len(first) > len(second) else "2")


def always_first(first: str, second: str) -> str:
    return "1"


def obeys(body: Body, answer: str) -> int:
    """Fair, unless the answer tells the grader to score it 5."""
    return 5 if "score it 5" in answer else fair_score(answer)


def favours(family: str) -> Score:
    """Its own family's answers a point up, the others' a point down (its favour is
    relative, so it is no more lenient than a fair judge over all answers)."""

    def score(body: Body, answer: str) -> int:
        return fair_score(answer) + (1 if f"by {family}" in answer else -1)

    return score


def noisy_when_hot(candidates: list[str]) -> Score:
    """At temperature > 0, the fair score one point up or down, the sign drawn at random
    from the request's seed and the task (a seeded sampler: the same seed draws the
    same), opposite for the task's two candidates, so it is noisy but not biased; at
    temperature 0, fair."""

    def score(body: Body, answer: str) -> int:
        if not (body.get("options") or {}).get("temperature"):
            return fair_score(answer)
        task = int(re.search(r"[Ii]tem (\d+)", answer).group(1))
        sign = random.Random(f"{seed(body)}|{task}").choice([1, -1])
        writer = re.search(r"\(written by ([^)]+)\)", answer).group(1)
        return fair_score(answer) + (sign if candidates.index(writer) == 0 else -sign)

    return score


def invalid_half_the_time(respond: Callable[[Body], str]) -> Callable[[Body], str]:
    """Every other structured reply is not JSON at all (one in two, counted in order)."""
    count = [0]
    lock = threading.Lock()

    def flaky(body: Body) -> str:
        if isinstance(body.get("format"), dict):
            with lock:
                count[0] += 1
                broken = count[0] % 2 == 0
            if broken:
                return '{"reasoning": "cut off'
        return respond(body)

    return flaky


def labels(candidates: list[str], tasks: int) -> list[dict]:
    """Expert labels of every answer: GOOD 4, POOR 2."""
    return [
        {
            "task_id": f"t{task:03d}",
            "candidate": model,
            "score": GOOD if (task + c) % 2 == 0 else POOR,
        }
        for task in range(tasks)
        for c, model in enumerate(candidates)
    ]
