"""report: the seed document's sections from a run file, in Markdown and in HTML, with
model text kept inert, and the HTML rendered by headless Chromium."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from runfiles import (
    BIG_BRAIN_HEALTH,
    Row,
    big_brain_records,
    big_brain_run,
    manifest,
    model_info,
    record,
    write_run,
    write_suite,
)

from evalkit.cli import main
from evalkit.report import html as report_html
from evalkit.report import markdown as report_md
from evalkit.report.build import build_report
from evalkit.report.environment import environment
from evalkit.report.html import render as render_html
from evalkit.report.markdown import render as render_md
from evalkit.report.svg import MAX_GROUPS, groups
from evalkit.runfile.reader import read_run
from evalkit.runfile.report_lines import read_report_run
from evalkit.runfile.writer import RunWriter
from evalkit.types import Answer, CriterionResult, EndpointHealth, Issue, JudgeInfo, Resume

HOSTILE = (
    "Here you go:\n```python\nprint('hi')\n```\n"
    "<script>document.title='pwned'</script><img src=x onerror=alert(1)> | [red]x[/red]"
)


@pytest.fixture
def seed_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seed session: suites/big-brain and results/big-brain/run.jsonl."""
    write_suite(tmp_path / "suites" / "big-brain")
    monkeypatch.chdir(tmp_path)
    return big_brain_run(Path("results") / "big-brain" / "run.jsonl")


SEED_SECTIONS = [
    "## Environment",
    "## Summary",
    "## Quality assessment: gemma3:1b",
    "## Quality assessment: gemma3:27b",
    "## Task-by-task results",
    "### Task 1: gitea-webhook (code-security)",
    "### Task 4: async-debug (debugging)",
    "## Comparison table",
    "## Latency summary",
    "## Key findings",
    "## Next steps",
]


def test_markdown_has_every_section_of_the_seed(seed_project: Path) -> None:
    text = render_md(build_report(read_run(seed_project)))
    positions = [text.index(section) for section in SEED_SECTIONS]
    assert positions == sorted(positions), "sections out of the seed's order"


@pytest.mark.parametrize(
    "expected",
    [
        "| Status | Operational (server 0.6.2) | OFFLINE (HTTP 404) |",
        "| Notes | ~1B parameters; Apple Silicon (local Ollama) | 27B parameters; RunPod L40S",
        "**UNAVAILABLE** for every task: HTTP 404 from https://8lfr3j47a5r3gn-11434",
        "| 1. gitea-webhook | 4,435 ms | 2/5 | BROKEN — Uses hashlib.sha256 instead of hmac |",
        "#### gemma3:27b: UNAVAILABLE\n\nReason: HTTP 404 from",
        "| 1. gitea-webhook | 2/5 BROKEN | UNAVAILABLE (HTTP 404) | N/A |",
        "| **Total** | 23,907 ms | N/A |",
        "gemma3:27b latency: N/A (no answers: 4 unavailable).",
        "- FATAL: Uses hashlib.sha256 instead of hmac\n- WRONG: gitea-webhook: a wrong claim",
        "Prompt of gitea-webhook: write it well.",
        "gemma3:1b failed 4 of 4 graded task(s) (score 2/5 or lower)",
        "3 fatal issue(s) in 3 of 4 graded answer(s)",
        "Issues by severity: fatal 3, wrong 4, vague 4.",
        "No comparison across candidates is possible: only gemma3:1b was graded.",
        "python -m evalkit run --resume results/big-brain/run.jsonl",
    ],
)
def test_markdown_says_what_the_seed_says(seed_project: Path, expected: str) -> None:
    assert expected in render_md(build_report(read_run(seed_project)))


def test_the_suite_found_unchanged_gives_no_warning(seed_project: Path) -> None:
    assert build_report(read_run(seed_project)).suite_note is None


