"""Compare two run files: row by row, then per candidate with a bootstrap interval that
resamples tasks (or clusters of tasks), the minimum detectable difference, p-values
adjusted across candidates (Holm) and a Wilcoxon signed-rank test, and, when B re-grades
A's answers with another judge, how far the two judges agree.

Before any figure: the models (the judge's, the candidates') whose recorded identity or
server version differs between A and B, since a score may have moved with them.

Rows are joined on (task_id, candidate, sample). Only rows graded `ok` in both files are
scored; rows present in one file only, and rows not ok in either, are listed and counted
apart. The samples of one task move together in every resample (analysis.compare_units).
Check pass rates are counted per candidate and file over every record of it that carries
check results (checks do not depend on the judge, so a record the judge failed on counts).

The result types are in `analysis.comparison`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from statistics import fmean
from typing import get_args

from evalkit.analysis.checks import CheckCounts
from evalkit.analysis.compare_units import UnitFigures, holm_adjusted, units
from evalkit.analysis.comparison import (
    CandidateComparison,
    Comparison,
    Outcome,
    Regrade,
    RowComparison,
    RunRef,
)
from evalkit.analysis.stats import DEFAULT_SEED, agreement
from evalkit.runfile.lines import ScoreFile, ScoreLine
from evalkit.runfile.manifests import model_changes

_OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
Pair = tuple[str, str, int]


def compare_runs(
    a: ScoreFile,
    b: ScoreFile,
    *,
    resamples: int = 10_000,
    seed: int = DEFAULT_SEED,
    clusters: Mapping[str, str] | None = None,
    cluster: str | None = None,
) -> Comparison:
    """Compare B against the baseline A; `clusters` maps each task id to its cluster (what
    `cluster` names) when clusters are resampled instead of tasks."""
    notes: list[str] = []
    picked_a, picked_b = _pick(a, "A", notes), _pick(b, "B", notes)
    pairs = dict.fromkeys([*picked_a, *picked_b])
    rows = [_row(p, picked_a.get(p), picked_b.get(p)) for p in pairs]
    names = [*a.manifest.candidates, *b.manifest.candidates]
    by_candidate: dict[str, list[RowComparison]] = {name: [] for name in names}
    for row in rows:
        by_candidate.setdefault(row.candidate, []).append(row)
    candidates = [
        _candidate(name, held, resamples, seed, clusters) for name, held in by_candidate.items()
    ]
    adjusted = holm_adjusted([c.p_value for c in candidates])
    for line, p_holm in zip(candidates, adjusted, strict=True):
        line.p_holm = p_holm
    checks_a, checks_b = _check_counts(picked_a), _check_counts(picked_b)
    for line in candidates:
        line.checks_a = checks_a.get(line.candidate, CheckCounts())
        line.checks_b = checks_b.get(line.candidate, CheckCounts())
    regrade = _regrade(a, b, rows, picked_a, picked_b)
    changes = model_changes(a.manifest, b.manifest)
    said = {c.model for c in changes if c.role == "candidate" and c.source == "model"}
    notes.extend(_differences(a, b, rows, regrade, said))
    notes.extend(_missing_from_b(candidates))
    return Comparison(
        model_changes=changes,
        a=_ref(a),
        b=_ref(b),
        rows=rows,
        candidates=candidates,
        regrade=regrade,
        notes=notes,
        resamples=resamples,
        seed=seed,
        cluster=cluster if clusters is not None else None,
    )


def _ref(run: ScoreFile) -> RunRef:
    manifest = run.manifest
    return RunRef(
        path=run.path, run_id=manifest.run_id, judge=manifest.judge.name, suite=manifest.suite.name
    )


def _pick(run: ScoreFile, side: str, notes: list[str]) -> dict[Pair, ScoreLine]:
    """One record per (task, candidate, sample): the manifest judge's, when a file holds
    several."""
    judge = run.manifest.judge.name
    picked: dict[Pair, ScoreLine] = {}
    ignored = 0
    for record in run.records.values():
        pair = (record.task_id, record.candidate, record.sample)
        held = picked.get(pair)
        if held is None or (held.judge != judge and record.judge == judge):
            ignored += held is not None
            picked[pair] = record
        else:
            ignored += 1
    if ignored:
        notes.append(f"{side}: {ignored} record(s) by other judges than {judge!r} ignored")
    return picked


def _row(pair: Pair, a: ScoreLine | None, b: ScoreLine | None) -> RowComparison:
    """The row of one (task, candidate, sample) in A and B."""
    row = RowComparison(
        task_id=pair[0],
        candidate=pair[1],
        sample=pair[2],
        status_a=a and a.status,
        status_b=b and b.status,
        outcome="not_ok",
    )
    if a is not None and a.verdict and a.status == "ok":
        row.score_a, row.label_a = a.verdict.score, a.verdict.label
    if b is not None and b.verdict and b.status == "ok":
        row.score_b, row.label_b = b.verdict.score, b.verdict.label
    if a is None or b is None:
        row.outcome = "only_b" if a is None else "only_a"
        return row
    if a.answer and b.answer:
        row.same_answer = a.answer.text == b.answer.text
    if row.score_a is not None and row.score_b is not None:
        delta = row.delta = row.score_b - row.score_a
        row.outcome = "improved" if delta > 0 else "regressed" if delta < 0 else "unchanged"
    return row


def _candidate(
    name: str,
    rows: list[RowComparison],
    resamples: int,
    seed: int,
    clusters: Mapping[str, str] | None,
) -> CandidateComparison:
    counts = dict.fromkeys(_OUTCOMES, 0) | Counter(r.outcome for r in rows)
    lost = [r for r in rows if r.status_a == "ok" and r.status_b != "ok"]
    failed = sum(r.status_b is not None for r in lost)
    line = CandidateComparison(candidate=name, paired=0, lost=len(lost), failed=failed, **counts)
    paired = [(r.task_id, r.score_a, r.score_b, r.delta) for r in rows if r.delta is not None]
    if not paired:
        return line
    _, scores_a, scores_b, deltas = zip(*paired, strict=True)
    line.paired = len(paired)
    line.mean_a, line.mean_b = fmean(scores_a), fmean(scores_b)
    line.mean_delta = sum(deltas) / len(deltas)  # exact zero when nothing moved
    groups = units([(task_id, delta) for task_id, _, _, delta in paired], clusters)
    figures = UnitFigures(groups, resamples, seed)
    line.ci, line.wilcoxon, line.units = figures.interval, figures.wilcoxon, len(groups)
    if figures.result is not None:
        line.p_value, line.mde = figures.result.p_value, figures.result.mde
    return line


def _check_counts(picked: dict[Pair, ScoreLine]) -> dict[str, CheckCounts]:
    """The check results of each candidate's records in one file."""
    counts: dict[str, CheckCounts] = {}
    for (_, name, _), line in picked.items():
        if line.checks:
            counts.setdefault(name, CheckCounts()).add(line.checks)
    return counts


