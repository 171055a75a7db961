"""What a judge is: the `Judge` protocol every judge implements (rubric judges, panels,
plugins), and the `JudgeContext` a plugin is constructed with. The plugin contract, on one
screen; `evalkit` re-exports both.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import ConfigDict

from evalkit.endpoints.pool import Endpoint, Pool
from evalkit.types import Grading, JudgeInfo, Schema, Task


@runtime_checkable
class Judge(Protocol):
    """Grades one answer to one task. Implementations never raise for a bad grade: a judge
    that cannot produce a verdict returns a Grading with `error` set and no verdict."""

    name: str

    def info(self) -> JudgeInfo:
        """The judge's definition, recorded in the run manifest."""
        ...

    def endpoints(self) -> list[Endpoint]:
        """The endpoints the judge calls, probed before a run starts."""
        ...

    async def grade(self, task: Task, answer: str) -> Grading:
        """A verdict for `answer`, or the reason there is none.

        A judge whose `grade` also takes a keyword `finish_reason: str | None` is told why
        the candidate's generation stopped: "length" when it was cut at max_tokens (see
        `grade_answer`). evalkit's own judges take it; a judge without it gets the text.
        Likewise a keyword `checks: list[CheckResult]` gets what the task's checks found
        (only when the task has checks)."""
        ...


class JudgeContext(Schema):
    """What a judge plugin is constructed with."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    pool: Pool
    """The run's endpoints; `pool.model(name, where)` gives a model and its endpoint."""
    name: str
    """The name the judge was asked for by."""


def judge_models_of(info: JudgeInfo) -> list[str]:
    """Every config model a judge calls, a panel's members' included."""
    return info.model_names()
