"""A judge card computed from a card run file (`evalkit.run.card` writes it): pure
functions, no model called, no litellm or datasets imported, so a card is rebuilt from its
file in a fraction of a second.

Every probe reads the card's own gradings (each record one grading of one answer variant,
named `CANDIDATE~VARIANT`; see evalkit.runfile.card), and only those of the card's judge.
A grading without a verdict is never a score: it counts for validity and is left out of
every other probe. Intervals resample tasks (evalkit.analysis.card_stats), so the answers
to one task, which move together, count once; a flag needs the interval, not the point
estimate, to exclude zero in the biased direction.

    validity        share of gradings not valid at the first reply
    repeatability   mean spread of an answer's scores over N gradings
    position        first-slot wins minus second-slot wins, both orders of each pair
    verbosity       mean score change when an answer is padded with a restatement
    injection       mean score change when an answer carries an instruction to the grader
    self_preference the judge's overrating of its family's answers against a reference
    agreement       bias against expert labels, with calibrate's figures
"""

from __future__ import annotations

from collections.abc import Mapping

from evalkit.analysis.card_models import (
    CardProbes,
    JudgeCard,
    RepeatabilityProbe,
    ShiftProbe,
    ValidityProbe,
)
from evalkit.analysis.card_position import position
from evalkit.analysis.card_reference import agreement, self_preference
from evalkit.analysis.card_stats import RESAMPLES, Key, excludes_zero, per_answer, task_mean
from evalkit.analysis.clustered import DEFAULT_SEED
from evalkit.analysis.labels import Label
from evalkit.runfile.card import INJECTED, OWN_PAIRS, PADDED, REPEAT, ProbeKey, split_probe
from evalkit.runfile.reader import RunFile
from evalkit.types import ErrorInfo, Record

ANSWERED = ("ok", "judge_error")
"""Statuses of a key the judge replied to."""
Gradings = dict[str, dict[Key, Record]]
"""variant -> (task_id, candidate) -> the card judge's record."""


def build_card(
    card: RunFile,
    *,
    labels: list[Label] | None = None,
    labels_path: str | None = None,
    versus: RunFile | None = None,
    seed: int = DEFAULT_SEED,
) -> JudgeCard:
    """The card of a card run file; `labels` (expert grades) or `versus` (another judge's
    run over the same answers) give self-preference and agreement their reference."""
    manifest = card.manifest
    gradings = gradings_of(card)
    samples = manifest.card.samples if manifest.card else len(_repeats(gradings))
    base = scores(gradings.get(f"{REPEAT}0", {}))
    probes = CardProbes(
        validity=validity(gradings, seed),
        repeatability=repeatability(gradings, samples, seed),
        position=position(card, seed),
        verbosity=shift(gradings, PADDED, seed),
        injection=shift(gradings, INJECTED, seed),
        self_preference=self_preference(card, base, labels, labels_path, versus, seed),
        agreement=agreement(base, labels, labels_path, seed),
    )
    answered = {key for records in gradings.values() for key in records}
    judge = manifest.judge.name
    return JudgeCard(
        judge=judge,
        judge_models=_models(card),
        run=manifest.parent or "",
        card_file=card.path,
        samples=samples,
        answers=len(answered),
        not_done=not_done(card),
        resamples=RESAMPLES,
        seed=seed,
        probes=probes,
    )


def not_done(card: RunFile) -> int:
    """Judge calls of the card not made yet (never started, or the judge was not reached):
    its calls in all, less the keys the judge replied to."""
    settings, judge = card.manifest.card, card.manifest.judge.name
    replied = sum(r.status in ANSWERED for r in _records(card))
    if settings is not None and OWN_PAIRS not in settings.probes:
        replied += sum(p.judge == judge and p.status in ANSWERED for p in card.pairs.values())
    failed = sum(r.status not in ANSWERED for r in _records(card))
    return max(settings.calls - replied, 0) if settings and settings.calls else failed


def gradings_of(card: RunFile) -> Gradings:
    """The card judge's records by variant and answer."""
    found: Gradings = {}
    for record in _records(card):
        probe = split_probe(record.candidate)
        if probe is not None:
            found.setdefault(probe.variant, {})[(record.task_id, probe.candidate)] = record
    return found


def scores(records: Mapping[Key, Record]) -> dict[Key, int]:
    """The scores of the records that have a verdict."""
    return {
        key: r.verdict.score
        for key, r in records.items()
        if r.status == "ok" and r.verdict is not None
    }


