"""The terminal for judges held to something: calibration against human labels, and a
pairwise run's winners and rates."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from evalkit.analysis.calibrate import Calibration
from evalkit.analysis.pairwise import PairwiseSummary, Rate
from evalkit.display.console import STATUS_STYLE, console, note


def _share(value: float | None, undefined: str | None = None) -> str:
    if value is None:
        return f"undefined ({escape(undefined)})" if undefined else "n/a"
    return f"{value:.3f}"


def calibration(report: Calibration) -> None:
    """Agreement figures, confusion matrix, per-criterion agreement, worst disagreements."""
    figures = Table(title=f"Calibration of judge {escape(report.judge)} against human labels")
    figures.add_column("measure")
    figures.add_column("value", justify="right")
    gone = report.unmatched
    not_ok = ", ".join(f"{v} {k}" for k, v in sorted(gone.not_ok.items()))
    difference = report.mean_difference
    rows = [
        ("matched items", str(report.matched)),
        ("labels without a record", str(gone.no_record)),
        ("labels whose record is not ok", not_ok or "0"),
        ("ok records without a label", str(gone.unlabelled)),
        ("exact agreement", _share(report.exact)),
        ("within-one agreement", _share(report.within_one)),
        ("quadratic-weighted kappa", _share(report.kappa_quadratic, report.kappa_undefined)),
        ("Spearman correlation", _share(report.spearman, report.spearman_undefined)),
        ("mean difference (judge - human)", "n/a" if difference is None else f"{difference:+.2f}"),
        ("criterion findings agreed", _share(report.criteria_agreement)),
    ]
    for row in rows:
        figures.add_row(*row)
    console.print(figures)
    matrix = Table(title="Confusion: rows human score, columns judge score")
    matrix.add_column("human \\ judge")
    for score in range(1, 6):
        matrix.add_column(str(score), justify="right")
    for human, line in enumerate(report.confusion, start=1):
        cells = [f"[bold]{n}[/]" if judge == human else str(n) for judge, n in enumerate(line, 1)]
        matrix.add_row(str(human), *cells)
    console.print(matrix)
    _criteria_table(report)
    _disagreements_table(report)


def _criteria_table(report: Calibration) -> None:
    if not report.criteria:
        note("per-criterion agreement: no label and verdict share a criterion")
        return
    table = Table(title="Per-criterion agreement (met / not met)")
    for column in ("task", "criterion", "agreed", "rate"):
        table.add_column(column, justify="right" if column in ("agreed", "rate") else "left")
    for line in report.criteria:
        table.add_row(
            escape(line.task_id),
            escape(line.criterion),
            f"{line.agree}/{line.n}",
            f"{line.rate:.0%}",
        )
    console.print(table)
    if report.unknown_criteria:
        note(f"label criteria not in the rubric: {', '.join(report.unknown_criteria)}")


def _disagreements_table(report: Calibration) -> None:
    """Each item as a heading and both reasonings as paragraphs: a table's narrow columns
    would chop reasonings of several hundred characters into a word per line."""
    if not report.disagreements:
        note("no item where the judge and the human differ")
        return
    console.print("[bold]Largest disagreements[/]")
    for item in report.disagreements:
        judge = f"{item.judge_score} {item.judge_label}".strip()
        human = f"{item.human_score} {item.human_label or ''}".strip()
        console.print(
            f"[bold]{escape(item.task_id)} · {escape(item.candidate)}[/]: judge"
            f" {escape(judge)}, human {escape(human)} (judge - human = {item.difference:+d})",
            highlight=False,
        )
        console.print(f"  [cyan]judge:[/] {escape(item.judge_reasoning)}", highlight=False)
        human_reasoning = escape(item.human_reasoning or "(no reasoning given)")
        console.print(f"  [magenta]human:[/] {human_reasoning}", highlight=False)


def _rate(rate: Rate | None) -> tuple[str, str, str]:
    if rate is None:
        return ("0", "n/a", "")
    interval = rate.interval
    return (str(rate.count), f"{rate.rate:.0%}", f"{interval.low:.0%} - {interval.high:.0%}")


def pairwise(summary: PairwiseSummary) -> None:
    """Per-task winners, then win/tie/loss of A against B with 95% intervals."""
    names = {"a": summary.a, "b": summary.b}
    tasks = Table(
        title=f"{escape(summary.a)} (A) vs {escape(summary.b)} (B), judged by"
        f" {escape(summary.judge)}, each pair in both orders"
    )
    tasks.add_column("task")
    tasks.add_column("winner")
    for task, outcome in summary.outcomes.items():
        shown = names.get(outcome, outcome)
        style = "yellow" if outcome == "inconsistent" else STATUS_STYLE.get(outcome, "green")
        tasks.add_row(escape(task), f"[{style}]{escape(shown)}[/]")
    console.print(tasks)
    totals = Table(title=f"Over the {summary.judged - summary.inconsistent} consistent pairs")
    for column in ("outcome for A", "pairs", "rate", "95% bootstrap interval"):
        totals.add_column(column, justify="left" if column == "outcome for A" else "right")
    for name, rate in (("win", summary.win), ("tie", summary.tie), ("loss", summary.loss)):
        totals.add_row(name, *_rate(rate))
    console.print(totals)
    consistency = "n/a" if summary.consistency is None else f"{summary.consistency:.0%}"
    note(
        f"position consistency: {consistency} ({summary.inconsistent} of {summary.judged} judged"
        f" pairs inconsistent, counted apart); not judged: {summary.not_judged}"
    )
