"""The terminal while a run works and when it ends: the progress bar, endpoint health,
and the run's per-record table with per-candidate totals, and a line per candidate whose
answers were cut at max_tokens or empty. When the suite has checks, the tables show check
pass counts and check-vs-judge disagreements, and a line per judge counts the latter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evalkit.analysis.incomplete import marker
from evalkit.analysis.summary import RunSummary
from evalkit.display.console import STATUS_STYLE, console, errors, note
from evalkit.display.samples import samples
from evalkit.types import Answer, EndpointHealth, ModelFamilies, PairRecord, Record, Spread


@contextmanager
def progress(
    total: int, title: str, *, stderr: bool = False
) -> Iterator[Callable[[Record | PairRecord], None]]:
    """A progress bar (on standard error with `stderr`); yields a function to call with
    each finished record."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=errors if stderr else console,
        transient=False,
    )
    with bar:
        job = bar.add_task(title, total=total, last="")

        def advance(record: Record | PairRecord) -> None:
            style = STATUS_STYLE.get(record.status, "white")
            if isinstance(record, PairRecord):
                score = f" {record.outcome}" if record.outcome else ""
                who = f"{escape(record.task_id)} · {escape(record.a)} vs {escape(record.b)}"
            else:
                score = f" {record.verdict.score}/5" if record.verdict else ""
                who = f"{escape(record.task_id)} · {escape(record.candidate)}"
                who += f" #{record.sample}" if record.sample else ""
                who += _speeds(record.answer, record.judge_answer)
            last = f"[{style}]{record.status}[/]{score} {who}"
            bar.update(job, advance=1, last=last)

        yield advance


def _speeds(answer: Answer | None, judged: Answer | None) -> str:
    """· 95 tok/s, judge 31 tok/s: generation speeds of the record's calls, where known."""
    parts = [
        f"{who}{rate:.0f} tok/s"
        for who, call in (("", answer), ("judge ", judged))
        if (rate := tokens_per_s(call)) is not None
    ]
    return f" · {', '.join(parts)}" if parts else ""


def tokens_per_s(answer: Answer | None) -> float | None:
    """Generation speed of one call: tokens over the server's eval time, else its latency."""
    if answer is None or not answer.completion_tokens:
        return None
    seconds = (answer.eval_ms or answer.latency_ms or 0) / 1000
    return answer.completion_tokens / seconds if seconds else None


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


def sandbox_line(name: str, works: bool, detail: str, advice: str | None) -> None:
    """Whether the sandbox for python checks works (informational: suites without python
    checks, and `run --checks skip`, need none)."""
    if works:
        console.print(f"sandbox for python checks: {name} [green]works[/]")
    else:
        console.print(f"sandbox for python checks: {name} [red]does not work[/]: {escape(detail)}")
        if advice:
            note(advice)


def note_health(health: list[EndpointHealth]) -> None:
    """Before a run: one line per endpoint that is down or lacks a model."""
    for line in health:
        if not line.reachable:
            note(f"{line.endpoint}: {line.error}; its records are written unavailable")
        elif line.missing:
            note(f"{line.endpoint}: missing model(s) {', '.join(line.missing)}")


def note_families(families: ModelFamilies) -> None:
    """Before a run: a warning for each candidate the judge may favour as its own."""
    for candidate, why in families.shared.items():
        errors.print(
            f"[bold yellow]warning:[/] candidate {escape(candidate)} {escape(why)}: judges tend"
            " to favour their own model's and family's answers (self-preference). A judge"
            " card (python -m evalkit card RUNFILE) measures it; a panel of judges from other"
            " families avoids it.",
            highlight=False,
            soft_wrap=True,
        )