@pytest.mark.parametrize(
    ("setup", "note"),
    [
        ("none", "prompts not available: suite folder"),
        ("changed", "has changed since this run (fingerprint differs)"),
        ("broken", "prompts not available"),
    ],
)
def test_prompts_missing_or_changed_are_said(tmp_path: Path, setup: str, note: str) -> None:
    run = big_brain_run(tmp_path / "run.jsonl", suite_ref=str(tmp_path / "suite"))
    if setup == "changed":
        write_suite(
            tmp_path / "suite",
            [
                {
                    "id": "x",
                    "prompt": "p",
                    "reference": "r",
                    "rubric": [{"id": "a", "criterion": "c", "severity": "minor"}],
                }
            ],
        )
    elif setup == "broken":
        (tmp_path / "suite" / "data").mkdir(parents=True)
        (tmp_path / "suite" / "data" / "tasks.jsonl").write_text("{not json\n")
    report = build_report(read_run(run))
    assert note in (report.suite_note or "")
    if setup != "changed":
        assert "_Prompt not available: the suite's data was not found._" in render_md(report)


def test_the_suite_is_found_above_the_run_file(tmp_path: Path, monkeypatch) -> None:
    write_suite(tmp_path / "project" / "suites" / "big-brain")
    run = big_brain_run(tmp_path / "project" / "results" / "big-brain" / "run.jsonl")
    monkeypatch.chdir(tmp_path)  # not the project: found through the run file's parents
    assert build_report(read_run(run)).tasks[0].prompt == "Prompt of gitea-webhook: write it well."


def test_the_fingerprint_matches_the_one_datasets_loading_gives(tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    from evalkit.suites.loader import load_suite

    folder = write_suite(tmp_path / "suites" / "big-brain")
    suite = load_suite(str(folder), tmp_path)
    run = write_run(
        tmp_path / "run.jsonl",
        [record("gitea-webhook", "m", "ok", 3)],
        manifest(["m"], suite_ref=str(folder), fingerprint=suite.info.fingerprint),
    )
    assert build_report(read_run(run)).suite_note is None


# (scores per candidate on one task, None: unavailable) -> winner
WINNERS = [
    ((4, 2), "m1"),
    ((2, 5), "m2"),
    ((3, 3), "tie"),
    ((4, None), "N/A"),
    ((None, None), "N/A"),
]


@pytest.mark.parametrize(("scores", "winner"), WINNERS)
def test_winner_of_a_task(tmp_path: Path, scores: tuple, winner: str) -> None:
    rows = [
        Row("t", name, "ok" if s else "unavailable", s)
        for name, s in zip(("m1", "m2"), scores, strict=True)
    ]
    run = write_run(tmp_path / "run.jsonl", rows)
    assert build_report(read_run(run)).tasks[0].winner == winner


def _findings_run(tmp_path: Path) -> Path:
    """Two candidates, two categories: debugging is weak, and one fatal issue repeats."""
    tasks = [("d1", "debugging", 1, 2), ("d2", "debugging", 2, 1), ("w1", "writing", 5, 4)]
    fatal = [Issue(severity="fatal", description="Invents an API.")]
    records = []
    for task_id, _, s1, s2 in tasks:
        issues = fatal if task_id.startswith("d") else []
        records.append(record(task_id, "m1", "ok", s1, issues=issues))
        records.append(record(task_id, "m2", "ok", s2, issues=issues))
    suite = [
        {
            "id": t,
            "prompt": "p",
            "reference": "r",
            "category": c,
            "rubric": [{"id": "a", "criterion": "c", "severity": "fatal"}],
        }
        for t, c, _, _ in tasks
    ]
    write_suite(tmp_path / "suite", suite)
    return write_run(
        tmp_path / "run.jsonl", records, manifest(["m1", "m2"], suite_ref=str(tmp_path / "suite"))
    )


@pytest.mark.parametrize(
    "expected",
    [
        "Weakest categories: debugging 1.50/5 (4 answer(s)); writing 4.50/5 (2 answer(s)).",
        "4 fatal issue(s) in 4 of 6 graded answer(s); most frequent: Invents an API. (4×).",
        "m1 failed 2 of 3 graded task(s)",
    ],
)
def test_findings_are_computed_from_the_data(tmp_path: Path, expected: str) -> None:
    assert any(
        expected in line for line in build_report(read_run(_findings_run(tmp_path))).findings
    )


def test_summary_names_the_leader_over_tasks_graded_for_all(tmp_path: Path) -> None:
    report = build_report(read_run(_findings_run(tmp_path)))
    assert report.summary[-1] == (
        "On the 3 task(s) graded for every candidate, m1 leads with a mean of 2.67/5"
        " (vs m2 2.33); m1 wins 2, with 0 tie(s)."
    )


def test_the_same_run_renders_the_same_bytes(seed_project: Path) -> None:
    first = render_html(build_report(read_run(seed_project)))
    assert first == render_html(build_report(read_run(seed_project)))


@pytest.mark.parametrize("render", [render_md, render_html])
def test_the_report_reads_only_what_it_shows_and_says_the_same(
    seed_project: Path, tmp_path: Path, render
) -> None:
    """`report` reads its fields natively (read_report_run): the document is the one the
    full records give, for the seed run and for one with failures, issues and criteria."""
    for run in (seed_project, _findings_run(tmp_path)):
        full = render(build_report(read_run(run)))
        assert render(build_report(read_report_run(run))) == full


@pytest.mark.parametrize("renderer", [report_md, report_html])
def test_writing_a_block_at_a_time_gives_the_rendered_text(seed_project: Path, renderer) -> None:
    report = build_report(read_run(seed_project))
    out = io.StringIO()
    renderer.write(report, out)
    assert out.getvalue() == renderer.render(report)


def test_a_report_that_fails_midway_leaves_the_old_file_and_no_partial(
    seed_project: Path, monkeypatch
) -> None:
    target = Path("report.md")
    target.write_text("the previous report\n", encoding="utf-8")

    def broken(report, out) -> None:
        out.write("# half a report")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_md, "write", broken)
    assert main(["report", str(seed_project), "-o", str(target)]) == 2
    assert target.read_text(encoding="utf-8") == "the previous report\n"
    assert sorted(p.name for p in Path().iterdir() if "report" in p.name) == ["report.md"]


