"""`show` in the terminal: selected records as a table, or each in full; an answer cut at
max_tokens or empty is marked where it is shown, and counted per candidate at the end. A
record's check results are a column of the table (passed/ran, ≠ disagreements with the
judge) and listed one by one in full, with each disagreement; check details quote output of
model-written code, so they are printed as Text, never as markup."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.text import Text

from evalkit.analysis.incomplete import marker
from evalkit.analysis.show import Selection
from evalkit.display.console import STATUS_STYLE, console, note, status
from evalkit.display.layout import GAP, MARGIN, Cell, column_widths, laid_out

if TYPE_CHECKING:
    from evalkit.runfile.lines import KeyLine
    from evalkit.types import Record


def records(selection: Selection, full: bool) -> None:
    """`show`: the selected records as a table, or one block each with `full`."""
    if not selection.records:
        note(f"no record matches (the run file has {selection.total})")
    elif full:
        for record in selection.records:
            _record_block(record)
    else:
        _records_table(selection)
    if selection.matched > len(selection.records):
        hidden = selection.matched - len(selection.records)
        note(f"... {hidden} more matching records: narrow the filters or raise --limit (0: all)")
    for line in selection.incomplete:
        for sentence in line.sentences():
            note(sentence)
    if selection.samples is not None:
        from evalkit.display.samples import samples

        samples(selection.samples, limit=0)
    if selection.not_run:
        _not_run(selection)


def _not_run(selection: Selection) -> None:
    """The keys the run planned that have no record: it stopped before them."""
    counts = ", ".join(f"{escape(name)} {n}" for name, n in selection.not_run.items())
    console.print(
        f"[bold red]NOT RUN:[/] {sum(selection.not_run.values())} key(s) of this run have no"
        f" record ({counts}): the run stopped before them; finish it with:"
        f" {escape(selection.resume)}",
        highlight=False,
        soft_wrap=True,
    )


def _records_table(selection: Selection) -> None:
    """One line per record (`layout`): the answer is cut to the width the other columns
    leave (the full text is one --full away); the judge column appears only when judges
    differ."""
    from evalkit.analysis.show import short_reason

    judges = {record.judge for record in selection.records}
    title = f"{selection.matched} of {selection.total} records"
    if len(judges) == 1:
        title += f", judge {judges.pop()}"
    checked = any(record.checks for record in selection.records)
    header = ["task", "candidate", *(["judge"] if judges else [])]
    header += [*(["sample"] if selection.sampled else []), "status", "score", "ms"]
    header += ["checks"] if checked else []
    header.append("label / reason")
    rows = [
        _record_cells(record, bool(judges), checked, short_reason, selection.sampled)
        for record in selection.records
    ]
    widths = column_widths(header, rows)
    room = max(12, console.width - sum(widths) - GAP * len(widths) - MARGIN)
    for record, row in zip(selection.records, rows, strict=True):
        row.append(_answer_cell(record, room))
    table = laid_out(title, header, rows, ("score", "ms"), last=("answer", room))
    console.print(table, end="", soft_wrap=True)  # a line per record, even when too wide


def _answer_cell(record: Record | KeyLine, room: int) -> Text:
    """The answer cut to `room` characters, after a mark when it is not whole."""
    from evalkit.analysis.show import shorten

    if record.answer is None:
        return Text()
    cut = marker(record.answer, brief=True)
    if not cut:
        return Text(shorten(record.answer.text, room))
    mark = f"[{cut}]"
    return Text.assemble(
        (mark, "yellow"), " " + shorten(record.answer.text, max(1, room - len(mark) - 1))
    )


def _record_cells(
    record: Record | KeyLine, with_judge: bool, checked: bool, short_reason: Callable, sampled: bool
) -> list[Cell]:
    """A record's short cells, plain text, in `_records_table`'s column order."""
    from evalkit.analysis.check_words import brief
    from evalkit.analysis.show import shorten

    answer, verdict = record.answer, record.verdict
    latency = answer.latency_ms if answer and answer.latency_ms else None
    return [
        shorten(record.task_id, 32),
        shorten(record.candidate, 20),
        *([shorten(record.judge, 20)] if with_judge else []),
        *([str(record.sample)] if sampled else []),
        (record.status, STATUS_STYLE.get(record.status)),
        f"{verdict.score}/5" if verdict else "-",
        f"{latency:,.0f}" if latency else "-",
        *([brief(record.checks, len(record.disagreements)) or "-"] if checked else []),
        shorten(verdict.label if verdict else short_reason(record), 28),
    ]


def _record_block(record: Record) -> None:
    """One record in full: the answer, the verdict with its issues and criteria, or why
    there is none. Model text is printed as Text, so markup in it is shown, not applied."""
    from rich.rule import Rule

    from evalkit.analysis.show import reason

    verdict = record.verdict
    score = f" {verdict.score}/5 {escape(verdict.label)}" if verdict else ""
    latency = record.answer.latency_ms if record.answer else None
    timing = f" · {latency:,.0f} ms" if latency else ""
    head = f"{escape(record.task_id)} · {escape(record.candidate)} · judge {escape(record.judge)}"
    head += f" · sample {record.sample}" if record.sample else ""
    console.print(Rule(f"{head} · {status(record.status)}{score}{timing}", align="left"))
    if record.answer is not None:
        cut = marker(record.answer)
        if cut:
            reason = record.answer.finish_reason
            why = f" (finish reason {reason!r})" if record.answer.truncated else ""
            console.print(Text.assemble((f"answer {cut}", "bold yellow"), why))
        console.print(Text(record.answer.text))
    if verdict is not None:
        console.print(Text.assemble(("reasoning: ", "bold"), verdict.reasoning))
        for issue in verdict.issues:
            severity = (f"  {issue.severity.upper()}: ", "bold")
            console.print(Text.assemble(severity, issue.description))
        for criterion in verdict.criteria:
            mark = ("  met  ", "green") if criterion.met else ("  MISS ", "red")
            console.print(Text.assemble(mark, (criterion.id, "bold"), " ", criterion.note))
    _checks_block(record)
    if record.error is not None:
        console.print(Text.assemble(("reason: ", "bold red"), reason(record)))
    for raw in record.judge_raw:
        console.print(Text.assemble(("judge's raw reply: ", "bold magenta"), raw))


def _checks_block(record: Record) -> None:
    """The record's check results one per line, then where they contradict the judge."""
    from evalkit.analysis.check_words import outcome
    from evalkit.analysis.checks import describe

    if not record.checks:
        return
    console.print(Text("checks:", style="bold"))
    styles = {"pass": "green", "FAIL": "red", "not run": "yellow"}
    for result in record.checks:
        word = outcome(result)
        timing = f" ({result.duration_ms:,.0f} ms)" if result.duration_ms else ""
        console.print(
            Text.assemble(
                (f"  {word:<7} ", styles[word]), (result.id, "bold"), timing, " ", result.detail
            )
        )
    for disagreement in record.disagreements:
        console.print(Text.assemble(("  DISAGREES ", "bold magenta"), describe(disagreement)))
