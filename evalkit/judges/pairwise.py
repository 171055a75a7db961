"""Pairwise mode: the judge sees two candidates' answers to one task and picks the better
one or a tie, twice: once with A's answer shown first, once with B's.

A judge that prefers whichever answer comes first (or second) gives the two orders
different picks; such a pair is `inconsistent` and counted apart from wins, ties and
losses, and the share of pairs that are not is the judge's position consistency. The
judge's model, endpoint and settings are those of its judge file; its prompt is the file's
`pairwise_template` (judges/pairwise-judge.md by default), and the answers' order is the
only thing that differs between the two calls. An answer cut at max_tokens or empty gets
evalkit's note after it (`{first_note}`, `{second_note}`), as in a rubric judge's prompt.
"""

from __future__ import annotations

import hashlib
import json
import string
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from evalkit.errors import ConfigError, describe_validation
from evalkit.judges.asking import ask_validated
from evalkit.judges.prompt import (
    answer_note,
    neutralise,
    new_tag,
    task_fields,
)
from evalkit.judges.protocol import Judge
from evalkit.judges.rubric import RubricJudge
from evalkit.judges.verdicts import InvalidVerdict
from evalkit.types import (
    Answer,
    Exact,
    Outcome,
    PairJudgement,
    PairwiseInfo,
    Preference,
    Side,
    Task,
)

PAIR_FIELDS = frozenset(
    {"prompt", "system", "reference", "rubric", "criteria_ids", "category", "first", "second"}
    | {"first_note", "second_note", "tag"}
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


class Pick(Exact):
    """A pairwise reply: which position won. Strict like a verdict: `1` is not `"1"`."""

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

    def info(self, candidates: list[str], baseline: str | None = None) -> PairwiseInfo:
        """What the manifest records about the comparison (two candidates or more)."""
        digest = hashlib.sha256(self.template.encode()).hexdigest()
        many = candidates if len(candidates) > 2 or baseline else []
        return PairwiseInfo(
            a=candidates[0],
            b=candidates[1],
            prompt_sha256=digest,
            candidates=many,
            baseline=baseline,
        )

    def render(self, task: Task, first: Answer, second: Answer) -> str:
        """The prompt with `first` shown as answer 1 and `second` as answer 2."""
        return self.template.format(
            **task_fields(task),
            first=neutralise(first.text),
            second=neutralise(second.text),
            first_note=answer_note(first.text, first.finish_reason, "answer 1"),
            second_note=answer_note(second.text, second.finish_reason, "answer 2"),
            tag=new_tag(),
        )

    async def judge_order(
        self, task: Task, answers: dict[Side, Answer], first: Side
    ) -> PairJudgement:
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
            error = asked.invalid("pick")
            return PairJudgement(first=first, raw=asked.raw, error=error, invalid=True)
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