def test_a_report_interrupted_by_ctrl_c_leaves_the_old_file_and_no_partial(
    seed_project: Path, monkeypatch
) -> None:
    target = Path("report.md")
    target.write_text("the previous report\n", encoding="utf-8")

    def interrupted(report, out) -> None:
        out.write("# half a report")
        raise KeyboardInterrupt

    monkeypatch.setattr(report_md, "write", interrupted)
    assert main(["report", str(seed_project), "-o", str(target)]) == 130
    assert target.read_text(encoding="utf-8") == "the previous report\n"
    assert sorted(p.name for p in Path().iterdir() if "report" in p.name) == ["report.md"]


# --- a run killed midway: keys with no record are NOT RUN ----------------------------


def _killed(run: Path, keep: int) -> Path:
    """The run file as a run killed after its manifest and `keep` records leaves it."""
    lines = run.read_text(encoding="utf-8").splitlines(keepends=True)
    killed = run.with_name("killed.jsonl")
    killed.write_text("".join(lines[: 1 + keep]), encoding="utf-8")
    return killed


KILLED_MD = [
    # the seed killed after gitea-webhook (both candidates) and evennia's gemma3:1b
    "| 2. evennia-architecture | 2/5 SUPERFICIAL | NOT RUN | N/A |",
    "| 3. fleet-burndown | NOT RUN | NOT RUN | N/A |",
    "| 4. async-debug | NOT RUN | NOT RUN | N/A |",
    "| 3. fleet-burndown | N/A | N/A | NOT RUN |",
    "### Task 4: async-debug (debugging)",
    "Prompt of async-debug: write it well.",
    "#### gemma3:1b: NOT RUN\n\nReason: no record in the run file",
    "4 task(s) of suite big-brain were planned for 2 candidate(s)",
    "The run is incomplete: 5 key(s) (task × candidate) have no record in the run file;"
    " they are NOT RUN (the run stopped before them).",
    "gemma3:1b: 2 of 4 task(s) answered, 2 graded, mean score 2.00/5, 2 not run.",
    "gemma3:27b: 0 of 4 task(s) answered, 0 graded, 1 unavailable and 3 not run: HTTP 404",
    "gemma3:27b latency: N/A (no answers: 1 unavailable, 3 not run).",
    "Finish the 1 record(s) that are not ok and the 5 key(s) not run, then render this"
    " report again: python -m evalkit run --resume results/big-brain/killed.jsonl",
]


def test_a_killed_run_shows_its_keys_without_record_as_not_run(seed_project: Path, capsys) -> None:
    killed = _killed(seed_project, 3)
    assert main(["report", str(killed)]) == 0
    text = capsys.readouterr().out
    missing = [line for line in KILLED_MD if line not in text]
    assert not missing
    assert main(["report", str(killed), "-o", "killed.html"]) == 0
    page = Path("killed.html").read_text(encoding="utf-8")
    # 5 keys, each in the quality table, the task's answers and the comparison table
    assert page.count("<span class='status'>NOT RUN</span>") == 15
    assert "The run is incomplete: 5 key(s)" in page
    assert "python -m evalkit run --resume results/big-brain/killed.jsonl" in page