def run_summary(summary: RunSummary) -> None:
    """The first records of a run one per row, then per-candidate totals of them all."""
    manifest = summary.manifest
    tasks = Table(title=f"{manifest.suite.name}: judged by {manifest.judge.name}")
    from evalkit.analysis.check_words import brief

    checked = summary.checked
    sampled = manifest.samples > 1
    columns = ("task", "candidate", *(["sample"] if sampled else []), "status", "score")
    columns = (*columns, "label", "latency")
    columns += ("votes",) if summary.voted else ()
    for column in (*columns, "checks") if checked else columns:
        tasks.add_column(column, justify="right" if column in ("score", "latency") else "left")
    for record in summary.first:
        style = STATUS_STYLE.get(record.status, "white")
        latency = record.answer.latency_ms if record.answer and record.answer.latency_ms else None
        votes = [_votes(record.spread, len(record.members))] if summary.voted else []
        votes += [brief(record.checks, len(record.disagreements)) or "-"] if checked else []
        tasks.add_row(
            escape(record.task_id),
            escape(record.candidate),
            *([str(record.sample)] if sampled else []),
            f"[{style}]{record.status}[/]",
            f"{record.verdict.score}/5" if record.verdict else "-",
            _label(record),
            f"{latency:,.0f} ms" if latency else "-",
            *votes,
        )
    console.print(tasks)
    if summary.records > len(summary.first):
        more = summary.records - len(summary.first)
        note(f"... {more:,} more records: python -m evalkit show {summary.path} --limit 0")
    totals = Table(title="Candidates")
    columns = ("candidate", "records", "ok", "not ok", "mean score", "total latency")
    for column in (*columns, "checks passed", "≠ judge") if checked else columns:
        totals.add_column(column, no_wrap=column == "checks passed")
    for line in summary.candidates:
        not_ok = [f"{v} {k}" for k, v in line.by_status.items() if k != "ok"]
        if line.not_run:
            not_ok.append(f"{line.not_run} not run")
        totals.add_row(
            escape(line.candidate),
            str(line.records),
            str(line.by_status.get("ok", 0)),
            ", ".join(not_ok) or "0",
            f"{line.mean_score:.2f}" if line.mean_score is not None else "n/a",
            f"{line.total_latency_ms:,.0f} ms",
            *([line.checks.short(), str(line.checks.disagreements)] if checked else []),
        )
    console.print(totals)
    if summary.samples is not None:
        samples(summary.samples)
    _judge_disagreements(summary)
    if summary.not_run:
        console.print(
            f"[bold red]NOT RUN:[/] {summary.not_run:,} key(s) of this run have no record:"
            f" the run stopped before them; finish it with: {escape(summary.resume)}",
            highlight=False,
            soft_wrap=True,
        )
    for line in summary.candidates:
        for sentence in line.incomplete.sentences() if line.incomplete else []:
            note(sentence)
    if summary.cached_answers or summary.cached_verdicts:
        note(
            f"from the cache: {summary.cached_answers:,} answer(s) and"
            f" {summary.cached_verdicts:,} verdict(s) of {summary.records:,} record(s)"
            " (--refresh asks again, --no-cache leaves the cache alone)"
        )
    usage_table(summary)


TINY_MODELS_NOTE = (
    "These are tiny offline models for trying the pipeline; their grades say little. For real"
    " models, run Ollama, set [endpoints.local] url in evalkit.toml and run:"
    " python -m evalkit run big-brain --profile big-brain"
)


def usage_table(summary: RunSummary) -> None:
    """Time and generation speed per model and role; the note on tiny models when an
    embedded model took part."""
    if summary.usage:
        table = Table(title="Models")
        for column in ("model", "role", "calls", "time", "tokens", "tokens/s"):
            table.add_column(column, justify="left" if column in ("model", "role") else "right")
        for line in summary.usage:
            speed = f"{line.tokens_per_s:,.1f}" if line.tokens_per_s is not None else "-"
            table.add_row(
                escape(line.model),
                line.role,
                str(line.calls),
                f"{line.seconds:,.1f} s",
                f"{line.tokens:,}",
                speed,
            )
        console.print(table)
    if any(m.kind == "embedded" for m in summary.manifest.models.values()):
        note(TINY_MODELS_NOTE)


def _judge_disagreements(summary: RunSummary) -> None:
    """Per judge, how often a check contradicted its finding on the linked criterion."""
    for judge, counts in summary.judges_checks.items():
        console.print(
            f"checks vs judge {escape(judge)}: {counts.disagreements} disagreement(s) over"
            f" {counts.records} checked record(s) (python -m evalkit show {escape(summary.path)}"
            " --full lists them)",
            highlight=False,
            soft_wrap=True,
        )


def _label(record: Record) -> str:
    """The verdict's label or why there is none, and a mark when the answer is not whole."""
    text = escape(record.verdict.label if record.verdict else _short_reason(record))
    cut = marker(record.answer, brief=True)
    return f"{text} [yellow]{escape(f'[{cut}]')}[/]" if cut else text


def _short_reason(record: Record) -> str:
    if record.error is None:
        return ""
    role = "judge: " if record.error.role == "judge" else ""
    return (role + record.error.message)[:90]


def _votes(spread: Spread | None, members: int) -> str:
    """A panel's or sampled judge's votes: range, exact combined value, disagreement."""
    if spread is None:
        return f"{members} votes, no majority" if members else ""
    text = f"{spread.min}-{spread.max} ({spread.combine} {spread.exact:g} of {spread.votes})"
    if spread.failed:
        text += f", {spread.failed} failed"
    return f"[red]{text}, split[/]" if spread.disagree else text
