"""`card --format md`, and the judge card section of the report: a JudgeCard as Markdown.

The same cells serve the terminal (display.card) and HTML (report.html), so every format
says the same: `rows` gives each probe's cells as plain text, escaped by each renderer.
"""

from __future__ import annotations

from collections.abc import Iterator

from evalkit import md
from evalkit.analysis.card_models import AgreementProbe, Estimate, JudgeCard

COLUMNS = ("Probe", "What was measured", "n", "Effect", "95% CI", "Flagged", "Note")
"""The card table's columns, in every format."""


def number(value: float | None, signed: bool = True) -> str:
    """A figure to two decimals (signed by default); n/a when there is none."""
    if value is None:
        return "n/a"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def interval(ci: tuple[float, float] | None, signed: bool = True) -> str:
    """An interval as `+0.25 to +0.75`; n/a when there is none."""
    return "n/a" if ci is None else f"{number(ci[0], signed)} to {number(ci[1], signed)}"


def rows(card: JudgeCard) -> Iterator[list[str]]:
    """Each probe's cells, plain text, in COLUMNS order."""
    for name, probe in card.probes:
        yield [
            name,
            probe.measured,
            str(probe.n),
            number(probe.effect),
            interval(probe.ci),
            "FLAGGED" if probe.flagged else "no",
            probe.note,
        ]


def preamble(card: JudgeCard) -> str:
    """What was probed, how, and how to read a flag."""
    models = f" ({', '.join(card.judge_models)})" if card.judge_models else ""
    flagged = ", ".join(card.flagged) or "none"
    partial = (
        f" {card.not_done} judge call(s) could not be made: the card is partial; run the"
        " same command again to finish it."
        if card.not_done
        else ""
    )
    return (
        f"Judge {card.judge}{models}, probed on {card.answers} answer(s) of {card.run}: each"
        f" graded {card.samples} times as it is, once padded with a restatement of itself,"
        " once with an instruction to the grader planted in it; where a task has two"
        " candidates' answers, the two judged side by side in both orders. Intervals: 95%"
        " percentile bootstrap,"
        f" tasks resampled ({card.resamples:,} resamples, seed {card.seed}). A probe is"
        " flagged when its interval excludes zero in the biased direction."
        f" Flagged: {flagged}.{partial} Every grading is in {card.card_file}."
    )


def agreement_figures(probe: AgreementProbe) -> list[tuple[str, Estimate | None]]:
    """calibrate's figures with their intervals, for the line under the table."""
    return [
        ("exact", probe.exact),
        ("within one", probe.within_one),
        ("quadratic kappa", probe.kappa_quadratic),
        ("Spearman", probe.spearman),
    ]


def agreement_line(probe: AgreementProbe) -> str:
    """`Agreement with labels FILE: exact 0.50 (0.25 to 0.75), ...`; empty without labels."""
    if probe.labels is None or probe.n == 0:
        return ""
    parts = [
        f"{name} {_estimate(estimate)}"
        for name, estimate in agreement_figures(probe)
        if estimate is not None
    ]
    return f"Agreement with {probe.labels} over {probe.n} answer(s): " + "; ".join(parts) + "."


def _estimate(estimate: Estimate) -> str:
    if estimate.value is None and estimate.undefined:
        return f"undefined ({estimate.undefined})"
    value = number(estimate.value, signed=False)
    return f"{value} ({interval(estimate.ci, signed=False)})" if estimate.ci else value


def render(card: JudgeCard, level: int = 1) -> str:
    """The card as Markdown; `level` is its heading's (2 inside the report)."""
    return "\n\n".join(sections(card, level)) + "\n"


def sections(card: JudgeCard, level: int = 1) -> list[str]:
    """The card's blocks: heading, preamble, table, agreement figures."""
    heading = "#" * level + f" Judge card: {md.inline(card.judge)}"
    table = md.table(COLUMNS, ([md.cell(c) for c in row] for row in rows(card)))
    blocks = [heading, md.inline(preamble(card)), table]
    line = agreement_line(card.probes.agreement)
    if line:
        blocks.append(md.inline(line))
    return blocks
