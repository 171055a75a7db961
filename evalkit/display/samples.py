"""Repeated samples at the terminal: per task each candidate's mean and spread over its
samples, then per candidate the mean, pass^k and pass@k (used by `run` and `show`)."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from evalkit.analysis.samples import SampleStats
from evalkit.display.console import console, note
from evalkit.report.extra_sections import task_cells

TASK_ROWS = 30
"""Task rows drawn unless told otherwise: the per-candidate lines sum up every task."""


def samples(stats: SampleStats, limit: int = TASK_ROWS) -> None:
    """The per-task table (the first `limit` tasks; 0: all) and the per-candidate one."""
    tasks = Table(title=f"Samples: {stats.k} per task and candidate")
    for column in ("task", "candidate", "scores", "mean", "sd", "range"):
        tasks.add_column(column, justify="left" if column in ("task", "candidate") else "right")
    ids = list(dict.fromkeys(line.task_id for line in stats.tasks))
    shown = set(ids[:limit] if limit > 0 else ids)
    for line in stats.tasks:
        if line.task_id in shown:
            tasks.add_row(escape(line.task_id), escape(line.candidate), *task_cells(line))
    console.print(tasks)
    if len(shown) < len(ids):
        note(f"... {len(ids) - len(shown):,} more tasks (python -m evalkit show RUNFILE --limit 0)")
    table = Table(title=f"Per candidate: a sample passes at score >= {stats.threshold}")
    for column in ("candidate", "mean", f"pass^{stats.k}", f"pass@{stats.k}", "tasks"):
        table.add_column(column, justify="left" if column == "candidate" else "right")
    for line in stats.candidates:
        short = (
            f" ({line.short_tasks} with < {stats.k} scored left out)" if line.short_tasks else ""
        )
        table.add_row(
            escape(line.candidate),
            _number(line.mean, "{:.2f}"),
            _number(line.pass_hat_k, "{:.0%}"),
            _number(line.pass_at_k, "{:.0%}"),
            f"{line.tasks}{short}",
        )
    console.print(table)


def _number(value: float | None, form: str) -> str:
    return "n/a" if value is None else form.format(value)
