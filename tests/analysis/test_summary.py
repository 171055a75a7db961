"""The end-of-run summary: streamed from the run file, the latest record of each key
counted once, the first records kept whole, pairwise lines left out."""

from __future__ import annotations

from pathlib import Path

from runfiles import Row, big_brain_run, from_row, manifest, record, write_run

from evalkit.analysis.summary import summarize_file
from evalkit.display.run import run_summary
from evalkit.types import Record


def _run(tmp_path: Path, rows: list[Row]) -> Path:
    return write_run(tmp_path / "run.jsonl", rows, manifest(["m1", "m2"]))


def test_a_later_record_of_a_key_replaces_the_earlier_one(tmp_path: Path) -> None:
    rows = [
        Row("t1", "m1", "unavailable", None),
        Row("t2", "m1", "ok", 2),
        Row("t1", "m1", "ok", 4),  # the resume that finished t1
        Row("t1", "m2", "error", None),
    ]
    summary = summarize_file(_run(tmp_path, rows))
    m1, m2 = summary.candidates
    assert summary.records == 3 and not summary.all_ok
    assert (m1.records, m1.by_status, m1.mean_score) == (2, {"ok": 2}, 3.0)
    assert (m2.records, m2.by_status, m2.mean_score) == (1, {"error": 1}, None)
    assert m1.reasons == [] and len(m2.reasons) == 1  # t1's old reason went with it
    assert [(r.task_id, r.candidate, r.status) for r in summary.first] == [
        ("t1", "m1", "ok"),  # in first-seen order, as its latest version
        ("t2", "m1", "ok"),
        ("t1", "m2", "error"),
    ]


def test_only_the_first_records_are_kept_whole(tmp_path: Path) -> None:
    rows = [Row(f"t{i}", "m1", "ok", 1 + i % 5) for i in range(30)]
    summary = summarize_file(_run(tmp_path, rows), first=10)
    assert summary.records == 30 and summary.all_ok
    assert [r.task_id for r in summary.first] == [f"t{i}" for i in range(10)]
    assert summary.candidates[0].mean_score == 3.0
    assert summary.candidates[1].records == 0  # in the manifest, never answered


def test_the_summary_counts_the_keys_a_killed_run_never_ran(tmp_path: Path, capsys) -> None:
    lines = big_brain_run(tmp_path / "run.jsonl").read_text(encoding="utf-8").splitlines(True)
    killed = tmp_path / "killed.jsonl"
    killed.write_text("".join(lines[:4]), encoding="utf-8")  # the manifest and 3 records
    summary = summarize_file(killed)
    assert [(c.candidate, c.records, c.not_run) for c in summary.candidates] == [
        ("gemma3:1b", 2, 2),
        ("gemma3:27b", 1, 3),
    ]
    run_summary(summary)
    out = capsys.readouterr().out
    assert "│ 2 not run " in out  # gemma3:1b's "not ok" cell
    assert (
        "NOT RUN: 5 key(s) of this run have no record: the run stopped before them; finish it"
        f" with: python -m evalkit run --resume {killed}"
    ) in out


def test_the_summary_of_a_complete_run_has_nothing_not_run(tmp_path: Path, capsys) -> None:
    summary = summarize_file(big_brain_run(tmp_path / "run.jsonl"))
    assert [c.not_run for c in summary.candidates] == [0, 0]
    run_summary(summary)
    assert "not run" not in capsys.readouterr().out.lower()


def _cut(task: str, candidate: str, text: str | None = None) -> Record:
    """An ok record whose answer stopped at max_tokens."""
    whole = record(task, candidate, "ok", 2, text=text)
    assert whole.answer is not None
    return whole.model_copy(
        update={"answer": whole.answer.model_copy(update={"finish_reason": "length"})}
    )


def test_answers_cut_or_empty_are_counted_per_candidate_from_latest_records(
    tmp_path: Path,
) -> None:
    empty = record("t2", "m1", "ok", 1)
    assert empty.answer is not None
    rows = [
        _cut("t1", "m1"),
        empty.model_copy(update={"answer": empty.answer.model_copy(update={"text": " "})}),
        _cut("t3", "m1"),
        from_row(Row("t3", "m1", "ok", 4)),  # a later whole answer replaces the cut one
        from_row(Row("t1", "m2", "ok", 4)),
    ]
    path = write_run(tmp_path / "run.jsonl", rows, manifest(["m1", "m2"]))
    m1, m2 = summarize_file(path).candidates
    assert m1.incomplete is not None and m2.incomplete is None
    assert m1.incomplete.sentences() == [
        "m1: 1 answer cut at max_tokens (1024): a low score may be a too-small max_tokens.",
        "m1: 1 answer empty (the model wrote nothing), graded as missing everything.",
    ]
