"""Build synthetic run files and suite folders for tests and benchmarks.

Everything goes through the real `RunWriter`, so a file made here is exactly what a run
would have written. Records are described by keyword (or by `Row` tuples in tables):

    path = write_run(tmp_path / "a.jsonl", [
        Row("t1", "gemma3:1b", "ok", 2),
        Row("t1", "gemma3:27b", "unavailable"),
    ])

`big_brain_run` rebuilds the seed document's session: four tasks, gemma3:1b graded 2/5 on
each, gemma3:27b unavailable (HTTP 404 from the stopped pod).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from evalkit.runfile.writer import RunWriter
from evalkit.suites.rows import fingerprint as suite_fingerprint
from evalkit.types import (
    Answer,
    CheckResult,
    CriterionResult,
    Disagreement,
    EndpointHealth,
    ErrorInfo,
    Issue,
    JudgeInfo,
    ModelInfo,
    Record,
    RunManifest,
    SuiteInfo,
    Task,
    Verdict,
)

JUDGE = "gemma3-27b"
POD_URL = "https://8lfr3j47a5r3gn-11434.proxy.runpod.net"
DOWN = f"HTTP 404 from {POD_URL}: endpoint down"
LABELS = {1: "USELESS", 2: "BROKEN", 3: "PARTIAL", 4: "GOOD", 5: "CORRECT"}


class Row(NamedTuple):
    """One record in a table-driven test: who, how it went, and its score if ok."""

    task_id: str
    candidate: str
    status: str = "ok"
    score: int | None = 3
    latency_ms: float | None = 1000.0
    text: str | None = None
    """The answer's text; default: derived from task and candidate."""
    judge: str = JUDGE


def model_info(name: str, endpoint: str = "local", notes: str | None = None) -> ModelInfo:
    """A model as the manifest records it."""
    url = POD_URL if endpoint == "big-brain" else "http://localhost:11434"
    return ModelInfo(
        name=name,
        endpoint=endpoint,
        kind="ollama",
        url=url,
        litellm_model=f"ollama_chat/{name}",
        params={"temperature": 0.3, "seed": 42, "max_tokens": 1024, "num_ctx": 8192},
        notes=notes,
    )


BIG_BRAIN_MODELS = {
    "gemma3:1b": model_info("gemma3:1b", "local", "~1B parameters; Apple Silicon (local Ollama)"),
    "gemma3:27b": model_info("gemma3:27b", "big-brain", "27B parameters; RunPod L40S 48GB"),
}

BIG_BRAIN_HEALTH = [
    EndpointHealth(
        endpoint="local",
        kind="ollama",
        url="http://localhost:11434",
        reachable=True,
        version="0.6.2",
        models=["gemma3:1b"],
    ),
    EndpointHealth(
        endpoint="big-brain",
        kind="ollama",
        url=POD_URL,
        reachable=False,
        error=DOWN,
        status_code=404,
    ),
]


def manifest(
    candidates: Sequence[str] = ("gemma3:1b", "gemma3:27b"),
    *,
    judge: str = JUDGE,
    suite: str = "big-brain",
    suite_ref: str | None = None,
    tasks: int = 4,
    models: dict[str, ModelInfo] | None = None,
    health: list[EndpointHealth] | None = None,
    prompt_sha256: str = "0" * 64,
    run_id: str = "20260414T120000Z-abc123",
    fingerprint: str = "f" * 64,
) -> RunManifest:
    """A manifest; models default to local Ollama ones for every candidate."""
    known = models if models is not None else BIG_BRAIN_MODELS
    return RunManifest(
        run_id=run_id,
        evalkit_version="0.1.0",
        suite=SuiteInfo(name=suite, ref=suite_ref or suite, fingerprint=fingerprint, tasks=tasks),
        profile="big-brain",
        candidates=list(candidates),
        models={c: known.get(c) or model_info(c) for c in candidates},
        judge=JudgeInfo(name=judge, model="gemma3:27b", prompt_sha256=prompt_sha256),
        health=BIG_BRAIN_HEALTH if health is None else health,
        started_at="2026-04-14T12:00:00.000+00:00",
    )


def verdict(score: int, label: str | None = None, issues: Iterable[Issue] = ()) -> Verdict:
    """A verdict with one criterion per outcome."""
    return Verdict(
        reasoning=f"Graded {score}/5 against the reference.",
        criteria=[CriterionResult(id="main", met=score >= 3, note="checked")],
        issues=list(issues),
        score=score,  # type: ignore[arg-type]
        label=label or LABELS[score],
    )


