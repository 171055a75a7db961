"""`rank`: run files -> a leaderboard.

Pairwise run files give outcomes: each order a pair was judged in is one comparison (the
judge's pick, or a tie), so a pair judged inconsistently counts as one win each, and both
orders of a task move together when tasks are resampled. Run files of absolute scores give
each candidate's scores per task (every sample of a task; a record that is not ok is an
unscored sample, left out and never a zero). Several run files are pooled: pairwise runs of
different pairs make one leaderboard, as do absolute runs of different candidates graded by
the same judge.

Only records of each run's own judge are used (a re-graded file holds one judge's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from evalkit.analysis.leaderboard import DEFAULT_RESAMPLES, DEFAULT_SEED, Leaderboard, rank_scores
from evalkit.analysis.ranking import rank
from evalkit.runfile.reader import RunFile
from evalkit.types import Schema

Outcome = tuple[str, str, str, str]


class Pooled(Schema):
    """What the run files hold, pooled."""

    outcomes: list[Outcome]
    """(task_id, a, b, result) per judged order of every ok pair; result a, b or tie."""
    answers: dict[tuple[str, str], str]
    """Each (task_id, candidate)'s answer text in the pairwise runs (for style control)."""
    scores: dict[str, dict[str, list[float | None]]]
    """scores[candidate][task_id]: the task's scores in the absolute runs (None: no score)."""
    judges: list[str]
    """The judges whose records were used, in the order met."""


def pool(runs: Sequence[RunFile]) -> Pooled:
    """Outcomes, answers and scores of every run file, each run's own judge only."""
    outcomes: list[Outcome] = []
    answers: dict[tuple[str, str], str] = {}
    scores: dict[str, dict[str, list[float | None]]] = {}
    judges: dict[str, None] = {}
    for run in runs:
        judge = run.manifest.judge.name
        judges[judge] = None
        for pair in run.pairs.values():
            if pair.judge != judge or pair.status != "ok":
                continue
            for judgement in pair.judgements:
                if judgement.preferred is not None:
                    outcomes.append((pair.task_id, pair.a, pair.b, judgement.preferred))
            for name, answer in ((pair.a, pair.answer_a), (pair.b, pair.answer_b)):
                if answer is not None:
                    answers[(pair.task_id, name)] = answer.text
        for record in run.records.values():
            if record.judge != judge:
                continue
            score = record.verdict.score if record.verdict and record.status == "ok" else None
            scores.setdefault(record.candidate, {}).setdefault(record.task_id, []).append(score)
    return Pooled(outcomes=outcomes, answers=answers, scores=scores, judges=list(judges))


def leaderboard(
    runs: Sequence[RunFile],
    *,
    style_control: bool = False,
    clusters: Mapping[str, str] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Leaderboard:
    """The leaderboard of the runs: Bradley-Terry when they hold pairwise outcomes, mean
    scores when they hold absolute scores. Raises ValueError (for the CLI to report) when
    there is nothing to rank, or both kinds are mixed."""
    pooled = pool(runs)
    if pooled.outcomes and pooled.scores:
        raise ValueError("the run files mix pairwise and absolute-score runs: rank them apart")
    if pooled.outcomes:
        return rank(
            pooled.outcomes,
            answers=pooled.answers,
            style_control=style_control,
            clusters=clusters,
            resamples=resamples,
            seed=seed,
        )
    if style_control:
        raise ValueError("--style-control ranks pairwise runs; these hold absolute scores")
    if len(pooled.scores) < 2:
        raise ValueError("nothing to rank: the run files hold fewer than two candidates")
    return rank_scores(pooled.scores, clusters=clusters, resamples=resamples, seed=seed)