def test_a_complete_run_has_nothing_not_run(seed_project: Path, capsys) -> None:
    assert main(["report", str(seed_project)]) == 0
    text = capsys.readouterr().out
    assert "NOT RUN" not in text and "not run" not in text
    assert "4 task(s) of suite big-brain were answered by 2 candidate(s)" in text
    assert "Finish the 4 record(s) that are not ok, then render this report again" in text


def test_without_the_suite_the_keys_not_run_are_counted_from_the_manifest(
    tmp_path: Path, capsys
) -> None:
    killed = _killed(big_brain_run(tmp_path / "run.jsonl", suite_ref="elsewhere"), 3)
    assert main(["report", str(killed)]) == 0
    text = capsys.readouterr().out
    for line in (
        "The run is incomplete: 5 key(s) (task × candidate) have no record in the run file;",
        "4 of them are counted from the manifest and not listed by task: without the run's"
        " suite folder the report cannot name their tasks.",
        "gemma3:1b: 2 of 4 task(s) answered, 2 graded, mean score 2.00/5, 2 not run.",
        "| 2. evennia-architecture | 2/5 SUPERFICIAL | NOT RUN | N/A |",
        f"the 5 key(s) not run, then render this report again: python -m evalkit run"
        f" --resume {killed}",
    ):
        assert line in text
    assert "fleet-burndown" not in text  # its id is in the suite, not in the run file


@pytest.mark.parametrize(
    ("reachable", "status"),
    [
        ((True, False), "Operational (server 0.9.0), 1 of 2 replicas serving"),
        ((True, True), "Operational (server 0.9.0)"),
        ((False, False), "OFFLINE (HTTP 404)"),
    ],
)
def test_an_endpoint_with_replicas_serves_when_one_does(reachable: tuple, status: str) -> None:
    health = [
        EndpointHealth(
            endpoint="big-brain",
            kind="ollama",
            url=f"https://pod-{i}.example",
            reachable=up,
            version="0.9.0" if up else None,
            models=["gemma3:27b"] if up else [],
            status_code=None if up else 404,
        )
        for i, up in enumerate(reachable)
    ]
    judge = JudgeInfo(name="j", model="gemma3:27b")
    (column,) = environment(
        {"gemma3:27b": model_info("gemma3:27b", "big-brain")}, [], judge, health
    )
    assert (column.status, column.up) == (status, any(reachable))


@pytest.mark.parametrize(
    ("resumed_at", "when"),
    [
        ("2026-04-14T14:30:00.000+00:00", "14:30 UTC"),
        ("2026-04-15T09:05:00.000+00:00", "2026-04-15 09:05 UTC"),
    ],
    ids=["same-day", "next-day"],
)
def test_a_pod_still_down_at_the_resume_is_said_with_both_times(
    seed_project: Path, resumed_at: str, when: str
) -> None:
    with RunWriter(seed_project, expect_size=seed_project.stat().st_size) as writer:
        writer.write(Resume(at=resumed_at, evalkit_version="0.1.0", health=BIG_BRAIN_HEALTH))
    text = " ".join(render_md(build_report(read_run(seed_project))).split())
    assert f"big-brain: down at 12:00 UTC (HTTP 404), still down at {when}." in text
    assert f"was OFFLINE (HTTP 404) at the last resume ({when})." in text
    assert "| Status | Operational (server 0.6.2) | OFFLINE (HTTP 404) |" in text


# --- hostile text --------------------------------------------------------------------


@pytest.fixture
def hostile_run(tmp_path: Path) -> Path:
    issues = [Issue(severity="fatal", description="<b>bold</b> | pipe")]
    rows = [
        record("t<1>", "m1", "ok", 2, text=HOSTILE, label="<i>BAD</i>", issues=issues),
        record("t<1>", "m2", "error", None, error="<script>alert(2)</script>"),
    ]
    return write_run(tmp_path / "run.jsonl", rows, manifest(["m1", "m2"]))


