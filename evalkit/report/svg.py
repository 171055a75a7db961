"""The HTML report's chart: score per task per candidate as grouped bars, inline SVG.

Hand-written SVG keeps the report one self-contained file with no script and no network
asset. Past MAX_GROUPS tasks the bars would be too thin to read, so the chart shows the
mean per category instead, or nothing (the tables still hold every figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from statistics import fmean

from evalkit.report.document import Report

MAX_GROUPS = 40
"""The most groups of bars drawn; beyond it, categories, then no chart."""
PALETTE = ("#3b6fb6", "#e08a1e", "#5a9e4b", "#8e5ab5", "#c4473a", "#4aa3a3")
"""Candidate colours, in candidate order (repeating past six)."""

WIDTH, HEIGHT = 960, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 28, 64


@dataclass(kw_only=True)
class Group:
    """One group of bars: a task (or a category) and each candidate's score there."""

    label: str
    """Short label under the group."""
    title: str
    """Full name, shown as the group's tooltip."""
    scores: list[float | None]
    """Per candidate, in candidate order; None where nothing was graded."""


def groups(report: Report) -> tuple[list[Group], str]:
    """The groups to draw and the chart's caption."""
    if len(report.tasks) <= MAX_GROUPS:
        by_task = [
            Group(label=str(t.number), title=t.title, scores=[c.score for c in t.cells])
            for t in report.tasks
        ]
        return by_task, "Score per task (1-5), one bar per candidate; the axis numbers tasks."
    categories = list(dict.fromkeys(t.category or "uncategorised" for t in report.tasks))
    if len(categories) > MAX_GROUPS or len(categories) < 2:
        return [], f"No chart: {len(report.tasks)} tasks are too many to draw one by one."
    out = []
    for category in categories:
        tasks = [t for t in report.tasks if (t.category or "uncategorised") == category]
        scores: list[float | None] = []
        for index in range(len(report.candidates)):
            graded = [t.cells[index].score for t in tasks if t.cells[index].score is not None]
            scores.append(fmean(s for s in graded if s is not None) if graded else None)
        out.append(Group(label=category[:12], title=category, scores=scores))
    return out, f"Mean score per category (1-5) over {len(report.tasks)} tasks."


def chart(report: Report) -> str:
    """The chart as an <svg> element (empty string when there is nothing to draw)."""
    drawn, caption = groups(report)
    if not drawn:
        return f"<p class='note'>{escape(caption)}</p>"
    names = [c.candidate for c in report.candidates]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(drawn)
    bar = max(2.0, min(28.0, slot * 0.8 / max(1, len(names))))
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {WIDTH} {HEIGHT}'"
        f" width='{WIDTH}' height='{HEIGHT}' role='img' aria-label='{escape(caption)}'>",
        *_axes(plot_w, plot_h),
    ]
    for g_index, group in enumerate(drawn):
        x0 = LEFT + g_index * slot + (slot - bar * len(names)) / 2
        parts.append(f"<g><title>{escape(group.title)}</title>")
        for c_index, score in enumerate(group.scores):
            parts.append(_bar(x0 + c_index * bar, bar, score, c_index, plot_h))
        label_x = LEFT + (g_index + 0.5) * slot
        parts.append(
            f"<text x='{label_x:.1f}' y='{TOP + plot_h + 16}' class='tick' text-anchor='middle'>"
            f"{escape(group.label)}</text></g>"
        )
    parts += _legend(names, plot_h)
    parts.append("</svg>")
    return f"<figure>{''.join(parts)}<figcaption>{escape(caption)}</figcaption></figure>"


def _axes(plot_w: float, plot_h: float) -> list[str]:
    lines = []
    for score in range(6):
        y = TOP + plot_h - score * plot_h / 5
        lines.append(
            f"<line x1='{LEFT}' x2='{LEFT + plot_w}' y1='{y:.1f}' y2='{y:.1f}'"
            f" stroke='{'#888' if score == 0 else '#ddd'}'/>"
            f"<text x='{LEFT - 8}' y='{y + 4:.1f}' class='tick' text-anchor='end'>{score}</text>"
        )
    return lines


def _bar(x: float, width: float, score: float | None, index: int, plot_h: float) -> str:
    base = TOP + plot_h
    if score is None:  # not graded: a grey cross on the axis, so absence is visible
        mid = x + width / 2
        return f"<text x='{mid:.1f}' y='{base - 4}' class='na' text-anchor='middle'>×</text>"
    height = score * plot_h / 5
    colour = PALETTE[index % len(PALETTE)]
    return (
        f"<rect x='{x:.1f}' y='{base - height:.1f}' width='{width - 1:.1f}'"
        f" height='{height:.1f}' fill='{colour}'><title>{score:g}/5</title></rect>"
    )


def _legend(names: list[str], plot_h: float) -> list[str]:
    y = TOP + plot_h + 40
    out, x = [], LEFT
    for index, name in enumerate(names):
        colour = PALETTE[index % len(PALETTE)]
        out.append(
            f"<rect x='{x}' y='{y - 10}' width='12' height='12' fill='{colour}'/>"
            f"<text x='{x + 18}' y='{y}' class='legend'>{escape(name)}</text>"
        )
        x += 30 + 8 * len(name)
    out.append(f"<text x='{x}' y='{y}' class='legend na'>× not graded</text>")
    return out
