"""`compare --format md`: a Comparison as a Markdown document (for a PR comment or a CI
summary). The rich terminal tables live in display.compare; JSON is the model itself."""

from __future__ import annotations

from typing import Literal

from evalkit import md
from evalkit.analysis.checks import CheckCounts
from evalkit.analysis.comparison import CandidateComparison, Comparison, Regrade, RowComparison
from evalkit.analysis.stats import EXACT_MAX_N

RowsShown = Literal["all", "changed", "none"]

CANDIDATE_COLUMNS = (
    "Candidate",
    "Paired",
    "Mean A",
    "Mean B",
    "Δ mean",
    "95% CI",
    "MDE",
    "p",
    "p (Holm)",
    "Wilcoxon p",
    "Improved",
    "Regressed",
    "Unchanged",
    "Not scored",
)
"""The per-candidate table's columns, in Markdown and in the terminal."""
CHECK_COLUMNS = ("Checks passed A", "Checks passed B")
"""Added to the per-candidate table when either file carries check results."""
AGREEMENT_COLUMNS = ("Judge A", "Judge B", "Rows", "Exact", "Within one", "Quadratic κ", "Spearman")
"""The inter-judge agreement table's columns."""


def render(comparison: Comparison, rows: RowsShown = "changed") -> str:
    """The whole comparison; `rows` chooses which scored rows are listed one by one."""
    a, b = comparison.a, comparison.b
    parts = [
        f"# Comparison: {md.inline(a.run_id)} → {md.inline(b.run_id)}",
        f"- **A** `{md.inline(a.path)}`: suite {md.inline(a.suite)}, judge {md.inline(a.judge)}"
        f"\n- **B** `{md.inline(b.path)}`: suite {md.inline(b.suite)}, judge {md.inline(b.judge)}",
    ]
    if comparison.model_changes:
        parts.append("\n".join(f"- **{md.inline(c.message)}**" for c in comparison.model_changes))
    if comparison.notes:
        parts.append("\n".join(f"- Note: {md.inline(note)}" for note in comparison.notes))
    parts += [
        "## Per candidate",
        candidates_table(comparison.candidates, comparison.checked),
        method_note(comparison),
    ]
    if comparison.regrade is not None:
        parts += ["## Inter-judge agreement (B re-grades A's answers)", _regrade(comparison)]
    if rows != "none":
        listed = [r for r in comparison.rows if r.scored and (rows == "all" or r.changed)]
        hidden = sum(r.scored for r in comparison.rows) - len(listed)
        parts += ["## Rows scored in both", rows_table(listed)]
        if hidden:
            parts.append(f"{hidden} unchanged row(s) not listed (`--rows all` lists them).")
    unscored = [r for r in comparison.rows if not r.scored]
    parts += ["## Not scored", unscored_table(unscored) if unscored else "None."]
    return "\n\n".join(parts) + "\n"


def candidates_table(lines: list[CandidateComparison], checked: bool = False) -> str:
    """One line per candidate: means, delta, interval, p-value, counts; with `checked`,
    the check pass rate in A and in B beside them."""
    rows = (
        [md.cell(line.candidate), *figures(line), *(check_figures(line) if checked else [])]
        for line in lines
    )
    return md.table([*CANDIDATE_COLUMNS, *(CHECK_COLUMNS if checked else ())], rows)


def check_figures(line: CandidateComparison) -> list[str]:
    """The candidate's check pass rate in A and in B: `75% (3/4)`, `-` without checks,
    `n/a (0/0 +2 not run)` when none ran."""

    def rate(counts: CheckCounts) -> str:
        if not counts.records:
            return "-"
        share = "n/a" if counts.pass_rate is None else f"{counts.pass_rate:.0%}"
        return f"{share} ({counts.short()})"

    return [rate(line.checks_a), rate(line.checks_b)]