def test_markdown_keeps_model_text_inert(hostile_run: Path) -> None:
    text = render_md(build_report(read_run(hostile_run)))
    assert "````text\n" + HOSTILE + "\n````" in text  # a fence longer than the answer's
    outside = text.replace(HOSTILE, "")
    assert not re.search(r"<(script|img|b|i)\b", outside)
    assert "FATAL: &lt;b&gt;bold&lt;/b&gt; | pipe" in text
    assert "UNAVAILABLE" not in text and "ERROR (BadRequestError)" in text


def test_html_escapes_every_piece_of_model_text(hostile_run: Path) -> None:
    page = render_html(build_report(read_run(hostile_run)))
    assert not re.search(r"<(script|img|i)\b", page, re.IGNORECASE)
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_rubric_and_issue_text_is_escaped_in_both_documents(tmp_path: Path) -> None:
    # One hostile note among plain ones, and a hostile criterion id: each piece escaped,
    # the plain ones as they are (the page escapes a cell's notes in one pass).
    notes = ["plain note", "<img src=x onerror=alert(1)> & 'q' \"d\"", "another"]
    criteria = [
        CriterionResult(id=cid, met=i % 2 == 0, note=note)
        for i, (cid, note) in enumerate(zip(["a", "<b>id</b>", "c"], notes, strict=True))
    ]
    issues = [
        Issue(severity="minor", description="fine"),
        Issue(severity="fatal", description="<i>x"),
    ]
    ok = record("t", "m1", "ok", 2, issues=issues)
    ok = ok.model_copy(update={"verdict": ok.verdict.model_copy(update={"criteria": criteria})})
    run = write_run(
        tmp_path / "run.jsonl", [ok, record("t", "m2", "ok", 4)], manifest(["m1", "m2"])
    )
    report = build_report(read_run(run))
    page = render_html(report)
    assert not re.search(r"<(img|i)\b", page) and "<code><b>" not in page
    assert "<li>✓ <code>a</code> plain note</li>" in page
    assert "<code>&lt;b&gt;id&lt;/b&gt;</code> &lt;img src=x onerror=alert(1)&gt; &amp;" in page
    assert "&#x27;q&#x27; &quot;d&quot;</li><li>✓ <code>c</code> another</li>" in page
    assert "<span class='sev sev-fatal'>fatal</span> &lt;i&gt;x</li>" in page
    text = render_md(report)
    assert "- NOT met: `&lt;b&gt;id&lt;/b&gt;` &lt;img src=x onerror=alert(1)&gt; &amp;" in text
    assert "- FATAL: &lt;i&gt;x\n- MINOR: fine" in text


def test_html_is_self_contained(seed_project: Path) -> None:
    page = render_html(build_report(read_run(seed_project)))
    assert not re.search(r"\b(src|href)\s*=|@import|url\(", page)
    assert "default-src 'none'" in page  # and the CSP forbids loading anything anyway
    assert "<svg" in page and page.count("<section>") == 4


def test_chart_falls_back_to_categories_past_the_limit(tmp_path: Path) -> None:
    rows = [Row(f"t{i}", "m", "ok", 1 + i % 5) for i in range(MAX_GROUPS + 1)]
    run = write_run(tmp_path / "run.jsonl", rows)
    drawn, caption = groups(build_report(read_run(run)))
    assert drawn == [] and "too many" in caption


# --- the command line ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "out", "marker"),
    [
        (["-o", "out/report.html"], "out/report.html", "<!doctype html>"),
        (["--format", "md", "-o", "report.txt"], "report.txt", "# big-brain: gemma3:1b vs"),
        (["-o", "report.md"], "report.md", "## Environment"),
    ],
)
def test_report_command_writes_the_file(seed_project: Path, args, out, marker) -> None:
    assert main(["report", str(seed_project), *args]) == 0
    assert marker in Path(out).read_text(encoding="utf-8")


def test_report_command_prints_markdown_by_default(seed_project: Path, capsys) -> None:
    assert main(["report", str(seed_project)]) == 0
    assert "## Key findings" in capsys.readouterr().out


def test_report_command_takes_the_suite_folder(tmp_path: Path, capsys) -> None:
    run = big_brain_run(tmp_path / "run.jsonl", suite_ref="elsewhere")
    folder = write_suite(tmp_path / "my-suite")
    assert main(["report", str(run), "--suite", str(folder)]) == 0
    assert "Prompt of async-debug: write it well." in capsys.readouterr().out


