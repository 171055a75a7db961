"""Fan-out: every (task, candidate, sample) key not yet done is answered, graded as soon as
its answer exists, and recorded.

Every grading passes `grade_checked` before it becomes a record, whichever judge made it
(rubric, panel, sampled, plugin): one check of every verdict, one fatal cap, and the
record's status decided from the grading's flags (`Grading.status`).

Keys already `ok` in the run file get no request at all. A key whose answer was kept
(graded wrongly, or its judge was down) is only graded again. Work is admitted a bounded
number of keys at a time, so a suite of any size runs in constant memory, and the
endpoints' own slot limits decide how many requests are in flight.

With `samples` K > 1 each candidate answers each task K times; sample i is asked with the
model's seed + i (seed 0 + i when the model sets none; sample 0 is asked exactly as a run
of one sample asks), so a resume asks a missing sample with the seed it would have had.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, NamedTuple, TypeVar

from evalkit.endpoints.pool import CallFailed, Pool
from evalkit.endpoints.probes import probe_all
from evalkit.errors import EvalkitError
from evalkit.judges.protocol import Judge, judge_models_of
from evalkit.judges.verdicts import grade_checked
from evalkit.run.cached import RunCache, checked_of
from evalkit.run.checking import (
    Checked,
    CheckSetup,
    apply_checks,
    check_answer,
    check_fields,
)
from evalkit.runfile.writer import RunWriter
from evalkit.types import (
    Answer,
    EndpointHealth,
    Grading,
    PairRecord,
    Record,
    RecordKey,
    Task,
    record_key,
    utc_now,
)

Key = RecordKey
AnswerKey = tuple[str, str, int]
"""(task_id, candidate, sample): a key without its judge."""
OnRecord = Callable[[Record], None]
R = TypeVar("R", Record, PairRecord)


@dataclass
class RunPlan:
    """Everything a run needs, resolved: what to ask, whom, who grades, what is done."""

    tasks: Sequence[Task]
    """A list, or a suite's TaskStream that reads the dataset again on each pass."""
    candidates: list[str]
    judge: Judge
    pool: Pool
    done: dict[Key, Record] = field(default_factory=dict)
    """Records already in the run file (a resume), latest per key."""
    answers: dict[AnswerKey, Answer] = field(default_factory=dict)
    """Answers to grade instead of asking the candidate, by (task_id, candidate, sample):
    a re-grade of another run file. A key with neither an answer here nor a kept one calls
    the candidate."""
    checks: CheckSetup = field(default_factory=CheckSetup)
    """Where the tasks' checks run (or that they are skipped)."""
    kept_checks: dict[AnswerKey, Record] = field(default_factory=dict)
    """Records whose check results a key reuses while its checks are unchanged, by
    (task_id, candidate, sample): a re-grade's source records."""
    samples: int | list[int] = 1
    """Answers per task and candidate (K: samples 0 .. K-1), or the sample indexes to do
    (a re-grade does the samples its parent holds)."""
    cache: RunCache | None = None
    """The cache across runs, once the run file is open (`evalkit.run.cached`); None with
    --no-cache."""

    def sample_indexes(self) -> list[int]:
        """The samples each (task, candidate) has."""
        return list(range(self.samples)) if isinstance(self.samples, int) else self.samples

    def pending_keys(self, candidates: list[str] | None = None) -> Iterable[tuple[Task, str, int]]:
        """The (task, candidate, sample) keys still to do, in suite order, a task's samples
        together (of `candidates` only, when given)."""
        indexes = self.sample_indexes()
        for task in self.tasks:
            for candidate in candidates or self.candidates:
                for sample in indexes:
                    prior = self.done.get(record_key(task.id, candidate, self.judge.name, sample))
                    if prior is None or prior.status != "ok":
                        yield task, candidate, sample

    def pending(self) -> int:
        """How many keys are still to do."""
        if not self.done:  # nothing done yet: no pass over a streamed suite to count them
            return len(self.tasks) * len(self.candidates) * len(self.sample_indexes())
        return sum(1 for _ in self.pending_keys())


