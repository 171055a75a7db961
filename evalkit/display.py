"""The terminal: the one place evalkit imports rich. Progress while a run works, tables
when it ends, errors in one line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evalkit.calibrate import Calibration
from evalkit.compare import Comparison
from evalkit.pairs import PairRecord, PairwiseSummary, Rate
from evalkit.results import RunFile
from evalkit.show import Selection
from evalkit.summary import summarize
from evalkit.types import EndpointHealth, Record, Spread

console = Console()
errors = Console(stderr=True)

STATUS_STYLE = {"ok": "green", "unavailable": "yellow", "error": "red", "judge_error": "magenta"}


def error(message: str) -> None:
    """One line on stderr, for a bad input or config."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def note(message: str) -> None:
    """An informational line."""
    console.print(escape(message), highlight=False)


@contextmanager
def progress(total: int, title: str) -> Iterator[Callable[[Record | PairRecord], None]]:
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

        def advance(record: Record | PairRecord) -> None:
            style = STATUS_STYLE.get(record.status, "white")
            if isinstance(record, PairRecord):
                score = f" {record.outcome}" if record.outcome else ""
                who = f"{escape(record.task_id)} · {escape(record.a)} vs {escape(record.b)}"
            else:
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


SUMMARY_ROWS = 50
"""Records listed one by one at the end of a run; the totals always cover them all."""


def run_summary(run: RunFile) -> None:
    """Per-task results and per-candidate totals of a run file."""
    tasks = Table(title=f"{run.manifest.suite.name}: judged by {run.manifest.judge.name}")
    voted = any(record.members for record in run.records.values())
    columns = ("task", "candidate", "status", "score", "label", "latency")
    for column in (*columns, "votes") if voted else columns:
        tasks.add_column(column, justify="right" if column in ("score", "latency") else "left")
    for record in list(run.records.values())[:SUMMARY_ROWS]:
        style = STATUS_STYLE.get(record.status, "white")
        latency = record.answer.latency_ms if record.answer and record.answer.latency_ms else None
        votes = [_votes(record.spread, len(record.members))] if voted else []
        tasks.add_row(
            escape(record.task_id),
            escape(record.candidate),
            f"[{style}]{record.status}[/]",
            f"{record.verdict.score}/5" if record.verdict else "-",
            escape(record.verdict.label) if record.verdict else escape(_short_reason(record)),
            f"{latency:,.0f} ms" if latency else "-",
            *votes,
        )
    console.print(tasks)
    if len(run.records) > SUMMARY_ROWS:
        more = len(run.records) - SUMMARY_ROWS
        note(f"... {more:,} more records: python -m evalkit show {run.path} --limit 0")
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


def _votes(spread: Spread | None, members: int) -> str:
    """A panel's or sampled judge's votes: range, exact combined value, disagreement."""
    if spread is None:
        return f"{members} votes, no majority" if members else ""
    text = f"{spread.min}-{spread.max} ({spread.combine} {spread.exact:g} of {spread.votes})"
    if spread.failed:
        text += f", {spread.failed} failed"
    return f"[red]{text}, split[/]" if spread.disagree else text


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


TERMINAL_CANDIDATE_COLUMNS = ("n", "A", "B", "Δ", "95% CI", "p", "+", "-", "=", "unscored")
"""compare_md.CANDIDATE_COLUMNS after the name, in words short enough for 80 columns."""


def _signed_style(value: float | None, text: str) -> str:
    """Green for a rise, red for a drop, plain when nothing moved or nothing was scored."""
    if not value:
        return text
    return f"[green]{text}[/]" if value > 0 else f"[red]{text}[/]"


