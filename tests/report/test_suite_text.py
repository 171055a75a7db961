"""The report's prompts: the suite read by the fast path says what the exact path (the Task
model and suites.rows.fingerprint, as `run` fingerprints a suite) says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.report import suite_text
from evalkit.report.suite_text import read_suite
from evalkit.runfile import suite_rows
from evalkit.suites.rows import fingerprint
from evalkit.types import Criterion, SuiteInfo, Task

EVERY_CHARACTER = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
"""Every code point but the surrogates (which no valid JSON text decodes to)."""

RUBRIC = [{"id": "a", "criterion": "c", "severity": "minor"}]


def _row(task_id: str, **fields: object) -> dict:
    return {"id": task_id, "prompt": "p", "reference": "r", "rubric": RUBRIC, **fields}


ROWS = [
    _row("plain"),
    _row("every-character", prompt=EVERY_CHARACTER, system="s\u2028\x00\x7f", tags=["é"]),
    _row("escapes", prompt='tab\there "quoted" back\\slash </script>', category="c"),
    _row("raw", prompt="é ü 中文 😀", reference="written as UTF-8, not escaped"),
    _row("nulls", system=None, category=None),
]


def _suite(folder: Path, rows: list[dict]) -> Path:
    (folder / "data").mkdir(parents=True)
    # JSON escapes but for the "raw" row (line separators such as U+2028 written raw
    # would split the line, for both paths alike)
    text = "".join(json.dumps(row, ensure_ascii=row["id"] != "raw") + "\n" for row in rows)
    (folder / "data" / "tasks.jsonl").write_text(text, encoding="utf-8")
    return folder


def _as_run_saw_it(rows: list[dict]) -> str:
    """The fingerprint `run` records for these rows: the Task model's canonical JSON."""
    return fingerprint(Task.model_validate(row) for row in rows)


def _info(found: str) -> SuiteInfo:
    return SuiteInfo(name="s", ref="s", fingerprint=found, tasks=len(ROWS))


def test_an_unchanged_suite_of_hostile_text_is_found_unchanged(tmp_path: Path) -> None:
    folder = _suite(tmp_path / "suite", ROWS)
    text = read_suite(_info(_as_run_saw_it(ROWS)), folder)
    assert text.note is None
    assert [t.prompt for t in text.tasks.values()] == [row["prompt"] for row in ROWS]
    assert text.tasks["every-character"].system == "s\u2028\x00\x7f"


@pytest.mark.parametrize(
    "odd",
    [
        _row("checks", checks=[{"id": "k", "kind": "contains", "text": "x", "severity": "fatal"}]),
        _row("null-tags", tags=None),
    ],
)
def test_rows_the_fast_path_refuses_read_as_the_exact_path_reads_them(
    tmp_path: Path, odd: dict
) -> None:
    rows = [*ROWS, odd]
    folder = _suite(tmp_path / "suite", rows)
    exact = suite_text._read_rows(folder)  # the Task model, as the report read it before
    text = read_suite(_info(fingerprint(exact)), folder)
    assert text.note is None
    assert list(text.tasks) == [t.id for t in exact]
    assert text.tasks[odd["id"]] == exact[-1]


def test_a_row_the_task_model_refuses_is_quoted(tmp_path: Path) -> None:
    folder = _suite(tmp_path / "suite", [*ROWS, _row("extra", colour="red")])
    text = read_suite(_info("x"), folder)
    assert text.tasks == {}
    assert text.note == f"prompts not available: {folder}: 1 validation error for Task"


def test_a_changed_suite_is_said_to_have_changed(tmp_path: Path) -> None:
    folder = _suite(tmp_path / "suite", ROWS)
    changed = [*ROWS[:-1], _row("nulls", prompt="another prompt")]
    text = read_suite(_info(_as_run_saw_it(changed)), folder)
    assert "has changed since this run (fingerprint differs)" in (text.note or "")
    assert text.tasks["nulls"].prompt == "p"


def test_the_fast_path_has_the_task_models_fields() -> None:
    # A field added to Task or Criterion changes the canonical JSON: SuiteRow and
    # SuiteCriterion must gain it too, in the same place (the fast path does not check it
    # at run time: that would import pydantic into every report).
    task = tuple(name for name in Task.model_fields if name != "checks")
    assert suite_rows.SuiteRow.__struct_fields__ == task
    assert suite_rows.SuiteCriterion.__struct_fields__ == tuple(Criterion.model_fields)