def messages_for(task: Task) -> list[dict[str, str]]:
    """The chat messages a candidate is sent for a task."""
    system = [{"role": "system", "content": task.system}] if task.system else []
    return [*system, {"role": "user", "content": task.prompt}]


async def probe_plan(plan: RunPlan) -> list[EndpointHealth]:
    """Probe every endpoint the plan uses; down endpoints and missing models are marked."""
    needs: dict = {}
    for name in plan.candidates:
        endpoint, model = plan.pool.model(name, "candidates")
        needs.setdefault(endpoint, {})[name] = model.model or name
    for endpoint in plan.judge.endpoints():
        needs.setdefault(endpoint, {})
    info = plan.judge.info()
    for name in judge_models_of(info):  # a panel's members too
        endpoint, model = plan.pool.model(name, f"judge {info.name}")
        needs.setdefault(endpoint, {})[name] = model.model or name
    return await probe_all(needs)


async def run_key(plan: RunPlan, task: Task, candidate: str, sample: int = 0) -> Record:
    """Answer (unless an answer is kept or cached), check, grade (unless the verdict is
    cached), and build the record for one key.

    An answer cut at max_tokens or empty is graded like any other (see `Answer.empty` for
    why an empty one is not an error), and the judge is told which it is. The task's checks
    run before the judge, which is shown what they found (see `evalkit.run.checking`)."""
    started = utc_now()
    base = {"task_id": task.id, "candidate": candidate, "judge": plan.judge.name, "sample": sample}
    prior = plan.done.get(record_key(task.id, candidate, plan.judge.name, sample))
    got = await _answer(plan, task, candidate, sample, prior)
    if isinstance(got, CallFailed):
        status = "unavailable" if got.unavailable else "error"
        return Record(**base, status=status, error=got.info, started_at=started)
    answer, answer_from = got
    kept = prior if prior is not None and prior.answer is not None else None
    grading, checked, verdict_from = await _grade(
        plan, task, answer, kept or plan.kept_checks.get((task.id, candidate, sample))
    )
    verdict, disagreements = apply_checks(grading.verdict, checked)
    return Record(
        **base,
        status=grading.status,
        answer=answer,
        verdict=verdict,
        judge_raw=grading.raw,
        judge_answer=grading.judge_answer,
        error=grading.error,
        members=grading.members,
        spread=grading.spread,
        started_at=started,
        **check_fields(checked, disagreements),
        cached_answer_from=answer_from,
        cached_verdict_from=verdict_from,
    )


async def _answer(
    plan: RunPlan, task: Task, candidate: str, sample: int, prior: Record | None
) -> tuple[Answer, str | None] | CallFailed:
    """The key's answer and the run id the cache had it from (None when it was not): the
    one kept in the run file (a resume) or given (a re-grade), else `new_answer`'s."""
    if prior is not None and prior.answer is not None:
        return prior.answer, prior.cached_answer_from
    given = plan.answers.get((task.id, candidate, sample))
    if given is not None:
        return given, None
    return await new_answer(plan, task, candidate, sample)


async def new_answer(
    plan: RunPlan, task: Task, candidate: str, sample: int = 0
) -> tuple[Answer, str | None] | CallFailed:
    """The cache's answer to this key and the run id it had it from, else the candidate's
    (then stored in the cache) and None; or why the candidate gave none. Sample i > 0 is
    asked with seed + i."""
    messages = messages_for(task)
    key, hit = plan.cache.answer(candidate, messages, sample) if plan.cache else ("", None)
    if hit is not None:
        return hit.value, hit.run_id
    endpoint, model = plan.pool.model(candidate, "candidates")
    overrides = {"seed": (model.seed or 0) + sample} if sample else None
    try:
        answer = await endpoint.complete(candidate, model, messages, overrides=overrides)
    except CallFailed as failed:
        return failed
    if plan.cache is not None:
        plan.cache.keep_answer(key, answer)
    return answer, None


