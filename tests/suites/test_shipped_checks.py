"""The checks shipped in suites/: every reference passes them, the recorded answers pass and
fail them where their expert labels say the linked criterion is met or not, and a plausible
wrong answer fails the executed ones on an edge case. Python checks run in the real bwrap
sandbox."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from evalkit.checks import BwrapSandbox, run_checks
from evalkit.run.checking import definitions
from evalkit.suites.loader import load_suite
from evalkit.types import Task

REPO = Path(__file__).resolve().parents[2]
ANSWERS = {
    "big-brain": "answers/seed-gemma3-1b.jsonl",
    "engineering": "answers/sample-answers.jsonl",
}
LABELS = {
    "big-brain": "labels/seed-expert-grades.jsonl",
    "engineering": "labels/expert-grades.jsonl",
}


def _tasks(suite: str) -> dict[str, Task]:
    return {task.id: task for task in load_suite(suite, REPO).tasks}


def _outcomes(task: Task, text: str, sandbox: BwrapSandbox) -> dict[str, bool | None]:
    results = asyncio.run(run_checks(definitions(task), text, sandbox))
    return {result.id: result.passed for result in results}


def _lines(suite: str, files: dict[str, str]) -> list[dict]:
    path = REPO / "suites" / suite / files[suite]
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("suite", ["big-brain", "engineering"])
def test_every_reference_passes_its_checks(suite: str, bwrap: BwrapSandbox) -> None:
    checked = [task for task in _tasks(suite).values() if task.checks]
    assert checked
    for task in checked:
        outcomes = _outcomes(task, task.reference, bwrap)
        assert all(outcomes.values()), (task.id, outcomes)


EXPECTED = {
    # (suite, task, candidate): the checks that fail; every other check of the task passes
    ("big-brain", "gitea-webhook-parser", "gemma3:1b"): {"hmac_sha256", "compare_digest"},
    ("big-brain", "debug-async-fetch", "gemma3:1b"): {"one_session_for_all_urls"},
    ("engineering", "safe-file-serving", "weak-model"): {
        "refuses_absolute_names",
        "refuses_symlink_escape",
        "refuses_directories",
    },
    ("engineering", "safe-file-serving", "strong-model"): set(),
    ("engineering", "signed-download-urls", "weak-model"): {"no_field_shift", "compare_digest"},
    ("engineering", "signed-download-urls", "strong-model"): set(),
    ("engineering", "mutable-default-argument", "weak-model"): {"caller_list_untouched"},
    ("engineering", "mutable-default-argument", "strong-model"): set(),
    ("engineering", "sql-injection-fstring", "weak-model"): {
        "order_by_allowlisted",
        "like_wildcards_literal",
    },
    ("engineering", "sql-injection-fstring", "strong-model"): set(),
    ("engineering", "closure-late-binding", "weak-model"): set(),
    ("engineering", "closure-late-binding", "strong-model"): set(),
}


@pytest.mark.parametrize("suite", ["big-brain", "engineering"])
def test_recorded_answers_pass_and_fail_as_their_labels_say(
    suite: str, bwrap: BwrapSandbox
) -> None:
    """Each recorded answer of a task with checks fails exactly the expected checks, and a
    check linked to a criterion agrees with the expert's finding on it."""
    tasks = _tasks(suite)
    labels = {(x["task_id"], x["candidate"]): x["criteria"] for x in _lines(suite, LABELS)}
    seen = set()
    for answer in _lines(suite, ANSWERS):
        task = tasks[answer["task_id"]]
        if not task.checks:
            continue
        key = (suite, task.id, answer["candidate"])
        seen.add(key)
        outcomes = _outcomes(task, answer["text"], bwrap)
        assert {c for c, passed in outcomes.items() if not passed} == EXPECTED[key], outcomes
        expert = labels[(task.id, answer["candidate"])]
        for check in definitions(task):
            if check.criterion is not None:
                assert outcomes[check.id] == expert[check.criterion], (key, check.id)
    assert seen == {key for key in EXPECTED if key[0] == suite}