def record(
    task_id: str,
    candidate: str,
    status: str = "ok",
    score: int | None = 3,
    *,
    latency_ms: float | None = 1000.0,
    text: str | None = None,
    judge: str = JUDGE,
    label: str | None = None,
    issues: Iterable[Issue] = (),
    error: str = DOWN,
    checks: Sequence[CheckResult] = (),
    disagreements: Sequence[Disagreement] = (),
) -> Record:
    """One record. Not-ok statuses get an error; `error` and `judge_error` keep no
    verdict, `judge_error` keeps its answer as a run would. `checks` (see `check`) and
    `disagreements` are stored as a run stores them, with a checks_hash."""
    answer = Answer(text=text or f"answer of {candidate} to {task_id}", latency_ms=latency_ms)
    checked = (
        {"checks": list(checks), "disagreements": list(disagreements), "checks_hash": "c" * 64}
        if checks
        else {}
    )
    if status == "ok":
        assert score is not None, "an ok record needs a score"
        return Record(
            task_id=task_id,
            candidate=candidate,
            judge=judge,
            status="ok",
            answer=answer,
            verdict=verdict(score, label, issues),
            **checked,
        )
    kinds = {"unavailable": "NotFoundError", "error": "BadRequestError"}
    info = ErrorInfo(
        kind=kinds.get(status, "InvalidVerdict"),
        message=error,
        status_code=404 if status == "unavailable" else None,
        role="judge" if status == "judge_error" else "candidate",
    )
    return Record(
        task_id=task_id,
        candidate=candidate,
        judge=judge,
        status=status,  # type: ignore[arg-type]
        answer=answer if status == "judge_error" else None,
        error=info,
        **(checked if status == "judge_error" else {}),
    )


def check(
    check_id: str, passed: bool | None, detail: str = "", duration_ms: float = 40.0
) -> CheckResult:
    """One check result; the detail defaults to what the runner writes for the outcome."""
    if not detail:
        detail = {True: "exit 0", False: "exit 1", None: "not run: no sandbox"}[passed]
    return CheckResult(id=check_id, passed=passed, detail=detail, duration_ms=duration_ms)


def disagree(check_id: str, criterion: str = "main", check_passed: bool = False) -> Disagreement:
    """A check that contradicts the judge on `criterion`."""
    return Disagreement(
        check_id=check_id,
        criterion=criterion,
        check_passed=check_passed,
        judge_met=not check_passed,
    )


def from_row(row: Row) -> Record:
    """The record a `Row` describes."""
    return record(
        row.task_id,
        row.candidate,
        row.status,
        row.score,
        latency_ms=row.latency_ms,
        text=row.text,
        judge=row.judge,
    )


def write_run(
    path: Path, rows: Iterable[Row | Record], run_manifest: RunManifest | None = None
) -> Path:
    """Write a run file of `rows`; the manifest's candidates and task count default to the
    rows' own (a complete run of them)."""
    records = [r if isinstance(r, Record) else from_row(r) for r in rows]
    if run_manifest is None:
        candidates = list(dict.fromkeys(r.candidate for r in records)) or ["gemma3:1b"]
        judges = {r.judge for r in records}
        run_manifest = manifest(
            candidates,
            judge=judges.pop() if len(judges) == 1 else JUDGE,
            tasks=len({r.task_id for r in records}) or 4,
        )
    with RunWriter(path, run_manifest) as writer:
        for item in records:
            writer.write(item)
    return path


# The seed session: task id, category, latency, label, fatal issue, prompt.
SEED_TASKS = [
    ("gitea-webhook", "code-security", 4435, "BROKEN", "Uses hashlib.sha256 instead of hmac"),
    ("evennia-architecture", "architecture", 1823, "SUPERFICIAL", None),
    ("fleet-burndown", "ops-scripting", 11039, "NON-FUNCTIONAL", "podman pginfo does not exist"),
    ("async-debug", "debugging", 6610, "WRONG DIAGNOSIS", "Missed the shared-session bug"),
]


def big_brain_records() -> list[Record]:
    """The seed's records: gemma3:1b 2/5 everywhere, gemma3:27b unavailable."""
    out: list[Record] = []
    for task_id, _, latency, label, fatal in SEED_TASKS:
        issues = [Issue(severity="fatal", description=fatal)] if fatal else []
        issues += [
            Issue(severity="wrong", description=f"{task_id}: a wrong claim"),
            Issue(severity="vague", description="Superficial explanation"),
        ]
        out.append(
            record(task_id, "gemma3:1b", "ok", 2, latency_ms=latency, label=label, issues=issues)
        )
        out.append(record(task_id, "gemma3:27b", "unavailable", None))
    return out


def big_brain_run(path: Path, suite_ref: str = "big-brain") -> Path:
    """The seed session as a run file; its fingerprint is that of `write_suite`'s tasks."""
    tasks = [Task.model_validate(_seed_task(t)) for t in SEED_TASKS]
    seed = manifest(suite_ref=suite_ref, fingerprint=suite_fingerprint(tasks))
    return write_run(path, big_brain_records(), seed)


def write_suite(folder: Path, tasks: Iterable[dict] | None = None) -> Path:
    """A suite folder (data/tasks.jsonl) with the seed's tasks, or `tasks`."""
    rows = list(tasks) if tasks is not None else [_seed_task(t) for t in SEED_TASKS]
    (folder / "data").mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(row) + "\n" for row in rows)
    (folder / "data" / "tasks.jsonl").write_text(lines, encoding="utf-8")
    return folder


def _seed_task(seed: tuple) -> dict:
    task_id, category = seed[0], seed[1]
    return {
        "id": task_id,
        "prompt": f"Prompt of {task_id}: write it well.",
        "reference": f"What a good answer to {task_id} contains.",
        "rubric": [{"id": "main", "criterion": "Does the main thing", "severity": "fatal"}],
        "category": category,
    }
