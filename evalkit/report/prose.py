"""The report's prose, computed from the data: summary, key findings, next steps.

Each function returns plain sentences; the renderers escape and format them. A finding
is only stated when the data supports it (no "expected to be better" without a score).
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise
from statistics import fmean
from typing import get_args

from evalkit.keys import IssueSeverity
from evalkit.report.document import CandidateTotals, Cell, Report, TaskSection
from evalkit.report.environment import EnvironmentColumn, ProbeState, clock

SEVERITIES: tuple[IssueSeverity, ...] = get_args(IssueSeverity)
"""Issue severities, most severe first (their order in keys.IssueSeverity)."""

LOW_SCORE = 2
"""A score at or below this is a failed task in the findings (the seed's "fails")."""


def summary(report: Report) -> list[str]:
    """What ran, how each candidate fared, and who leads where a comparison is possible."""
    judge = report.judge.name + (f" ({report.judge.model})" if report.judge.model else "")
    names = ", ".join(c.candidate for c in report.candidates)
    tasks, done = len(report.tasks), "were answered by"
    if report.not_run:
        tasks = max(tasks, *(c.tasks + c.unlisted_not_run for c in report.candidates))
        done = "were planned for"
    out = [
        f"{tasks} task(s) of suite {report.suite.name} {done}"
        f" {len(report.candidates)} candidate(s) ({names}) and graded by judge {judge}."
    ]
    if report.not_run:
        out.append(_not_run_sentence(report))
    out += [_candidate_sentence(line) for line in report.candidates]
    out += availability(report)
    out.append(_comparison_sentence(report))
    if report.self_judged:
        out.append(_self_judged(report))
    return out


def _not_run_sentence(report: Report) -> str:
    """How many keys have no record, and why some cannot be named."""
    out = (
        f"The run is incomplete: {report.not_run} key(s) (task × candidate) have no record"
        " in the run file; they are NOT RUN (the run stopped before them)."
    )
    unlisted = sum(c.unlisted_not_run for c in report.candidates)
    if unlisted:
        out += (
            f" {unlisted} of them are counted from the manifest and not listed by task:"
            " without the run's suite folder the report cannot name their tasks."
        )
    return out


def availability(report: Report) -> list[str]:
    """For a resumed run: each endpoint that was down at a probe, when it went down and
    came back, and how many records the resume that found it back filled, e.g.
    `big-brain: down at 10:02 UTC (HTTP 404), back at 14:30 UTC; 8 record(s) filled by
    the resume at 14:30 UTC.` Without such an endpoint, when the run was resumed."""
    if not report.resumes:
        return []
    told: dict[str, str] = {}
    for column in report.environment:
        if column.endpoint not in told and any(s.up is False for s in column.history):
            told[column.endpoint] = _endpoint_story(column, report)
    if told:
        return list(told.values())
    resumes = ", ".join(
        f"at {clock(r.at, report.started_at)} ({r.ok} record(s) filled)" for r in report.resumes
    )
    return [f"The run was resumed {len(report.resumes)} time(s): {resumes}."]


def _endpoint_story(column: EnvironmentColumn, report: Report) -> str:
    """One endpoint's probes, told by their changes."""
    start, history = report.started_at, column.history
    parts = [_state(history[0], start)]
    back = None
    for old, new in pairwise(history):
        if new.up and not old.up:
            parts.append(f"back at {clock(new.at, start)}")
            back = new.at
        elif old.up and new.up is False:
            parts.append("down again" + _state(new, start).removeprefix("down"))
    if len(history) > 1 and history[-2].up is False and history[-1].up is False:
        parts.append(f"still down at {clock(history[-1].at, start)}")
    story = f"{column.endpoint}: " + ", ".join(parts)
    filled = next((r.ok for r in report.resumes if r.at == back), None)
    if back is not None and filled is not None:
        story += f"; {filled} record(s) filled by the resume at {clock(back, start)}"
    return story + "."


def _state(state: ProbeState, start: str) -> str:
    """`down at 10:02 UTC (HTTP 404)`, or `up at 10:02 UTC`."""
    if state.up:
        return f"up at {clock(state.at, start)}"
    why = state.status.removeprefix("OFFLINE (").removesuffix(")")
    return f"down at {clock(state.at, start)} ({why.lower() if why == state.status else why})"


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
    planned = line.tasks + line.unlisted_not_run
    parts = [f"{line.candidate}: {line.answered} of {planned} task(s) answered"]
    parts.append(f"{line.graded} graded")
    if line.mean_score is not None:
        parts.append(f"mean score {line.mean_score:.2f}/5")
    not_ok = [f"{n} {status}" for status, n in line.by_status.items() if status not in _NOT_OK]
    if line.not_run:
        not_ok.append(f"{line.not_run} not run")
    if not_ok:
        parts.append(" and ".join(not_ok) + reason)
    if line.incomplete and line.incomplete.cut:
        parts.append(f"{line.incomplete.cut} answer(s) cut at max_tokens")
    if line.incomplete and line.incomplete.empty:
        parts.append(f"{line.incomplete.empty} answer(s) empty")
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
    """Key findings: answers that are not whole (first: they qualify every score), failed
    tasks, weakest categories, fatal issues, severities, caps."""
    incomplete = [
        sentence
        for line in report.candidates
        for sentence in (line.incomplete.sentences() if line.incomplete else [])
    ]
    graded = [cell for task in report.tasks for cell in task.cells if cell.graded]
    if not graded:
        return [*incomplete, "No answer was graded, so there are no findings about quality yet."]
    out = [*incomplete]
    out += [_failed(report, name) for name in (c.candidate for c in report.candidates)]
    out += [_weakest(report.tasks), _fatal(report.tasks, graded), _severities(graded)]
    capped = [c for c in graded if c.capped_from is not None]
    if capped:
        out.append(
            f"{len(capped)} score(s) were capped because the answer missed a fatal rubric"
            f" criterion{' or failed a fatal check' if report.checked else ''}."
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


_NOT_OK = ("ok", "missing")
"""Statuses a candidate sentence does not list as they are: ok, and missing (NOT RUN)."""


def no_answers(line: CandidateTotals) -> str:
    """Why a candidate has no latency: its statuses, e.g. `4 unavailable`."""
    counts = [f"{n} {status}" for status, n in line.by_status.items() if status != "missing"]
    if line.not_run:
        counts.append(f"{line.not_run} not run")
    return f"no answers: {', '.join(counts)}" if counts else "no answers"


def next_steps(report: Report, resume: str) -> list[str]:
    """Endpoints to bring back (down at the latest probe while records are not ok) and
    `resume`, the command that finishes the run: its records that are not ok and its keys
    not run."""
    left = sum(c.tasks - c.graded for c in report.candidates) + report.not_run
    down = {c.endpoint: c for c in report.environment if c.up is False and left}
    when = "when the run started"
    if report.resumes:
        when = f"at the last resume ({clock(report.resumes[-1].at, report.started_at)})"
    out = [
        f"Bring endpoint {name} back: {column.url or name} was"
        f" {column.history[-1].status if column.history else column.status} {when}."
        for name, column in down.items()
    ]
    for line in report.candidates:
        if line.incomplete is not None and line.incomplete.cut:
            limit = line.incomplete.max_tokens
            now = f" (now {limit})" if limit is not None else ""
            out.append(
                f"Raise max_tokens of {line.candidate}{now} in the config and run the suite"
                f" again: {line.incomplete.cut} of its answers were cut at the limit."
            )
    not_ok = sum(c.tasks - c.graded - c.by_status.get("missing", 0) for c in report.candidates)
    unfinished = [f"the {not_ok} record(s) that are not ok"] if not_ok else []
    if report.not_run:
        unfinished.append(f"the {report.not_run} key(s) not run")
    if unfinished:
        out.append(f"Finish {' and '.join(unfinished)}, then render this report again: {resume}")
    return out
