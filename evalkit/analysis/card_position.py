"""The card's position probe: pairs of two candidates' answers to a task, judged side by
side in both orders. Per pair, the picks' slots count +1 when the answer shown first won,
-1 when the one shown second did, 0 for a tie, averaged over the two orders: the effect is
the mean over pairs, 0 when position does not matter, 1 when the first slot always wins.
Either direction is a position bias, so either side of zero flags it.
"""

from __future__ import annotations

from evalkit.analysis.card_models import PositionProbe
from evalkit.analysis.card_stats import excludes_zero, task_mean
from evalkit.runfile.card import OWN_PAIRS
from evalkit.runfile.reader import RunFile
from evalkit.types import PairRecord


def position(card: RunFile, seed: int) -> PositionProbe:
    """Per pair, over its two orders: first-slot wins minus second-slot wins, halved."""
    judge = card.manifest.judge.name
    pairs = [p for p in card.pairs.values() if p.judge == judge and _both_picked(p)]
    measured = (
        "first-slot wins minus second-slot wins per pick, two candidates' answers to a task"
        " judged side by side in both orders"
    )
    if not pairs:
        return PositionProbe(
            measured=measured, n=0, effect=None, ci=None, flagged=False, note=_no_pairs(card)
        )
    picks = [j for p in pairs for j in p.judgements]
    first = sum(j.preferred == j.first for j in picks)
    ties = sum(j.preferred == "tie" for j in picks)
    second = len(picks) - first - ties
    per_pair = [
        (p.task_id, sum(_slot(j.preferred, j.first) for j in p.judgements) / 2) for p in pairs
    ]
    found = task_mean(per_pair, seed)
    consistent = sum(p.outcome != "inconsistent" for p in pairs)
    flagged = excludes_zero(found.ci, 0)
    slot = "first" if (found.value or 0) > 0 else "second"
    return PositionProbe(
        measured=measured,
        n=len(pairs),
        effect=found.value,
        ci=found.ci,
        flagged=flagged,
        note=(f"the {slot} slot is favoured; " if flagged else "")
        + f"{consistent} of {len(pairs)} pairs consistent across orders",
        consistency=consistent / len(pairs),
        first_slot=first / len(picks),
        second_slot=second / len(picks),
        ties=ties / len(picks),
        source=_source(card),
    )


def _slot(preferred: str | None, first: str) -> int:
    """+1 when the answer shown first won, -1 when the one shown second did, 0 for a tie."""
    if preferred == "tie":
        return 0
    return 1 if preferred == first else -1


def _both_picked(pair: PairRecord) -> bool:
    return (
        pair.status == "ok"
        and len(pair.judgements) == 2
        and all(j.preferred is not None for j in pair.judgements)
    )


def _no_pairs(card: RunFile) -> str:
    """Why the card has no judged pair."""
    settings = card.manifest.card
    if settings is not None and "position" in settings.skipped:
        return f"no pair judged: {settings.skipped['position']}"
    if len(card.manifest.candidates) < 2:
        return "no pair: the run has answers from one candidate only"
    return "no pair was judged (the judge could not be reached, or no task has two answers)"


def _source(card: RunFile) -> str:
    """Where the pairs came from, as the card's settings say."""
    settings = card.manifest.card
    if settings is not None and OWN_PAIRS in settings.probes:
        return "the pairwise run's own pairs, judged by this judge"
    return "pairs judged for the card"