def validity(gradings: Gradings, seed: int) -> ValidityProbe:
    """Each vote of each grading: valid at the first reply, after a re-ask, or never."""
    outcomes = [
        (key[0], outcome)
        for records in gradings.values()
        for key, record in records.items()
        for outcome in _outcomes(record)
    ]
    replied = [(task, outcome) for task, outcome in outcomes if outcome != "unreached"]
    found = task_mean(((task, float(o != "first")) for task, o in replied), seed)
    counts = {kind: sum(o == kind for _, o in replied) for kind in ("first", "reask", "never")}
    n = len(replied)
    share = {kind: counts[kind] / n if n else None for kind in counts}
    note = (
        f"{counts['first']} of {n} gradings valid at the first reply, {counts['reask']} after"
        f" a re-ask, {counts['never']} never (no score)"
        if n
        else "no grading got a reply from the judge"
    )
    return ValidityProbe(
        measured="share of gradings whose first reply was not a valid verdict (a panel's"
        " votes each count)",
        n=n,
        effect=found.value,
        ci=found.ci,
        flagged=excludes_zero(found.ci),
        note=note,
        first_time=share["first"],
        after_reask=share["reask"],
        never=share["never"],
        not_reached=len(outcomes) - n,
    )


def _outcomes(record: Record) -> list[str]:
    """first, reask, never or unreached: for each vote of a panel, else for the record."""
    if record.members:
        return [_outcome(m.verdict is not None, m.raw, m.error) for m in record.members]
    return [_outcome(record.verdict is not None, record.judge_raw, record.error)]


def _outcome(valid: bool, raw: list[str], error: ErrorInfo | None) -> str:
    if valid:
        return "reask" if raw else "first"
    if error is not None and error.kind == "InvalidVerdict":
        return "never"
    return "unreached"


def repeatability(gradings: Gradings, samples: int, seed: int) -> RepeatabilityProbe:
    """Each answer's spread (highest minus lowest score) over its repeated gradings."""
    by_answer: dict[Key, list[int]] = {}
    for variant in _repeats(gradings):
        for key, score in scores(gradings[variant]).items():
            by_answer.setdefault(key, []).append(score)
    spreads = {key: float(max(s) - min(s)) for key, s in by_answer.items() if len(s) >= 2}
    found = task_mean(per_answer(spreads), seed)
    stable = sum(s == 0 for s in spreads.values())
    note = (
        f"{stable} of {len(spreads)} answers got the same score every time"
        if spreads
        else "no answer has two scored gradings"
    )
    return RepeatabilityProbe(
        measured=f"mean spread (highest minus lowest score) of an answer graded {samples} times"
        " as it is, sample i with the judge's seed + i",
        n=len(spreads),
        effect=found.value,
        ci=found.ci,
        flagged=excludes_zero(found.ci),
        note=note,
        samples=samples,
        stable=stable / len(spreads) if spreads else None,
    )


def shift(gradings: Gradings, variant: str, seed: int) -> ShiftProbe:
    """Each answer's score with the variant minus its score as it is (repeat-0)."""
    base, after = scores(gradings.get(f"{REPEAT}0", {})), scores(gradings.get(variant, {}))
    changes = {key: float(after[key] - base[key]) for key in base if key in after}
    found = task_mean(per_answer(changes), seed)
    what = {
        PADDED: "is padded with a restatement of itself (no new content)",
        INJECTED: "carries an instruction to the grader to score it 5",
    }[variant]
    raised = sum(c > 0 for c in changes.values())
    lowered = sum(c < 0 for c in changes.values())
    if not changes:
        note = "no answer was scored both as it is and " + variant
    else:
        note = f"{raised} of {len(changes)} answers scored higher, {lowered} lower"
    return ShiftProbe(
        measured=f"mean score change when an answer {what}",
        n=len(changes),
        effect=found.value,
        ci=found.ci,
        flagged=excludes_zero(found.ci),
        note=note,
        mean_before=_mean([base[k] for k in changes]),
        mean_after=_mean([after[k] for k in changes]),
        raised=raised,
        lowered=lowered,
        unchanged=len(changes) - raised - lowered,
    )


def _repeats(gradings: Gradings) -> list[str]:
    """The repeat variants present, in order: repeat-0, repeat-1, ..."""
    numbered = {ProbeKey("", v).repeat: v for v in gradings}
    return [numbered[i] for i in sorted(i for i in numbered if i is not None)]


def _records(card: RunFile) -> list[Record]:
    judge = card.manifest.judge.name
    return [r for r in card.records.values() if r.judge == judge]


def _models(card: RunFile) -> list[str]:
    families = card.manifest.families
    if families is not None:
        return families.judge
    return [card.manifest.judge.model] if card.manifest.judge.model else []


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None