WRONG = [
    (
        "safe-file-serving",
        "import os\n\ndef resolve_upload(base_dir, name):\n"
        "    base = os.path.realpath(base_dir)\n"
        "    target = os.path.realpath(os.path.join(base, name))\n"
        "    if not target.startswith(base) or not os.path.isfile(target):\n"
        "        raise PermissionError(name)\n    return target\n",
        {"refuses_sibling_prefix"},
    ),
    (
        "signed-download-urls",
        "import hashlib, hmac, os, time\nfrom urllib.parse import parse_qs, urlsplit\n"
        "KEY = os.environ['DOWNLOAD_URL_KEY'].encode()\n\n"
        "def sign_url(path, expires_in):\n    expires = int(time.time()) + expires_in\n"
        "    sig = hmac.new(KEY, path.encode(), hashlib.sha256).hexdigest()\n"
        "    return f'{path}?expires={expires}&sig={sig}'\n\n"
        "def verify_url(url):\n    parts = urlsplit(url)\n    q = parse_qs(parts.query)\n"
        "    sig = hmac.new(KEY, parts.path.encode(), hashlib.sha256).hexdigest()\n"
        "    if not hmac.compare_digest(sig, q['sig'][0]) or time.time() > int(q['expires'][0]):\n"
        "        raise ValueError('invalid')\n    return parts.path\n",
        {"signature_binds_path_and_expiry"},  # the expiry is not signed: it can be raised
    ),
    (
        "mutable-default-argument",
        "def add_tag(item, tag, tags=[]):\n    tags.append(tag)\n"
        "    item['tags'] = list(tags)\n    return item\n",
        {"calls_do_not_share_tags", "caller_list_untouched"},  # a copy per item; the list grows
    ),
    (
        "sql-injection-fstring",
        "def find_users(conn, name, order_by='name'):\n"
        '    sql = f"SELECT id, name, email FROM users WHERE name LIKE ? ORDER BY {order_by}"\n'
        "    return conn.execute(sql, (f'%{name}%',)).fetchall()\n",
        {"order_by_allowlisted", "like_wildcards_literal"},
    ),
    (
        "closure-late-binding",
        "def make_handlers(names):\n"
        "    return {name: lambda event: f'{name} handled {event}' for name in names}\n",
        {"each_handler_keeps_its_name"},
    ),
]


@pytest.mark.parametrize(("task_id", "code", "failing"), WRONG, ids=[w[0] for w in WRONG])
def test_a_plausible_wrong_answer_fails_an_executed_check(
    task_id: str, code: str, failing: set[str], bwrap: BwrapSandbox
) -> None:
    task = _tasks("engineering")[task_id]
    outcomes = _outcomes(task, f"Here is the fix:\n\n```python\n{code}```\n", bwrap)
    python = {c.id for c in definitions(task) if c.kind == "python"}
    assert {c for c, passed in outcomes.items() if not passed} & python == failing, outcomes


def test_at_least_four_engineering_tasks_have_executed_checks() -> None:
    """Each names its function in the prompt, and each has a python check."""
    executed = [
        task
        for task in _tasks("engineering").values()
        if any(check.kind == "python" for check in definitions(task))
    ]
    assert len(executed) >= 4


@pytest.mark.parametrize(
    "run", ["big-brain/runs/seed-gemma3-1b.jsonl", "engineering/runs/sample-answers.jsonl"]
)
def test_the_report_finds_the_suite_of_a_shipped_run_unchanged(
    run: str, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report reads the suite without `datasets`; with checks in it, it must still
    compute the fingerprint `run` recorded (checks with their defaults written out)."""
    from evalkit.cli import main

    monkeypatch.chdir(REPO)
    assert main(["report", f"suites/{run}"]) == 0
    out = capsys.readouterr().out
    assert "has changed since this run" not in out and "**Prompt:**" in out
