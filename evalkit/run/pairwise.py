"""Pairwise runs: both candidates' answers to each task, judged in both orders by a
`PairwiseJudge` (evalkit.judges.pairwise), one pair line per task in the run file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial

from pydantic import ConfigDict

from evalkit.endpoints.pool import CallFailed
from evalkit.errors import ResumeMismatchError
from evalkit.judges.pairwise import PairwiseJudge, outcome_of
from evalkit.run.prepare import PreparedRun, RunOptions, prepare
from evalkit.run.runner import Lane, RunPlan, drain, lane_window, messages_for
from evalkit.runfile.reader import read_run
from evalkit.runfile.writer import RunWriter
from evalkit.types import Answer, PairJudgement, PairRecord, Schema, Side, Status, Task, utc_now


class PairwiseRun(Schema):
    """A pairwise run ready to execute."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    prepared: PreparedRun
    """The run as `prepare` made it, its manifest naming the pair."""
    judge: PairwiseJudge
    """The judge, asked to compare."""
    done: dict[tuple[str, str, str, str], PairRecord]
    """Pairs already in the run file (a resume)."""


def prepare_pairwise(options: RunOptions) -> PairwiseRun:
    """Prepare as for a run of the two candidates; refuse to resume a pairwise run whose
    pair or prompt changed (unless --force)."""
    prepared = prepare(options)
    judge = PairwiseJudge(prepared.plan.judge)
    info = judge.info(*prepared.plan.candidates)
    if prepared.resuming and prepared.manifest.pairwise != info and not options.force:
        raise ResumeMismatchError(
            f"{prepared.path}: cannot resume: the pairwise comparison or its prompt changed"
            " (use --force to resume anyway)"
        )
    prepared.manifest = prepared.manifest.model_copy(update={"pairwise": info})
    done = read_run(prepared.path).pairs if prepared.resuming else {}
    return PairwiseRun(prepared=prepared, judge=judge, done=done)


async def answer_pair(
    plan: RunPlan, task: Task, names: dict[Side, str], prior: PairRecord | None
) -> tuple[dict[Side, Answer], dict[Side, CallFailed]]:
    """Both candidates' answers: kept ones reused, the others asked for at once."""
    kept = {"a": prior.answer_a, "b": prior.answer_b} if prior else {}
    answers: dict[Side, Answer] = {s: a for s, a in kept.items() if a is not None}
    failures: dict[Side, CallFailed] = {}

    async def ask(side: Side) -> None:
        endpoint, model = plan.pool.model(names[side], "candidates")
        try:
            answers[side] = await endpoint.complete(names[side], model, messages_for(task))
        except CallFailed as failed:
            failures[side] = failed

    await asyncio.gather(*(ask(side) for side in ("a", "b") if side not in answers))
    return answers, failures


async def run_pair(
    plan: RunPlan, judge: PairwiseJudge, task: Task, prior: PairRecord | None
) -> PairRecord:
    """Answer (unless kept), judge both orders, and build the pair's record."""
    started = utc_now()
    a, b = plan.candidates
    names: dict[Side, str] = {"a": a, "b": b}
    answers, failures = await answer_pair(plan, task, names, prior)
    base = {
        "task_id": task.id,
        "a": a,
        "b": b,
        "judge": plan.judge.name,
        "started_at": started,
        "answer_a": answers.get("a"),
        "answer_b": answers.get("b"),
    }
    if failures:
        failed = next(iter(failures.values()))
        status = "unavailable" if any(f.unavailable for f in failures.values()) else "error"
        return PairRecord(**base, status=status, error=failed.info)
    texts = {side: answer.text for side, answer in answers.items()}
    judgements = list(
        await asyncio.gather(
            judge.judge_order(task, texts, "a"), judge.judge_order(task, texts, "b")
        )
    )
    failed_picks = [j for j in judgements if j.preferred is None]
    if not failed_picks:
        return PairRecord(
            **base, status="ok", judgements=judgements, outcome=outcome_of(judgements)
        )
    status = pick_status(failed_picks)
    return PairRecord(**base, status=status, judgements=judgements, error=failed_picks[0].error)


def pick_status(failed: list[PairJudgement]) -> Status:
    """The status of a pair with failed picks, by the rules of result records."""
    if any(j.unavailable for j in failed):
        return "unavailable"
    return failed[0].status


async def execute_pairs(
    plan: RunPlan,
    judge: PairwiseJudge,
    writer: RunWriter,
    done: dict[tuple[str, str, str, str], PairRecord],
    on_record: Callable[[PairRecord], None] | None = None,
) -> None:
    """Every task whose pair is not ok yet, through the runner's machinery: one lane in
    suite order, its window sized by both candidates' and the judge's slots, each record
    appended with group commit (off the event loop) the moment it exists."""
    lane = Lane(
        window=lane_window(plan, plan.candidates),
        work=(
            partial(run_pair, plan, judge, task, prior) for task, prior in pending_pairs(plan, done)
        ),
    )
    await drain([lane], writer, on_record)


def pending_pairs(
    plan: RunPlan, done: dict[tuple[str, str, str, str], PairRecord]
) -> Iterator[tuple[Task, PairRecord | None]]:
    """The tasks whose pair is not ok yet, with their earlier record (kept answers), read
    lazily: a streamed suite is never held."""
    a, b = plan.candidates
    for task in plan.tasks:
        prior = done.get((task.id, a, b, plan.judge.name))
        if prior is None or prior.status != "ok":
            yield task, prior


def count_pending_pairs(plan: RunPlan, done: dict[tuple[str, str, str, str], PairRecord]) -> int:
    """How many pairs are still to do (no pass over the suite when nothing is done)."""
    if not done:
        return len(plan.tasks)
    return sum(1 for _ in pending_pairs(plan, done))
