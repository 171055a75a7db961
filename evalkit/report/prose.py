"""The report's prose, computed from the data: summary, key findings, next steps.

Each function returns plain sentences; the renderers escape and format them. A finding
is only stated when the data supports it (no "expected to be better" without a score).
"""

from __future__ import annotations

import re
from collections import Counter
from statistics import fmean
from typing import get_args

from evalkit.report.document import CandidateTotals, Cell, Report, TaskSection
from evalkit.types import IssueSeverity

SEVERITIES: tuple[IssueSeverity, ...] = get_args(IssueSeverity)
"""Issue severities, most severe first (their order in types.IssueSeverity)."""

LOW_SCORE = 2
"""A score at or below this is a failed task in the findings (the seed's "fails")."""


def summary(report: Report) -> list[str]:
    """What ran, how each candidate fared, and who leads where a comparison is possible."""
    judge = report.judge.name + (f" ({report.judge.model})" if report.judge.model else "")
    names = ", ".join(c.candidate for c in report.candidates)
    out = [
        f"{len(report.tasks)} task(s) of suite {report.suite.name} were answered by"
        f" {len(report.candidates)} candidate(s) ({names}) and graded by judge {judge}."
    ]
    out += [_candidate_sentence(line) for line in report.candidates]
    out.append(_comparison_sentence(report))
    if report.self_judged:
        out.append(_self_judged(report))
    return out


def _self_judged(report: Report) -> str:
    """The caution beside the scores when the judge grades its own model or family."""
    listed = "; ".join(f"{name} {why}" for name, why in report.self_judged.items())
    measure = (
        "the judge card below measures it"
        if report.card is not None
        else f"python -m evalkit card {report.path} measures it"
    )
    return (
        f"Caution: {listed}. Judges tend to favour answers of their own model and family"
        f" (self-preference), so these scores may be inflated; {measure}."
    )


def _candidate_sentence(line: CandidateTotals) -> str:
    reason = f": {line.reasons[0]}" if line.reasons else ""
    if line.unavailable_everywhere:
        return f"{line.candidate} was UNAVAILABLE for all {line.tasks} task(s){reason}."
    parts = [f"{line.candidate}: {line.answered} of {line.tasks} task(s) answered"]
    parts.append(f"{line.graded} graded")
    if line.mean_score is not None:
        parts.append(f"mean score {line.mean_score:.2f}/5")
    not_ok = [f"{n} {status}" for status, n in line.by_status.items() if status != "ok"]
    if not_ok:
        parts.append(" and ".join(not_ok) + reason)
    return ", ".join(parts) + "."


def _comparison_sentence(report: Report) -> str:
    graded = [c.candidate for c in report.candidates if c.graded]
    if len(report.candidates) < 2:
        return "With one candidate there is no comparison across candidates."
    if len(graded) < 2:
        who = f"only {graded[0]} was graded" if graded else "no candidate was graded"
        return f"No comparison across candidates is possible: {who}."
    means = report.common_means()
    if not means:
        return "No task was graded for every candidate, so the means are not comparable."
    common = report.graded_by_all()
    ranked = sorted(means, key=lambda name: -means[name])
    wins = Counter(t.winner for t in common)
    others = ", ".join(f"{name} {means[name]:.2f}" for name in ranked[1:])
    lead = f"{ranked[0]} leads with a mean of {means[ranked[0]]:.2f}/5 (vs {others})"
    if means[ranked[0]] == means[ranked[1]]:
        lead = f"the leading candidates tie at a mean of {means[ranked[0]]:.2f}/5"
    return (
        f"On the {len(common)} task(s) graded for every candidate, {lead};"
        f" {ranked[0]} wins {wins.get(ranked[0], 0)}, with {wins.get('tie', 0)} tie(s)."
    )


def findings(report: Report) -> list[str]:
    """Key findings: failed tasks, weakest categories, fatal issues, severities, caps."""
    graded = [cell for task in report.tasks for cell in task.cells if cell.graded]
    if not graded:
        return ["No answer was graded, so there are no findings about quality yet."]
    out = [_failed(report, name) for name in (c.candidate for c in report.candidates)]
    out += [_weakest(report.tasks), _fatal(report.tasks, graded), _severities(graded)]
    capped = [c for c in graded if c.capped_from is not None]
    if capped:
        out.append(
            f"{len(capped)} score(s) were capped because the answer missed a fatal rubric"
            " criterion."
        )
    return [line for line in out if line]