async def _grade(
    plan: RunPlan, task: Task, answer: Answer, kept: Record | None
) -> tuple[Grading, Checked, str | None]:
    """The grading of `answer`, the checks it was made with, and the run id the cache had
    it from (None when the judge graded it now). Every verdict made now passes
    `grade_checked`, whoever the judge is."""
    key, hit = plan.cache.verdict(task, answer) if plan.cache else ("", None)
    if hit is not None:
        return hit.value.grading, checked_of(task, hit.value), hit.run_id
    checked = await check_answer(task, answer.text, plan.checks, kept)
    grading = await grade_checked(
        plan.judge, task, answer.text, answer.finish_reason, checked.evidence()
    )
    if plan.cache is not None:
        plan.cache.keep_verdict(key, grading, checked)
    return grading, checked, None


async def execute(plan: RunPlan, writer: RunWriter, on_record: OnRecord | None = None) -> None:
    """Run every pending key; each record is written the moment it is complete, and is
    counted (`on_record`) once it is durable.

    Each candidate's keys are admitted through a lane of their own, in suite order: one
    shared queue in suite order let a slow endpoint's keys fill every place, so a fast
    endpoint idled behind them."""
    lanes = [
        Lane(window=lane_window(plan, [candidate]), work=_keys_of(plan, candidate))
        for candidate in plan.candidates
    ]
    await drain(lanes, writer, on_record)


def _keys_of(plan: RunPlan, candidate: str) -> Iterator[Callable[[], Awaitable[Record]]]:
    """One candidate's pending keys, each as the work that makes its record."""
    for task, _, sample in plan.pending_keys([candidate]):
        yield partial(run_key, plan, task, candidate, sample)


class Lane(NamedTuple, Generic[R]):
    """Work admitted in order, at most `window` items in flight at once."""

    window: int
    """Items in flight at once: enough to keep every slot they use busy, few enough that a
    suite of any size runs in constant memory."""
    work: Iterable[Callable[[], Awaitable[R | list[R]]]]
    """Each item makes a record (or a task's records); read lazily, one per free place."""


async def drain(
    lanes: Sequence[Lane[R]], writer: RunWriter, on_record: Callable[[R], None] | None = None
) -> None:
    """Run every lane's work; each record is appended (group commit, off the event loop)
    and then counted (`on_record`) once it is durable. Used by runs, re-grades and
    pairwise runs alike."""
    async with asyncio.TaskGroup() as group:
        for lane in lanes:
            group.create_task(_lane(lane, writer, on_record, group))


async def _lane(
    lane: Lane[R],
    writer: RunWriter,
    on_record: Callable[[R], None] | None,
    group: asyncio.TaskGroup,
) -> None:
    """Admit one lane's work, a bounded number at a time."""
    admitted = asyncio.Semaphore(lane.window)

    async def one(make: Callable[[], Awaitable[R | list[R]]]) -> None:
        try:
            made = await make()
            for record in made if isinstance(made, list) else [made]:
                await writer.append(record)
                if on_record is not None:
                    on_record(record)
        finally:
            admitted.release()

    for make in lane.work:
        await admitted.acquire()
        group.create_task(one(make))


def lane_window(plan: RunPlan, candidates: list[str]) -> int:
    """Keys in flight at once for a lane asking `candidates`: twice the slots they can
    occupy (their endpoints' and the judge's), so a freed slot always has a key waiting for
    it, and a suite of any size runs in constant memory."""
    slots = sum(endpoint.capacity for endpoint in plan.judge.endpoints())
    for candidate in candidates:
        try:
            endpoint, _ = plan.pool.model(candidate, "candidates")
            slots += endpoint.capacity
        except EvalkitError:  # a re-grade's candidate need not be in this config
            pass
    return max(4, 2 * slots)
