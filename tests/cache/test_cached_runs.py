"""`run` and `judge` with the cache across runs, against the loopback Ollama server: a
re-run of an unchanged suite asks nothing, a change misses exactly the keys it affects,
failures are never cached, and --no-cache / --refresh do what they say."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cached_project import CANDIDATES, EVERY, TASKS, asked, from_cache, run
from ollama_server import FakeOllama

from evalkit.runfile.reader import read_run

Change = Callable[[Path, FakeOllama], None]
"""A change made to the project (its config, judge or suite) or to what its server serves."""


def test_rerunning_an_unchanged_suite_asks_no_model(server, capsys) -> None:
    assert run("first.jsonl") == 0
    assert asked(server) == (6, 6)
    server.requests.clear()
    capsys.readouterr()
    assert run("again.jsonl") == 0
    assert server.count(path="/api/chat") == 0  # the probes (tags, version) still go
    first, again = read_run("first.jsonl"), read_run("again.jsonl")
    for key, record in again.records.items():
        assert record.status == "ok"
        assert record.cached_answer_from == record.cached_verdict_from == first.manifest.run_id
        before = first.records[key]
        assert (record.answer, record.verdict) == (before.answer, before.verdict)
    assert again.manifest.cache is not None and again.manifest.cache.mode == "use"
    shown = " ".join(capsys.readouterr().out.split())
    assert "from the cache: 6 answer(s) and 6 verdict(s) of 6 record(s)" in shown


def test_a_fresh_run_is_not_marked_and_its_summary_says_nothing_of_the_cache(
    server, capsys
) -> None:
    assert run("first.jsonl") == 0
    assert from_cache("first.jsonl") == (set(), set())
    assert "from the cache" not in capsys.readouterr().out
    lines = Path("first.jsonl").read_text().splitlines()
    assert all("cached_" not in line for line in lines[1:])


def rewrite_task(root: Path, task_id: str, change: Callable[[dict], None]) -> None:
    suite = root / "suites" / "gen" / "data" / "test.jsonl"
    rows = [json.loads(line) for line in suite.read_text().splitlines()]
    for row in rows:
        if row["id"] == task_id:
            change(row)
    suite.write_text("".join(json.dumps(row) + "\n" for row in rows))


def edit(path: str, old: str, new: str) -> Change:
    def apply(root: Path, server: FakeOllama) -> None:
        text = (root / path).read_text()
        assert old in text, (path, old)
        (root / path).write_text(text.replace(old, new, 1))

    return apply


def append(path: str, text: str) -> Change:
    def apply(root: Path, server: FakeOllama) -> None:
        with (root / path).open("a") as handle:
            handle.write(text)

    return apply


def task_change(task_id: str, field: str, value: Any) -> Change:
    def apply(root: Path, server: FakeOllama) -> None:
        rewrite_task(root, task_id, lambda row: row.__setitem__(field, value))

    return apply


def rubric_line(root: Path, server: FakeOllama) -> None:
    rewrite_task(root, "t001", lambda row: row["rubric"][1].__setitem__("criterion", "Is short"))


def add_check(root: Path, server: FakeOllama) -> None:
    check = {"id": "says-item", "kind": "contains", "severity": "minor", "text": "item"}
    rewrite_task(root, "t001", lambda row: row.__setitem__("checks", [check]))


JUDGE_MODEL = '[models."judge"]\nendpoint = "srv"\n'
M1 = {(t, "m1") for t in TASKS}
M2 = {(t, "m2") for t in TASKS}


def of_task(task_id: str) -> set:
    return {(task_id, c) for c in CANDIDATES}


def model_setting(model: str, setting: str) -> Change:
    table = f'[models."{model}"]\nendpoint = "srv"\n'
    return edit("evalkit.toml", table, table + setting + "\n")


def digest(model: str) -> Change:
    """The server serves another model under the same name: /api/tags lists a new digest."""

    def apply(root: Path, server: FakeOllama) -> None:
        server.digests[model] = "sha256:" + "e" * 64

    return apply


CHANGES: dict[str, tuple[Change, set, set]] = {
    # change: (what is done to the project, answers asked again, verdicts asked again)
    "a candidate's temperature": (
        edit("evalkit.toml", 'srv"\ntemperature = 0.3', 'srv"\ntemperature = 0.9'),
        M1,
        M1,
    ),
    "a candidate's top_p": (model_setting("m2", "top_p = 0.5"), M2, M2),
    "a candidate's seed": (model_setting("m2", "seed = 7"), M2, M2),
    "a task's prompt": (
        task_change("t002", "prompt", "TASK-002: at length."),
        *[of_task("t002")] * 2,
    ),
    "a task's system message": (task_change("t000", "system", "Be terse."), *[of_task("t000")] * 2),
    "a rubric line": (rubric_line, set(), of_task("t001")),
    "a task's reference": (
        task_change("t000", "reference", "Item 0, well."),
        set(),
        of_task("t000"),
    ),
    "a task's checks": (add_check, set(), of_task("t001")),
    "the judge prompt": (append("judges/rubric-judge.md", "\nBe strict.\n"), set(), EVERY),
    "the judge's temperature": (
        edit("judges/j.toml", "temperature = 0.0", "temperature = 0.1"),
        set(),
        EVERY,
    ),
    "the judge model's max_tokens": (model_setting("judge", "max_tokens = 900"), set(), EVERY),
    "a candidate's weights (Ollama digest)": (digest("m1"), M1, set()),  # same text: same verdict
    "the judge's weights (Ollama digest)": (digest("judge"), set(), EVERY),
    "a task's category (in no key)": (task_change("t002", "category", "debugging"), set(), set()),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_changing_one_thing_a_key_covers_misses_exactly_the_keys_it_affects(
    server, tmp_path: Path, change: str
) -> None:
    apply, answers, verdicts = CHANGES[change]
    assert run("first.jsonl") == 0
    apply(tmp_path, server)
    server.requests.clear()
    assert run("changed.jsonl") == 0
    cached_answers, cached_verdicts = from_cache("changed.jsonl")
    assert EVERY - cached_answers == answers
    assert EVERY - cached_verdicts == verdicts
    assert asked(server) == (len(answers), len(verdicts))