# --- headless Chromium ---------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _need_chromium() -> None:
    """Skip without Chromium on a workstation; in CI (`CI=true`) its absence is a failure,
    so a CI image that lost it cannot pass by skipping the only rendering check."""
    if CHROMIUM is not None:
        return
    missing = "chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"{missing}; CI=true requires it", pytrace=False)
    pytest.skip(missing)


def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    _need_chromium()
    write_suite(tmp_path / "suites" / "big-brain")
    records = big_brain_records()
    records[0] = record(
        "gitea-webhook", "gemma3:1b", "ok", 2, text=HOSTILE, label="BROKEN", latency_ms=4435
    )
    run = write_run(
        tmp_path / "run.jsonl", records, manifest(suite_ref=str(tmp_path / "suites" / "big-brain"))
    )
    page = tmp_path / "report.html"
    page.write_text(render_html(build_report(read_run(run))), encoding="utf-8")
    shot = tmp_path / "shot.png"
    _chromium(page, tmp_path / "profile-1", f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.stat().st_size > 20_000  # a blank page is a few kilobytes
    dom = _chromium(page, tmp_path / "profile-2", "--dump-dom").stdout
    for text in (
        "Environment",
        "UNAVAILABLE",
        "OFFLINE (HTTP 404)",
        "Task 4: async-debug",
        "23,907 ms",
        "Key findings",
    ):
        assert text in dom
    assert "<title>big-brain: gemma3:1b vs gemma3:27b</title>" in dom  # the script never ran
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
    assert "<svg" in dom and dom.count("<rect") >= 4


def test_an_answer_the_judge_could_not_grade_is_not_graded_not_unavailable(
    tmp_path: Path,
) -> None:
    down = record("t", "m", "unavailable", None)
    kept = down.model_copy(
        update={
            "answer": Answer(text="my answer", latency_ms=1500.0),
            "error": down.error.model_copy(update={"role": "judge"}),
        }
    )
    one_task = manifest(["m"], tasks=1)
    report = build_report(read_run(write_run(tmp_path / "run.jsonl", [kept], one_task)))
    text = render_md(report)
    assert "| 1. t | 1,500 ms | N/A | NOT GRADED (judge: HTTP 404) |" in text
    assert "**NOT GRADED:** judge: HTTP 404 from" in text
    assert "my answer" in text and "UNAVAILABLE" not in text
    assert "m: 1 of 1 task(s) answered, 0 graded, 1 unavailable" in report.summary[1]


@pytest.mark.parametrize(
    ("ci", "code", "outcome"), [("true", 1, "1 failed"), ("", 0, "1 skipped")], ids=["ci", "local"]
)
def test_chromium_missing_fails_in_ci_and_skips_elsewhere(
    tmp_path: Path, ci: str, code: int, outcome: str
) -> None:
    """The rendering test in a fresh pytest whose PATH holds no Chromium."""
    test = f"{Path(__file__)}::test_html_renders_in_headless_chromium"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PATH": str(Path(sys.executable).parent), "CI": ci},
        timeout=120,
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert outcome in done.stdout
    if ci:
        assert "chromium is not installed (apt-get install chromium); CI=true" in done.stdout


def test_whole_answers_get_no_mark(seed_project: Path) -> None:
    text = render_md(build_report(read_run(seed_project)))
    page = render_html(build_report(read_run(seed_project)))
    assert "cut at max_tokens" not in text + page and "[empty]" not in text
    assert "class='cut'" not in page


def test_a_cut_answer_the_judge_could_not_grade_is_marked_too(tmp_path: Path) -> None:
    failed = record("t", "m", "judge_error", None)
    cut = failed.model_copy(
        update={"answer": Answer(text="def f(", latency_ms=900.0, finish_reason="length")}
    )
    report = build_report(read_run(write_run(tmp_path / "run.jsonl", [cut], manifest(["m"]))))
    text = render_md(report)
    row = "| 1. t | 900 ms | N/A | JUDGE_ERROR (judge: InvalidVerdict) [cut at max_tokens] |"
    assert row in text
    assert "m: 1 answer cut at max_tokens (1024): a low score may be a too-small max_tokens." in (
        report.findings
    )
    assert "<span class='cut'>cut at max_tokens</span>" in render_html(report)
