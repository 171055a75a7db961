"""Pairwise runs: candidates' answers to each task, judged two at a time in both orders by
a `PairwiseJudge` (evalkit.judges.pairwise), one pair line per task and pair in the run
file. Two candidates make one pair; more make every pair, or each against a baseline, and
each candidate answers a task once whatever the number of pairs it is in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import NamedTuple

from pydantic import ConfigDict

from evalkit.endpoints.pool import CallFailed
from evalkit.errors import ConfigError, ResumeMismatchError
from evalkit.judges.pairwise import PairwiseJudge, outcome_of
from evalkit.run.prepare import PreparedRun, RunOptions
from evalkit.run.runner import Lane, RunPlan, drain, lane_window, new_answer
from evalkit.run.setup import prepare
from evalkit.runfile.reader import read_run
from evalkit.runfile.writer import RunWriter
from evalkit.types import Answer, PairJudgement, PairRecord, Schema, Side, Status, Task, utc_now

PairKey = tuple[str, str, str, str]


class PairwiseRun(Schema):
    """A pairwise run ready to execute."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    prepared: PreparedRun
    """The run as `prepare` made it, its manifest naming the pair."""
    judge: PairwiseJudge
    """The judge, asked to compare."""
    done: dict[PairKey, PairRecord]
    """Pairs already in the run file (a resume)."""
    pairs: list[tuple[str, str]]
    """The (a, b) pairs judged: every pair, or each candidate against the baseline."""


def prepare_pairwise(options: RunOptions, baseline: str | None = None) -> PairwiseRun:
    """Prepare as for a run of the candidates (two or more); refuse to resume a pairwise
    run whose candidates, baseline or prompt changed (unless --force). Answers come from
    the cache across runs as in any run (an absolute run's answers serve a pairwise run of
    the same models and settings); picks are never cached."""
    prepared = prepare(options)
    judge = PairwiseJudge(prepared.plan.judge)
    candidates = prepared.plan.candidates
    if baseline is not None and baseline not in candidates:
        raise ConfigError(f"--baseline {baseline!r} is not one of the candidates {candidates}")
    info = judge.info(candidates, baseline)
    if prepared.resuming and prepared.manifest.pairwise != info and not options.force:
        raise ResumeMismatchError(
            f"{prepared.path}: cannot resume: the pairwise comparison or its prompt changed"
            " (use --force to resume anyway)"
        )
    prepared.manifest = prepared.manifest.model_copy(update={"pairwise": info})
    done = read_run(prepared.path).pairs if prepared.resuming else {}
    return PairwiseRun(prepared=prepared, judge=judge, done=done, pairs=info.pairs())


class TaskPairs(NamedTuple):
    """One task's pairs still to judge, and the answers earlier records kept."""

    task: Task
    """The task."""
    pairs: list[tuple[str, str]]
    """Its (a, b) pairs that are not ok yet."""
    kept: dict[str, tuple[Answer, str | None]]
    """Answers already in the run file, by candidate, with the run id the cache had each
    from: reused, never asked again."""


def pending_pairs(
    plan: RunPlan, pairs: list[tuple[str, str]], done: dict[PairKey, PairRecord]
) -> Iterator[TaskPairs]:
    """Each task with pairs not ok yet, read lazily: a streamed suite is never held."""
    for task in plan.tasks:
        todo, kept = [], {}
        for a, b in pairs:
            prior = done.get((task.id, a, b, plan.judge.name))
            if prior is not None:
                for name, answer, cached in (
                    (a, prior.answer_a, prior.cached_answer_a_from),
                    (b, prior.answer_b, prior.cached_answer_b_from),
                ):
                    if answer is not None:
                        kept[name] = (answer, cached)
            if prior is None or prior.status != "ok":
                todo.append((a, b))
        if todo:
            yield TaskPairs(task, todo, kept)


def count_pending_pairs(
    plan: RunPlan, pairs: list[tuple[str, str]], done: dict[PairKey, PairRecord]
) -> int:
    """How many pairs are still to do (no pass over the suite when nothing is done)."""
    if not done:
        return len(plan.tasks) * len(pairs)
    return sum(len(item.pairs) for item in pending_pairs(plan, pairs, done))


async def run_task(plan: RunPlan, judge: PairwiseJudge, item: TaskPairs) -> list[PairRecord]:
    """Every candidate a pending pair needs answers once (unless kept, or in the cache),
    then each pair is judged in both orders: with three candidates, each answer serves two
    pairs."""
    started = utc_now()
    needed = list(dict.fromkeys(name for pair in item.pairs for name in pair))
    answers: dict[str, Answer] = {}
    cached: dict[str, str | None] = {}
    for name in needed:
        if name in item.kept:
            answers[name], cached[name] = item.kept[name]
    failures: dict[str, CallFailed] = {}

    async def ask(name: str) -> None:
        got = await new_answer(plan, item.task, name)
        if isinstance(got, CallFailed):
            failures[name] = got
        else:
            answers[name], cached[name] = got

    await asyncio.gather(*(ask(name) for name in needed if name not in answers))
    return list(
        await asyncio.gather(
            *(
                judge_pair(plan, judge, item.task, pair, answers, failures, started, cached)
                for pair in item.pairs
            )
        )
    )


async def judge_pair(
    plan: RunPlan,
    judge: PairwiseJudge,
    task: Task,
    pair: tuple[str, str],
    answers: dict[str, Answer],
    failures: dict[str, CallFailed],
    started: str,
    cached: dict[str, str | None] | None = None,
) -> PairRecord:
    """Judge one pair in both orders from the task's answers, and build its record;
    `cached`: the run id the cache across runs had each answer from."""
    a, b = pair
    cached = cached or {}
    base = {
        "task_id": task.id,
        "a": a,
        "b": b,
        "judge": plan.judge.name,
        "started_at": started,
        "answer_a": answers.get(a),
        "answer_b": answers.get(b),
        "cached_answer_a_from": cached.get(a),
        "cached_answer_b_from": cached.get(b),
    }
    failed = [failures[name] for name in pair if name in failures]
    if failed:
        status = "unavailable" if any(f.unavailable for f in failed) else "error"
        return PairRecord(**base, status=status, error=failed[0].info)
    sides: dict[Side, Answer] = {"a": answers[a], "b": answers[b]}
    judgements = list(
        await asyncio.gather(
            judge.judge_order(task, sides, "a"), judge.judge_order(task, sides, "b")
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
    pairs: list[tuple[str, str]],
    writer: RunWriter,
    done: dict[PairKey, PairRecord],
    on_record: Callable[[PairRecord], None] | None = None,
) -> None:
    """Every pair not ok yet, through the runner's machinery: one lane of tasks in suite
    order, its window sized by the candidates' and the judge's slots, each record appended
    with group commit (off the event loop) the moment it exists."""
    lane = Lane(
        window=lane_window(plan, plan.candidates),
        work=(partial(run_task, plan, judge, item) for item in pending_pairs(plan, pairs, done)),
    )
    await drain([lane], writer, on_record)
