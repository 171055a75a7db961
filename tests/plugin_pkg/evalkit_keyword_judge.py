"""A judge written in Python: no model, a rule. A criterion is met when every word of its
id (split on - and _) appears in the answer; the score grows with the share met."""

from __future__ import annotations

from typing import Any

from evalkit.types import CriterionResult, Grading, JudgeInfo, Task, Verdict


class KeywordJudge:
    """Implements evalkit.Judge; constructed with a JudgeContext."""

    def __init__(self, context: Any) -> None:
        self.name = context.name

    def info(self) -> JudgeInfo:
        return JudgeInfo(name=self.name, kind="keyword", settings={"rule": "id words present"})

    def endpoints(self) -> list:
        return []

    async def grade(self, task: Task, answer: str) -> Grading:
        text = answer.lower()
        criteria = [
            CriterionResult(id=c.id, met=all(w in text for w in c.id.replace("-", "_").split("_")))
            for c in task.rubric
        ]
        share = sum(c.met for c in criteria) / len(criteria)
        score = 1 + round(4 * share)
        label = "CORRECT" if share == 1 else "PARTIAL" if share else "OFF-TASK"
        verdict = Verdict(
            reasoning=f"{sum(c.met for c in criteria)} of {len(criteria)} criteria named",
            criteria=criteria,
            score=score,
            label=label,
        )
        return Grading(verdict=verdict)
