"""Pairwise mode: the judge sees two candidates' answers to one task and picks the better
one or a tie, twice: once with A's answer shown first, once with B's.

A judge that prefers whichever answer comes first (or second) gives the two orders
different picks; such a pair is `inconsistent` and counted apart from wins, ties and
losses, and the share of pairs that are not is the judge's position consistency. The
judge's model, endpoint and settings are those of its judge file; its prompt is the file's
`pairwise_template` (judges/pairwise-judge.md by default), and the answers' order is the
only thing that differs between the two calls.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import string
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, ValidationError

from evalkit.endpoints import CallFailed
from evalkit.errors import ConfigError, ResumeMismatchError, describe_validation
from evalkit.judge_prompt import InvalidVerdict, neutralise, new_tag, task_fields
from evalkit.judges import Judge, RubricJudge, ask_validated
from evalkit.pairs import Outcome, PairJudgement, PairRecord, Preference, Side
from evalkit.prepare import PreparedRun, RunOptions, prepare
from evalkit.results import RunWriter
from evalkit.runfile import read_run
from evalkit.runner import RunPlan, messages_for
from evalkit.types import Answer, Model, PairwiseInfo, Status, Strict, Task, utc_now

PAIR_FIELDS = frozenset(
    {"prompt", "system", "reference", "rubric", "criteria_ids", "category", "first", "second"}
    | {"tag"}
)
"""The names a pairwise template may use."""
PICK_SCHEMA = {
    "type": "object",
    "properties": {
        "reasoning": {"type": "string", "maxLength": 800},
        "winner": {"type": "string", "enum": ["1", "2", "tie"]},
    },
    "required": ["reasoning", "winner"],
    "additionalProperties": False,
}
OTHER: dict[Side, Side] = {"a": "b", "b": "a"}


class Pick(Strict):
    """A pairwise reply: which position won."""

    reasoning: str
    """The judge's comparison."""
    winner: Literal["1", "2", "tie"]
    """The position that won (1 = shown first), or tie."""


class PairwiseJudge:
    """A rubric judge's model asked to compare instead of to grade."""

    def __init__(self, judge: Judge) -> None:
        if not isinstance(judge, RubricJudge):
            kind = judge.info().kind
            raise ConfigError(
                f"judge {judge.name!r} ({kind}) cannot judge pairs: pairwise mode asks one"
                " model per order; use a judge file with a model and samples = 1"
            )
        self.judge = judge
        path = judge.folder / judge.spec.pairwise_template
        self.template = load_pair_template(path)

    def info(self, a: str, b: str) -> PairwiseInfo:
        """What the manifest records about the comparison."""
        digest = hashlib.sha256(self.template.encode()).hexdigest()
        return PairwiseInfo(a=a, b=b, prompt_sha256=digest)

    def render(self, task: Task, first: str, second: str) -> str:
        """The prompt with `first` shown as answer 1 and `second` as answer 2."""
        return self.template.format(
            **task_fields(task),
            first=neutralise(first),
            second=neutralise(second),
            tag=new_tag(),
        )

    async def judge_order(self, task: Task, answers: dict[Side, str], first: Side) -> PairJudgement:
        """One pick with `first`'s answer shown first, mapped back to a candidate; an
        invalid reply is sent back once per retry_invalid, as for a verdict."""
        prompt = self.render(task, answers[first], answers[OTHER[first]])
        asked = await ask_validated(self._ask, prompt, parse_pick, self.judge.spec.retry_invalid)
        if asked.failed is not None:
            failed = asked.failed
            return PairJudgement(
                first=first, raw=asked.raw, error=failed.info, unavailable=failed.unavailable
            )
        if asked.value is None:
            return PairJudgement(first=first, raw=asked.raw, error=asked.invalid("pick"))
        positions: dict[str, Preference] = {"1": first, "2": OTHER[first], "tie": "tie"}
        return PairJudgement(
            first=first,
            preferred=positions[asked.value.winner],
            reasoning=asked.value.reasoning,
            judge_answer=asked.reply,
        )

    async def _ask(self, messages: list[dict[str, str]]) -> Answer:
        judge = self.judge
        return await judge.endpoint.complete(
            judge.spec.model or "",
            judge.model,
            messages,
            schema=PICK_SCHEMA,
            role="judge",
            overrides=judge.overrides,
        )


def parse_pick(reply: str) -> Pick:
    """A reply as a Pick, or InvalidVerdict with the reason."""
    try:
        return Pick.model_validate(json.loads(reply))
    except json.JSONDecodeError as exc:
        raise InvalidVerdict(f"not valid JSON: {exc}") from None
    except ValidationError as exc:
        raise InvalidVerdict(describe_validation(exc)) from None


class PairwiseRun(Model):
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


def load_pair_template(path: Path) -> str:
    """Read a pairwise template and check it names only known fields."""
    try:
        text = path.read_text(encoding="utf-8")
        names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the pairwise template: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not a valid template ({exc}); write {{{{ for a brace") from None
    unknown = sorted(names - PAIR_FIELDS)
    if unknown:
        known = ", ".join(sorted(PAIR_FIELDS))
        raise ConfigError(f"{path}: template field {{{unknown[0]}}} is unknown (known: {known})")
    return text


def outcome_of(judgements: list[PairJudgement]) -> Outcome:
    """The pair's outcome: the common pick of both orders, else inconsistent."""
    picks = {j.preferred for j in judgements}
    return picks.pop() if len(picks) == 1 else "inconsistent"  # type: ignore[return-value]


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
    error = failed[0].error
    return "judge_error" if error is not None and error.kind == "InvalidVerdict" else "error"


async def execute_pairs(
    plan: RunPlan,
    judge: PairwiseJudge,
    writer: RunWriter,
    done: dict[tuple[str, str, str, str], PairRecord],
    on_record: Callable[[PairRecord], None] | None = None,
) -> None:
    """Every task whose pair is not ok yet; each record is written the moment it exists."""
    limit = max(4, 2 * sum(e.config.concurrency for e in plan.pool.endpoints.values()))
    admitted = asyncio.Semaphore(limit)

    async def one(task: Task, prior: PairRecord | None) -> None:
        try:
            record = await run_pair(plan, judge, task, prior)
            writer.write(record)
            if on_record is not None:
                on_record(record)
        finally:
            admitted.release()

    async with asyncio.TaskGroup() as group:
        for task, prior in pending_pairs(plan, done):
            await admitted.acquire()
            group.create_task(one(task, prior))


def pending_pairs(
    plan: RunPlan, done: dict[tuple[str, str, str, str], PairRecord]
) -> list[tuple[Task, PairRecord | None]]:
    """The tasks whose pair is not ok yet, with their earlier record (kept answers)."""
    a, b = plan.candidates
    pending = []
    for task in plan.tasks:
        prior = done.get((task.id, a, b, plan.judge.name))
        if prior is None or prior.status != "ok":
            pending.append((task, prior))
    return pending