def _failed(report: Report, candidate: str) -> str:
    cells = [c for t in report.tasks for c in t.cells if c.candidate == candidate and c.graded]
    failed = [c for c in cells if (c.score or 0) <= LOW_SCORE]
    if not failed:
        return ""
    labels = ", ".join(dict.fromkeys(c.label or "" for c in failed))
    return (
        f"{candidate} failed {len(failed)} of {len(cells)} graded task(s)"
        f" (score {LOW_SCORE}/5 or lower): {labels}."
    )


def _weakest(tasks: list[TaskSection]) -> str:
    """The lowest-scoring categories, or tasks when the suite gives no categories."""
    by_group: dict[str, list[int]] = {}
    categories = {t.category for t in tasks if t.category}
    for task in tasks:
        group = task.category if len(categories) > 1 else task.title
        for cell in task.cells:
            if group and cell.score is not None:
                by_group.setdefault(group, []).append(cell.score)
    kind = "categories" if len(categories) > 1 else "tasks"
    if len(by_group) < 2:
        return ""
    means = {group: fmean(scores) for group, scores in by_group.items()}
    if min(means.values()) == max(means.values()):
        return f"All {len(means)} {kind} scored the same mean, {min(means.values()):.2f}/5."
    ranked = sorted(by_group, key=means.__getitem__)[:3]
    listed = "; ".join(f"{g} {means[g]:.2f}/5 ({len(by_group[g])} answer(s))" for g in ranked)
    return f"Weakest {kind}: {listed}."


def _fatal(tasks: list[TaskSection], graded: list[Cell]) -> str:
    fatal = [
        (task, cell, issue)
        for task in tasks
        for cell in task.cells
        for issue in cell.issues
        if issue.severity == "fatal"
    ]
    if not fatal:
        return f"No fatal issues in {len(graded)} graded answer(s)."
    answers = len({(task.task_id, cell.candidate) for task, cell, _ in fatal})
    head = f"{len(fatal)} fatal issue(s) in {answers} of {len(graded)} graded answer(s)"
    wordings = Counter(issue.description for _, _, issue in fatal)
    normal = {wording: _normal(wording) for wording in wordings}  # once per wording
    counts: Counter[str] = Counter()
    for wording, n in wordings.items():
        counts[normal[wording]] += n
    first = {normal[wording]: wording for wording in reversed(wordings)}
    repeated = [(first[key], n) for key, n in counts.most_common(3) if n > 1]
    if repeated:
        return head + "; most frequent: " + "; ".join(f"{d} ({n}×)" for d, n in repeated) + "."
    listed = "; ".join(f"{t.title} ({c.candidate}): {i.description}" for t, c, i in fatal[:5])
    return f"{head}: {listed}."


def _normal(description: str) -> str:
    """Fold case, spacing and end punctuation so the same issue counts once per wording."""
    return re.sub(r"\s+", " ", description).strip().rstrip(".").casefold()


def _severities(graded: list[Cell]) -> str:
    counts = Counter(issue.severity for cell in graded for issue in cell.issues)
    if not counts:
        return ""
    listed = ", ".join(f"{s} {counts[s]}" for s in SEVERITIES if counts[s])
    return f"Issues by severity: {listed}."


def no_answers(line: CandidateTotals) -> str:
    """Why a candidate has no latency: its statuses, e.g. `4 unavailable`."""
    counts = ", ".join(f"{n} {status}" for status, n in line.by_status.items())
    return f"no answers: {counts}" if counts else "no answers"


def next_steps(report: Report) -> list[str]:
    """Endpoints to bring back and the command that finishes the run."""
    down = {c.endpoint: c for c in report.environment if c.up is False}
    out = [
        f"Bring endpoint {name} back: {column.url or name} was {column.status} when the run"
        " started."
        for name, column in down.items()
    ]
    unfinished = sum(c.tasks - c.graded for c in report.candidates)
    if unfinished:
        out.append(
            f"Finish the {unfinished} record(s) that are not ok, then render this report"
            f" again: python -m evalkit run --resume {report.path}"
        )
    return out
