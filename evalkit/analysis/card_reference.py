"""The card's probes that need a reference for the same answers: self-preference (against
expert labels, or another judge's run over the same answers) and agreement (against
expert labels, the figures of `calibrate` with intervals).

The judge's scores are its repeat-0 gradings: each answer graded exactly as a run grades
it. A reference from another run counts only where that run's answer is the same text.
"""

from __future__ import annotations

from collections.abc import Callable

from evalkit.analysis.card_models import AgreementProbe, Estimate, SelfPreferenceProbe
from evalkit.analysis.card_stats import (
    Effect,
    Key,
    difference_of_means,
    excludes_zero,
    per_answer,
    statistic_interval,
    task_mean,
)
from evalkit.analysis.labels import Label
from evalkit.analysis.stats import spearman, weighted_kappa
from evalkit.runfile.card import REPEAT, split_probe
from evalkit.runfile.reader import RunFile

SCORES = (1, 2, 3, 4, 5)
Pair = tuple[int, int]
"""(judge score, reference score) of one answer."""


def reference_scores(
    card: RunFile, labels: list[Label] | None, labels_path: str | None, versus: RunFile | None
) -> tuple[dict[Key, int], str | None]:
    """The reference's score of each answer, and what the reference is."""
    if labels is not None:
        return {label.key: label.score for label in labels}, f"labels {labels_path}"
    if versus is None:
        return {}, None
    texts = {
        (r.task_id, probe.candidate): r.answer.text
        for r in card.records.values()
        if (probe := split_probe(r.candidate)) is not None
        and probe.variant == f"{REPEAT}0"
        and r.answer is not None
    }
    judge = versus.manifest.judge.name
    found = {
        (r.task_id, r.candidate): r.verdict.score
        for r in versus.records.values()
        if r.judge == judge and r.status == "ok" and r.verdict is not None and r.answer
        if texts.get((r.task_id, r.candidate)) == r.answer.text
    }
    return found, f"judge {judge} in {versus.path}"


def self_preference(
    card: RunFile,
    judged: dict[Key, int],
    labels: list[Label] | None,
    labels_path: str | None,
    versus: RunFile | None,
    seed: int,
) -> SelfPreferenceProbe:
    """mean(judge - reference) over the judge's family's answers, minus the same over the
    other answers (or alone when all are its family's)."""
    families = card.manifest.families
    shared = families.shared if families is not None else {}
    reference, source = reference_scores(card, labels, labels_path, versus)
    own = [f"{c} ({why})" for c, why in shared.items()]
    base = {"measured": SELF_MEASURED, "own": own, "reference": source, "flagged": False}
    gaps = {k: float(s - reference[k]) for k, s in judged.items() if k in reference}
    mine = [g for k, g in gaps.items() if k[1] in shared]
    theirs = [g for k, g in gaps.items() if k[1] not in shared]
    missing = _nothing_to_compare(shared, source, mine)
    if missing:
        return SelfPreferenceProbe(**base, n=0, effect=None, ci=None, note=missing)
    if theirs:
        found = difference_of_means(mine, theirs, seed)
        note = f"{len(mine)} own-family and {len(theirs)} other answers against {source}"
    else:
        found = task_mean(per_answer({k: g for k, g in gaps.items() if k[1] in shared}), seed)
        note = (
            f"{len(mine)} answers, all of the judge's family, against {source}: this cannot"
            " tell self-preference from leniency"
        )
    return SelfPreferenceProbe(
        **{**base, "flagged": excludes_zero(found.ci)},
        n=found.n,
        effect=found.value,
        ci=found.ci,
        note=note,
        own_difference=_mean(mine),
        other_difference=_mean(theirs),
    )


SELF_MEASURED = (
    "mean(judge - reference) over answers of the judge's own model or family, minus the"
    " same over the other candidates' answers"
)


def _nothing_to_compare(shared: dict[str, str], source: str | None, mine: list[float]) -> str:
    """Why self-preference cannot be measured; empty when it can."""
    if not shared:
        return "no candidate is the judge's model or of its family"
    if source is None:
        return "nothing to compare the judge's scores with: give --labels or --versus RUNFILE"
    if not mine:
        return "no answer of the judge's family has both a score and a reference"
    return ""


def agreement(
    judged: dict[Key, int], labels: list[Label] | None, labels_path: str | None, seed: int
) -> AgreementProbe:
    """The judge's scores against the labels: bias (the effect), exact and within-one
    agreement, quadratic kappa and Spearman, each with its interval."""
    measured = "mean(judge - expert) over the labelled answers: above 0 lenient, below harsh"
    empty = {"measured": measured, "n": 0, "effect": None, "ci": None, "flagged": False}
    if labels is None:
        return AgreementProbe(**empty, note="no expert labels: give --labels FILE")
    human = {label.key: label.score for label in labels}
    pairs = {key: (score, human[key]) for key, score in judged.items() if key in human}
    if not pairs:
        why = f"no labelled answer has a score from the judge ({labels_path})"
        return AgreementProbe(**empty, note=why, labels=labels_path)
    bias = task_mean(per_answer({k: float(j - h) for k, (j, h) in pairs.items()}), seed)
    items = list(pairs.values())
    flagged = excludes_zero(bias.ci, 0)
    lean = "lenient" if (bias.value or 0) > 0 else "harsh"
    return AgreementProbe(
        measured=measured,
        n=len(items),
        effect=bias.value,
        ci=bias.ci,
        flagged=flagged,
        note=(f"{lean} against the experts; " if flagged else "")
        + f"{len(items)} labelled answers",
        labels=labels_path,
        exact=_estimate(pairs, lambda p: float(p[0] == p[1]), seed),
        within_one=_estimate(pairs, lambda p: float(abs(p[0] - p[1]) <= 1), seed),
        kappa_quadratic=_statistic(items, _kappa, seed),
        spearman=_statistic(items, _spearman, seed),
    )


def _estimate(pairs: dict[Key, Pair], score: Callable[[Pair], float], seed: int) -> Estimate:
    """The mean of a per-answer figure, tasks resampled."""
    found: Effect = task_mean(per_answer({k: score(p) for k, p in pairs.items()}), seed)
    return Estimate(value=found.value, ci=found.ci)


def _statistic(items: list[Pair], statistic: Callable[[list], float | None], seed: int) -> Estimate:
    """A whole-sample statistic with its interval, answers resampled; why it is undefined,
    when it is."""
    value = statistic(items)
    if value is not None:
        return Estimate(value=value, ci=statistic_interval(items, statistic, seed))
    judged, human = {j for j, _ in items}, {h for _, h in items}
    if len(items) < 2:
        why = "one answer"
    elif len(judged) == 1 and judged == human:
        why = f"the judge and the experts gave every answer {judged.pop()}"
    elif len(human) == 1:
        why = f"the experts gave every answer {human.pop()}: nothing to rank"
    else:
        why = f"the judge gave every answer {judged.pop()}: nothing to rank"
    return Estimate(value=None, ci=None, undefined=why)


def _kappa(items: list[Pair]) -> float | None:
    return weighted_kappa([j for j, _ in items], [h for _, h in items], SCORES)


def _spearman(items: list[Pair]) -> float | None:
    if len(items) < 2:
        return None
    return spearman([j for j, _ in items], [h for _, h in items])


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