def figures(line: CandidateComparison) -> list[str]:
    """A candidate's figures as plain text, in `candidates_table`'s column order (after
    the name); shared with the terminal table."""

    def mean(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    interval = "n/a"
    if line.ci is not None:
        interval = f"[{md.signed(line.ci.low)}, {md.signed(line.ci.high)}]"
    delta = "n/a" if line.mean_delta is None else md.signed(line.mean_delta)
    not_scored = line.only_a + line.only_b + line.not_ok
    return [
        str(line.paired),
        mean(line.mean_a),
        mean(line.mean_b),
        delta,
        interval,
        "n/a" if line.mde is None else f"±{line.mde:.2f}",
        md.p_value(line.p_value),
        md.p_value(line.p_holm),
        md.p_value(line.wilcoxon.p_value if line.wilcoxon else None),
        str(line.improved),
        str(line.regressed),
        str(line.unchanged),
        str(not_scored),
    ]


def method_note(comparison: Comparison) -> str:
    """How the figures were computed, in one paragraph."""
    checks = (
        " Checks passed: over every record of the candidate in that file that carries check"
        " results (checks do not depend on the judge), checks that could not run left out."
        if comparison.checked
        else ""
    )
    unit = "tasks (a task's samples together)"
    if comparison.cluster is not None:
        unit = f"clusters of tasks ({comparison.cluster})"
    return (
        "Means, Δ and tests use only rows graded ok in both runs. 95% CI: percentile"
        f" bootstrap of the mean difference resampling {unit} ({comparison.resamples:,}"
        f" resamples, seed {comparison.seed}). MDE: the smallest true Δ this suite detects"
        " with 80% power at the 5% level, (z 0.975 + z 0.8) × sd of the units' mean"
        " differences / √units. p: two-sided bootstrap p of Δ; p (Holm): adjusted across"
        " the candidates compared. Wilcoxon: two-sided signed-rank test of the units' mean"
        f" differences, zero differences dropped; exact up to {EXACT_MAX_N} non-zero"
        " differences, normal approximation (no continuity correction) above." + checks
    )


def _regrade(comparison: Comparison) -> str:
    regrade = comparison.regrade
    assert regrade is not None
    if regrade.agreement is None:
        return "No row was graded ok by both judges."
    row = [md.cell(regrade.judge_a), md.cell(regrade.judge_b), *agreement_figures(regrade)]
    return md.table(AGREEMENT_COLUMNS, [row])


def agreement_figures(regrade: Regrade) -> list[str]:
    """The agreement figures as plain text, after the two judges' names."""
    agreement = regrade.agreement
    if agreement is None:
        return ["0", "n/a", "n/a", "n/a", "n/a"]

    def maybe(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    return [
        str(agreement.n),
        f"{agreement.exact:.1%}",
        f"{agreement.within_one:.1%}",
        maybe(agreement.kappa_quadratic),
        maybe(agreement.spearman),
    ]


def rows_table(rows: list[RowComparison]) -> str:
    """Scored rows: score and label in A and B, and the difference."""
    header = ["Task", "Candidate", "A", "B", "Δ", "Label"]
    return md.table(
        header,
        (
            [
                md.cell(r.task_id),
                md.cell(r.candidate),
                f"{r.score_a}/5",
                f"{r.score_b}/5",
                md.signed(r.delta or 0, 0),
                md.cell(label_change(r)),
            ]
            for r in rows
        ),
    )


def label_change(row: RowComparison) -> str:
    """`BROKEN` when the label held, `BROKEN → CORRECT` when it changed."""
    if row.label_a == row.label_b:
        return row.label_a or ""
    return f"{row.label_a} → {row.label_b}"


def unscored_table(rows: list[RowComparison]) -> str:
    """Rows never scored: in one file only, or not ok in one or both."""
    return md.table(
        ["Task", "Candidate", "Status A", "Status B", "Why not scored"],
        (
            [
                md.cell(r.task_id),
                md.cell(r.candidate),
                r.status_a or "absent",
                r.status_b or "absent",
                WHY[r.outcome],
            ]
            for r in rows
        ),
    )


WHY = {
    "only_a": "only in A",
    "only_b": "only in B",
    "not_ok": "not ok in A or B",
}