def _regrade(
    a: ScoreFile,
    b: ScoreFile,
    rows: list[RowComparison],
    picked_a: dict[Pair, ScoreLine],
    picked_b: dict[Pair, ScoreLine],
) -> Regrade | None:
    """A re-grade: the judges differ and every row answered in both has the same text."""
    compared = [r for r in rows if r.same_answer is not None]
    if not compared or not all(r.same_answer for r in compared):
        return None
    keys = [(r.task_id, r.candidate, r.sample) for r in compared]
    renamed = any(picked_a[k].judge != picked_b[k].judge for k in keys)
    if a.manifest.judge == b.manifest.judge and not renamed:
        return None
    scored = [r for r in rows if r.scored]
    return Regrade(
        judge_a=a.manifest.judge.name,
        judge_b=b.manifest.judge.name,
        same_answers=len(compared),
        agreement=agreement(
            [r.score_a for r in scored if r.score_a is not None],
            [r.score_b for r in scored if r.score_b is not None],
        )
        if scored
        else None,
    )


def _missing_from_b(candidates: list[CandidateComparison]) -> Iterable[str]:
    """Rows graded ok in A that B has no record of: B stopped early or ran fewer tasks."""
    missing = {c.candidate: c.lost - c.failed for c in candidates if c.lost > c.failed}
    if missing:
        counts = ", ".join(f"{name} {n}" for name, n in missing.items())
        yield (
            f"B has no record of {sum(missing.values())} row(s) graded ok in A ({counts}):"
            " B stopped early or ran fewer tasks; they are not scored"
        )


def _differences(
    a: ScoreFile,
    b: ScoreFile,
    rows: list[RowComparison],
    regrade: Regrade | None,
    said: set[str],
) -> Iterable[str]:
    """What differs between the runs besides the answers, so a delta is read correctly. A
    changed model string is said once: among the model changes when it is the model's
    recorded identity (the candidates in `said`)."""
    ma, mb = a.manifest, b.manifest
    if ma.suite.name != mb.suite.name:
        yield f"different suites: {ma.suite.name!r} and {mb.suite.name!r}"
    elif ma.suite.fingerprint != mb.suite.fingerprint:
        yield f"suite {ma.suite.name!r} changed between the runs (its fingerprint differs)"
    if regrade is None and ma.judge != mb.judge:
        what = "the same judge name with a changed definition"
        if ma.judge.name != mb.judge.name:
            what = f"judges {ma.judge.name!r} and {mb.judge.name!r}"
        yield f"A and B were graded by {what}: deltas mix answer and judge differences"
    for name in dict.fromkeys(r.candidate for r in rows):
        before, after = ma.models.get(name), mb.models.get(name)
        if before is None or after is None:
            continue
        if before.litellm_model != after.litellm_model and name not in said:
            yield f"{name}: model {before.litellm_model} -> {after.litellm_model}"
        for key in sorted(set(before.params) | set(after.params)):
            old, new = before.params.get(key), after.params.get(key)
            if old != new:
                yield f"{name}: {key} {old} -> {new}"