def comparison(result: Comparison, rows: str, limit: int) -> None:
    """`compare` in the terminal: what was compared, per-candidate figures, agreement of
    the judges on a re-grade, changed rows, and rows never scored."""
    from evalkit.compare_md import (
        AGREEMENT_COLUMNS,
        agreement_figures,
        figures,
        method_note,
    )

    for side, ref in (("A", result.a), ("B", result.b)):
        note(f"{side}: {ref.path} (run {ref.run_id}, suite {ref.suite}, judge {ref.judge})")
    for line in result.notes:
        console.print(f"[yellow]note:[/] {escape(line)}", highlight=False)
    table = Table(
        title="Per candidate: rows graded ok in both",
        caption="n: rows ok in both · A, B: mean scores · p: Wilcoxon"
        " · + - =: rows improved, regressed, unchanged",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    table.add_column("candidate", min_width=10)
    for column in TERMINAL_CANDIDATE_COLUMNS:
        table.add_column(column, justify="right", no_wrap=True)
    for line in result.candidates:
        cells = figures(line)
        cells[3] = _signed_style(line.mean_delta, cells[3])
        table.add_row(escape(line.candidate), *cells)
    console.print(table)
    console.print(escape(method_note(result)), style="dim", highlight=False)
    if result.regrade is not None:
        agreement = Table(title="Inter-judge agreement: B re-grades A's answers")
        for column in AGREEMENT_COLUMNS:
            agreement.add_column(column)
        regrade = result.regrade
        agreement.add_row(
            escape(regrade.judge_a), escape(regrade.judge_b), *agreement_figures(regrade)
        )
        console.print(agreement)
    if rows != "none":
        _comparison_rows(result, rows == "all", limit)
    _unscored_rows(result, limit)


def _comparison_rows(result: Comparison, every: bool, limit: int) -> None:
    from evalkit.compare_md import label_change

    listed = [r for r in result.rows if r.scored and (every or r.changed)]
    if not listed:
        note("no scored row changed between A and B")
        return
    table = Table(title="Rows scored in both" if every else "Rows that changed")
    for column in ("task", "candidate", "A", "B", "Δ", "label"):
        table.add_column(column, justify="right" if column in ("A", "B", "Δ") else "left")
    for row in listed[:limit] if limit else listed:
        delta = row.delta or 0
        table.add_row(
            escape(row.task_id),
            escape(row.candidate),
            f"{row.score_a}/5",
            f"{row.score_b}/5",
            _signed_style(delta, f"{delta:+d}"),
            escape(label_change(row)),
        )
    console.print(table)
    _more(len(listed), limit, "rows; --format md or json lists every one")


def _unscored_rows(result: Comparison, limit: int) -> None:
    from evalkit.compare_md import WHY

    unscored = [r for r in result.rows if not r.scored]
    if not unscored:
        return
    table = Table(title=f"Not scored ({len(unscored)}): counted apart, never averaged")
    for column in ("task", "candidate", "status A", "status B", "why"):
        table.add_column(column)
    for row in unscored[:limit] if limit else unscored:
        table.add_row(
            escape(row.task_id),
            escape(row.candidate),
            _status(row.status_a),
            _status(row.status_b),
            WHY[row.outcome],
        )
    console.print(table)
    _more(len(unscored), limit, "rows; --format md or json lists every one")


def _status(status: str | None) -> str:
    if status is None:
        return "[dim]absent[/]"
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def _more(count: int, limit: int, what: str) -> None:
    if limit and count > limit:
        note(f"... {count - limit} more {what} (--limit 0 shows all)")


def records(selection: Selection, full: bool) -> None:
    """`show`: the selected records as a table, or one block each with `full`."""
    if not selection.records:
        note(f"no record matches (the run file has {selection.total})")
        return
    if full:
        for record in selection.records:
            _record_block(record)
    else:
        _records_table(selection)
    if selection.matched > len(selection.records):
        hidden = selection.matched - len(selection.records)
        note(f"... {hidden} more matching records: narrow the filters or raise --limit (0: all)")


def _records_table(selection: Selection) -> None:
    """One line per record: the answer is cut to the width the other columns leave (the
    full text is one --full away); the judge column appears only when judges differ."""
    from evalkit.show import short_reason, shorten

    judges = {record.judge for record in selection.records}
    title = f"{selection.matched} of {selection.total} records"
    if len(judges) == 1:
        title += f", judge {judges.pop()}"
    header = ["task", "candidate", *(["judge"] if judges else []), "status", "score", "ms"]
    rows = [_record_cells(record, bool(judges), short_reason) for record in selection.records]
    header.append("label / reason")
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    room = max(12, console.width - sum(widths) - 3 * len(widths) - 2)
    table = Table(title=escape(title), box=box.SIMPLE_HEAD)
    for column in header:
        table.add_column(column, justify="right" if column in ("score", "ms") else "left")
    table.add_column("answer")
    for record, row in zip(selection.records, rows, strict=True):
        style = STATUS_STYLE.get(record.status, "white")
        cells = [escape(cell) for cell in row]
        cells[header.index("status")] = f"[{style}]{cells[header.index('status')]}[/]"
        answer = shorten(record.answer.text, room) if record.answer else ""
        table.add_row(*cells, escape(answer))
    console.print(table)


def _record_cells(record: Record, with_judge: bool, short_reason: Callable) -> list[str]:
    """A record's short cells, plain text, in `_records_table`'s column order."""
    from evalkit.show import shorten

    answer, verdict = record.answer, record.verdict
    latency = answer.latency_ms if answer and answer.latency_ms else None
    return [
        shorten(record.task_id, 32),
        shorten(record.candidate, 20),
        *([shorten(record.judge, 20)] if with_judge else []),
        record.status,
        f"{verdict.score}/5" if verdict else "-",
        f"{latency:,.0f}" if latency else "-",
        shorten(verdict.label if verdict else short_reason(record), 28),
    ]


def _record_block(record: Record) -> None:
    """One record in full: the answer, the verdict with its issues and criteria, or why
    there is none. Model text is printed as Text, so markup in it is shown, not applied."""
    from rich.rule import Rule
    from rich.text import Text

    from evalkit.show import reason

    verdict = record.verdict
    score = f" {verdict.score}/5 {escape(verdict.label)}" if verdict else ""
    latency = record.answer.latency_ms if record.answer else None
    timing = f" · {latency:,.0f} ms" if latency else ""
    head = f"{escape(record.task_id)} · {escape(record.candidate)} · judge {escape(record.judge)}"
    console.print(Rule(f"{head} · {_status(record.status)}{score}{timing}", align="left"))
    if record.answer is not None:
        console.print(Text(record.answer.text))
    if verdict is not None:
        console.print(Text.assemble(("reasoning: ", "bold"), verdict.reasoning))
        for issue in verdict.issues:
            severity = (f"  {issue.severity.upper()}: ", "bold")
            console.print(Text.assemble(severity, issue.description))
        for criterion in verdict.criteria:
            mark = ("  met  ", "green") if criterion.met else ("  MISS ", "red")
            console.print(Text.assemble(mark, (criterion.id, "bold"), " ", criterion.note))
    if record.error is not None:
        console.print(Text.assemble(("reason: ", "bold red"), reason(record)))
    for raw in record.judge_raw:
        console.print(Text.assemble(("judge's raw reply: ", "bold magenta"), raw))
