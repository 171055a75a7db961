"""The judge card's position probe: two candidates' answers to a task judged side by side,
in both orders, by the judge asked to compare (evalkit.judges.pairwise), as a pairwise run
judges them: the first answering candidate against each other one. A pairwise run judged
by the same judge (same definition) lends its own pairs instead, and no pick is asked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from evalkit.endpoints.pool import Pool
from evalkit.errors import EvalkitError
from evalkit.judges.pairwise import PairwiseJudge
from evalkit.judges.protocol import Judge
from evalkit.run.pairwise import judge_pair
from evalkit.run.runner import RunPlan
from evalkit.runfile.manifests import judge_changes
from evalkit.runfile.reader import RunFile
from evalkit.types import Answer, PairRecord, Task, utc_now

ANSWERED = ("ok", "judge_error")
"""Statuses of a card key (grading or pair) the judge replied to: done, never asked again
(a judge_error is the validity probe's finding, not a failure to retry)."""
Make = Callable[[], Awaitable[PairRecord]]


def pair_judge_for(judge: Judge) -> PairwiseJudge | str:
    """The judge asked to compare, or why it cannot be (a panel, a sampled judge, a
    plugin, a judge without a pairwise template): then the card has no position probe."""
    try:
        return PairwiseJudge(judge)
    except EvalkitError as exc:
        return str(exc)


def pair_work(
    judge: Judge,
    pool: Pool,
    pair_judge: PairwiseJudge,
    tasks: list[Task],
    candidates: list[str],
    answers: dict[tuple[str, str], Answer],
    done: set[tuple],
) -> list[Make]:
    """Per task, the first answering candidate against each other one, both orders."""
    plan = RunPlan(tasks=[], candidates=[], judge=judge, pool=pool)
    work: list[Make] = []
    for task in tasks:
        named = {c: answers[(task.id, c)] for c in candidates if (task.id, c) in answers}
        first, *others = list(named) or [""]
        for other in others:
            if (task.id, first, other, judge.name) not in done:
                work.append(partial(_judge_pair, plan, pair_judge, task, (first, other), named))
    return work


async def _judge_pair(
    plan: RunPlan,
    pair_judge: PairwiseJudge,
    task: Task,
    pair: tuple[str, str],
    answers: dict[str, Answer],
) -> PairRecord:
    """One pair in both orders, as a pairwise run judges it (no answer is asked for)."""
    return await judge_pair(plan, pair_judge, task, pair, answers, {}, utc_now())


def own_pairs(parent: RunFile, judge: Judge) -> list[PairRecord]:
    """A pairwise run's judged pairs, when this judge (same definition) judged them."""
    if parent.manifest.pairwise is None or judge_changes(parent.manifest.judge, judge.info()):
        return []
    return [p for p in parent.pairs.values() if p.judge == judge.name and p.status in ANSWERED]
