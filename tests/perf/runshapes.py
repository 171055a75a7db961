"""Run files shaped like the ones real runs write, for the reader benchmarks.

A real record carries a verdict with a finding on every rubric criterion (eight here,
each with a few words of evidence), the judge's raw reply (the verdict as JSON) in
`judge_answer`, and the token counts and durations Ollama reports: about 2.3 kB a line,
23 MB for 10,000 records. B is a new run of the same suite after a change: every answer
is new, and the score differs from A's on a third of the rows (by one or two points,
either way), as issue 17 measured on a real pair.
"""

from __future__ import annotations

import random

from evalkit.types import Answer, CriterionResult, ErrorInfo, Issue, Record, Verdict

LABELS = {1: "USELESS", 2: "BROKEN", 3: "PARTIAL", 4: "GOOD", 5: "CORRECT"}
CRITERIA = (
    "verifies-signature",
    "constant-time",
    "rejects-replay",
    "handles-errors",
    "no-secrets-logged",
    "tests-included",
    "explains-choices",
    "idiomatic",
)
PROSE = (
    "the handler reads the payload and checks the header before it parses the body, then"
    " returns early on a mismatch so nothing downstream ever sees an unverified event while"
    " the secret stays in the environment and never reaches a log line or an error message"
)
WORDS = PROSE.split(" ")
CHANGED_SHARE = 1 / 3
"""Rows whose score in B differs from A's."""


def real_pair(
    tasks: int, candidates: tuple[str, ...], seed: int = 7
) -> tuple[list[Record], list[Record]]:
    """A's and B's records, `tasks` × `candidates` each, in the same key order."""
    rng = random.Random(seed)
    a: list[Record] = []
    b: list[Record] = []
    for i in range(tasks):
        for candidate in candidates:
            status = "ok" if rng.random() > 0.03 else rng.choice(("unavailable", "judge_error"))
            score = rng.randint(1, 5)
            moved = score
            if status == "ok" and rng.random() < CHANGED_SHARE:
                moved = rng.choice(
                    [s for s in range(score - 2, score + 3) if s != score and 1 <= s <= 5]
                )
            task_id = f"task-{i:05d}"
            a.append(real_record(task_id, candidate, status, score, rng))
            b.append(real_record(task_id, candidate, status, moved, rng))
    return a, b


def real_record(
    task_id: str, candidate: str, status: str, score: int, rng: random.Random
) -> Record:
    """One record as a real run writes it."""
    answer = _answer(_prose(rng, 26), rng)
    stamp = f"2026-04-14T12:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.000+00:00"
    common = {"task_id": task_id, "candidate": candidate, "judge": "gemma3-27b"}
    if status == "unavailable":
        error = ErrorInfo(kind="NotFoundError", message="HTTP 404: endpoint down", status_code=404)
        return Record(
            **common, status="unavailable", error=error, started_at=stamp, finished_at=stamp
        )
    verdict = _verdict(score, rng)
    judge_answer = _answer(verdict.model_dump_json(), rng)
    if status == "judge_error":
        error = ErrorInfo(kind="InvalidVerdict", message="score: 7 is not one of 1-5", role="judge")
        return Record(
            **common,
            status="judge_error",
            answer=answer,
            judge_raw=[judge_answer.text],
            judge_answer=judge_answer,
            error=error,
            started_at=stamp,
            finished_at=stamp,
        )
    return Record(
        **common,
        status="ok",
        answer=answer,
        verdict=verdict,
        judge_answer=judge_answer,
        started_at=stamp,
        finished_at=stamp,
    )


def _verdict(score: int, rng: random.Random) -> Verdict:
    criteria = [
        CriterionResult(id=name, met=rng.random() < score / 5, note=_prose(rng, 3).capitalize())
        for name in CRITERIA
    ]
    issues = [
        Issue(severity=rng.choice(("fatal", "wrong", "vague", "minor")), description=_prose(rng, 5))
        for _ in range(rng.randint(0, 2))
    ]
    return Verdict(
        reasoning=_prose(rng, 12),
        criteria=criteria,
        issues=issues,
        score=score,  # type: ignore[arg-type]
        label=LABELS[score],
    )


def _answer(text: str, rng: random.Random) -> Answer:
    return Answer(
        text=text,
        latency_ms=round(rng.uniform(800, 12_000), 3),
        prompt_tokens=rng.randint(80, 900),
        completion_tokens=rng.randint(100, 700),
        load_ms=round(rng.uniform(0, 40), 3),
        prompt_eval_ms=round(rng.uniform(20, 400), 3),
        eval_ms=round(rng.uniform(700, 11_000), 3),
        finish_reason="stop",
    )


def _prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))
