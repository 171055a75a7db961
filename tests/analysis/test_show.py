"""show: filters, the terminal table and --full; and the three commands that only read run
files importing neither litellm nor datasets (nor numpy, except compare's bootstrap)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from runfiles import Row, big_brain_run, record, write_run, write_suite

from evalkit.analysis.show import select, shorten
from evalkit.cli import main
from evalkit.runfile.index import read_index
from evalkit.types import Issue

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(tmp_path: Path) -> Path:
    rows = [
        Row("gitea-webhook", "gemma3:1b", "ok", 2),
        Row("gitea-webhook", "gemma3:27b", "unavailable", None),
        Row("evennia", "gemma3:1b", "ok", 3),
        Row("evennia", "gemma3:27b", "unavailable", None),
        Row("fleet", "gemma3:1b", "judge_error", None),
        Row("fleet", "gemma3:27b", "error", None),
    ]
    return write_run(tmp_path / "run.jsonl", rows)


# (tasks, candidates, statuses, limit) -> (task, candidate) pairs shown, matched
FILTERS = [
    ((), (), (), 100, 6, 6),
    (("gitea*",), (), (), 100, 2, 2),
    ((), ("*27b",), (), 100, 3, 3),
    ((), (), ("unavailable",), 100, 2, 2),
    ((), (), ("error", "judge_error"), 100, 2, 2),
    (("gitea*", "fleet"), ("gemma3:1b",), (), 100, 2, 2),
    (("evennia",), (), ("error",), 100, 0, 0),
    ((), (), (), 4, 4, 6),
    ((), (), (), 0, 6, 6),
]


@pytest.mark.parametrize(("tasks", "candidates", "statuses", "limit", "shown", "matched"), FILTERS)
def test_filters_select_records(run, tasks, candidates, statuses, limit, shown, matched) -> None:
    selection = select(read_index(run), tasks, candidates, statuses, limit)
    assert (len(selection.records), selection.matched, selection.total) == (shown, matched, 6)
    for r in selection.records:
        assert not statuses or r.status in statuses


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [("short", 10, "short"), ("a\n  b\tc", 10, "a b c"), ("x" * 20, 10, "x" * 9 + "…")],
)
def test_shorten(text: str, width: int, expected: str) -> None:
    assert shorten(text, width) == expected


def test_show_lists_records_with_short_reasons(run: Path, capsys) -> None:
    assert main(["show", str(run), "--candidate", "*27b"]) == 0
    out = capsys.readouterr().out
    assert "3 of 6 records" in out and "HTTP 404" in out and "gemma3:1b" not in out


def test_show_says_how_many_more_match_past_the_limit(run: Path, capsys) -> None:
    main(["show", str(run), "--limit", "2"])
    assert "4 more matching records" in capsys.readouterr().out


def test_show_says_when_nothing_matches(run: Path, capsys) -> None:
    main(["show", str(run), "--task", "nope"])
    assert "no record matches (the run file has 6)" in capsys.readouterr().out


def test_show_full_prints_answer_and_verdict_with_markup_left_as_text(
    tmp_path: Path, capsys
) -> None:
    text = "line one [red]not red[/red]\nline two " + "long " * 40
    issues = [Issue(severity="fatal", description="Wrong [bold]primitive[/bold]")]
    path = write_run(tmp_path / "r.jsonl", [record("t", "m", "ok", 2, text=text, issues=issues)])
    assert main(["show", str(path), "--full"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "line one [red]not red[/red]" in out
    assert ("long " * 40).strip() in out  # the whole answer, not shortened
    assert "FATAL: Wrong [bold]primitive[/bold]" in out
    assert "reasoning: Graded 2/5 against the reference." in out


def test_show_full_gives_the_reason_of_a_record_without_verdict(run: Path, capsys) -> None:
    main(["show", str(run), "--status", "unavailable", "--full"])
    assert "reason: NotFoundError: HTTP 404 from" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("keep", "counts"),
    [(3, "5 key(s) of this run have no record (gemma3:1b 2, gemma3:27b 3)"), (0, "8 key(s)")],
    ids=["some-records", "no-records"],
)
def test_show_counts_the_keys_a_killed_run_never_ran(
    tmp_path: Path, capsys, keep: int, counts: str
) -> None:
    """The seed run cut after its manifest and `keep` records, as a kill leaves it."""
    lines = big_brain_run(tmp_path / "run.jsonl").read_text(encoding="utf-8").splitlines(True)
    killed = tmp_path / "killed.jsonl"
    killed.write_text("".join(lines[: 1 + keep]), encoding="utf-8")
    assert main(["show", str(killed), "--status", "ok"]) == 0
    out = capsys.readouterr().out
    assert f"NOT RUN: {counts}" in out
    assert f"finish it with: python -m evalkit run --resume {killed}" in out


def test_show_of_a_complete_run_says_nothing_is_not_run(tmp_path: Path, capsys) -> None:
    assert main(["show", str(big_brain_run(tmp_path / "run.jsonl"))]) == 0
    assert "NOT RUN" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ('"score":2', '"score":9'),  # a field read only when the record is shown
        ('"status":"ok"', '"status":"fine"'),  # a field every filter reads
    ],
    ids=["shown-record-score", "status"],
)
def test_show_names_the_line_and_field_of_a_bad_record(
    run: Path, capsys, bad: str, named: str
) -> None:
    lines = run.read_text(encoding="utf-8").splitlines(True)
    assert bad in lines[1]
    lines[1] = lines[1].replace(bad, named, 1)
    run.write_text("".join(lines), encoding="utf-8")
    assert main(["show", str(run)]) == 2
    field = "verdict.score" if "score" in bad else "status"
    assert f"{run}, line 2: not a result record: {field}" in capsys.readouterr().err


# --- what the read-only commands import ----------------------------------------------

FORBIDDEN = ("litellm", "datasets", "llama_cpp", "numpy", "scipy")
PROBE = f"""
import json, sys
from evalkit.cli import main
code = main(sys.argv[1:])
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({FORBIDDEN!r}))
print("IMPORTED " + json.dumps({{"code": code, "heavy": heavy}}))
"""


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    write_suite(tmp_path / "suites" / "big-brain")
    a = big_brain_run(tmp_path / "results" / "big-brain" / "a.jsonl")
    b = big_brain_run(tmp_path / "results" / "big-brain" / "b.jsonl")
    return a, b


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["compare", "{a}", "{b}", "+pydantic"], ["numpy"]),
        (
            ["compare", "{a}", "{b}", "--format", "md", "--fail-on-regression", "+pydantic"],
            ["numpy"],
        ),
        (["compare", "{a}", "{b}", "--format", "json", "+pydantic"], ["numpy"]),
        (["report", "{a}", "--format", "md", "+pydantic"], []),
        (["report", "{a}", "--format", "html", "+pydantic"], []),
        (["report", "{a}", "-o", "report.md", "+pydantic"], []),
        (["report", "{a}", "-o", "report.html", "+pydantic"], []),
        (["show", "{a}", "--full"], []),
        (["show", "{a}", "+pydantic"], []),
        (["show", "{a}", "--status", "ok", "--candidate", "gemma3:*", "+pydantic"], []),
    ],
)
def test_reading_commands_import_neither_litellm_nor_datasets(
    two_runs, command: list[str], expected: list[str]
) -> None:
    """Each command runs in a fresh interpreter, which then lists the heavy modules it
    loaded: a regression here costs every reader seconds of start-up. Only a command that
    resamples loads numpy (the bootstrap's draws), and nothing loads scipy. `show`'s table
    (no --full), `compare` in every format and `report` of an ordinary run file load
    no pydantic either (+pydantic: forbidden too): 0.1 s of their start."""
    a, b = two_runs
    forbidden = [*FORBIDDEN, *(["pydantic"] if "+pydantic" in command else [])]
    argv = [part.format(a=a, b=b) for part in command if part != "+pydantic"]
    done = subprocess.run(
        [sys.executable, "-c", PROBE.replace(repr(FORBIDDEN), repr(forbidden)), *argv],
        capture_output=True,
        text=True,
        cwd=a.parent,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("IMPORTED "))
    result = json.loads(line.removeprefix("IMPORTED "))
    assert result == {"code": 0, "heavy": expected}, done.stderr
