"""The terminal: the one place evalkit imports rich. Progress while a run works, tables
when it ends, errors in one line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evalkit.results import RunFile
from evalkit.summary import summarize
from evalkit.types import EndpointHealth, Record

console = Console()
errors = Console(stderr=True)

STATUS_STYLE = {"ok": "green", "unavailable": "yellow", "error": "red", "judge_error": "magenta"}


def error(message: str) -> None:
    """One line on stderr, for a bad input or config."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)


def note(message: str) -> None:
    """An informational line."""
    console.print(escape(message), highlight=False)


@contextmanager
def progress(total: int, title: str) -> Iterator[Callable[[Record], None]]:
    """A progress bar; yields a function to call with each finished record."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=False,
    )
    with bar:
        job = bar.add_task(title, total=total, last="")

        def advance(record: Record) -> None:
            style = STATUS_STYLE.get(record.status, "white")
            score = f" {record.verdict.score}/5" if record.verdict else ""
            who = f"{escape(record.task_id)} · {escape(record.candidate)}"
            last = f"[{style}]{record.status}[/]{score} {who}"
            bar.update(job, advance=1, last=last)

        yield advance


def health_table(results: list[EndpointHealth]) -> None:
    """Each endpoint's reachability, version and models."""
    table = Table(title="Endpoints")
    for column in ("endpoint", "kind", "url", "status", "version", "models", "missing"):
        table.add_column(column)
    for health in results:
        status = (
            "[green]up[/]" if health.reachable else f"[red]down[/] {escape(health.error or '')}"
        )
        table.add_row(
            health.endpoint,
            health.kind,
            escape(health.url),
            status,
            health.version or "",
            escape(", ".join(health.models)),
            f"[red]{escape(', '.join(health.missing))}[/]" if health.missing else "",
        )
    console.print(table)


def run_summary(run: RunFile) -> None:
    """Per-task results and per-candidate totals of a run file."""
    tasks = Table(title=f"{run.manifest.suite.name}: judged by {run.manifest.judge.name}")
    for column in ("task", "candidate", "status", "score", "label", "latency"):
        tasks.add_column(column, justify="right" if column in ("score", "latency") else "left")
    for record in run.records.values():
        style = STATUS_STYLE.get(record.status, "white")
        latency = record.answer.latency_ms if record.answer and record.answer.latency_ms else None
        tasks.add_row(
            escape(record.task_id),
            escape(record.candidate),
            f"[{style}]{record.status}[/]",
            f"{record.verdict.score}/5" if record.verdict else "-",
            escape(record.verdict.label) if record.verdict else escape(_short_reason(record)),
            f"{latency:,.0f} ms" if latency else "-",
        )
    console.print(tasks)
    totals = Table(title="Candidates")
    for column in ("candidate", "records", "ok", "not ok", "mean score", "total latency"):
        totals.add_column(column)
    for line in summarize(run):
        not_ok = {k: v for k, v in line.by_status.items() if k != "ok"}
        totals.add_row(
            escape(line.candidate),
            str(line.records),
            str(line.by_status.get("ok", 0)),
            ", ".join(f"{v} {k}" for k, v in not_ok.items()) or "0",
            f"{line.mean_score:.2f}" if line.mean_score is not None else "n/a",
            f"{line.total_latency_ms:,.0f} ms",
        )
    console.print(totals)


def _short_reason(record: Record) -> str:
    if record.error is None:
        return ""
    role = "judge: " if record.error.role == "judge" else ""
    return (role + record.error.message)[:90]
