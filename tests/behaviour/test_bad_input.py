"""Bad input, one table of cases: each exits 2 with one message naming the file, the row or
line and the field; no traceback; no file in the project changed or added."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import write_project

from evalkit.cli import main

Mutation = Callable[[Path], list[str]]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def suite_row(root: Path, **changes: object) -> list[str]:
    data = root / "suites" / "gen" / "data" / "test.jsonl"
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    rows[2].update(changes)
    rows[2] = {k: v for k, v in rows[2].items() if v != "<drop>"}
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return ["run", "gen"]


def duplicate_ids(root: Path) -> list[str]:
    return suite_row(root, id="t000")


def empty_suite(root: Path) -> list[str]:
    (root / "suites" / "gen" / "data" / "test.jsonl").write_text("\n")
    return ["run", "gen"]


def config_edit(old: str, new: str) -> Mutation:
    def mutate(root: Path) -> list[str]:
        edit(root / "evalkit.toml", old, new)
        return ["run", "gen"]

    return mutate


def judge_edit(file: str, old: str, new: str) -> Mutation:
    def mutate(root: Path) -> list[str]:
        edit(root / "judges" / file, old, new)
        return ["run", "gen"]

    return mutate


def resume_of(content: bytes) -> Mutation:
    def mutate(root: Path) -> list[str]:
        (root / "old.jsonl").write_bytes(content)
        return ["run", "--resume", str(root / "old.jsonl")]

    return mutate


CASES: dict[str, tuple[Mutation, list[str]]] = {
    "row-without-prompt": (
        lambda r: suite_row(r, prompt="<drop>"),
        ["test.jsonl", "row 3", "prompt"],
    ),
    "rubric-not-a-list": (
        lambda r: suite_row(r, rubric="be good"),
        ["test.jsonl", "row 3", "rubric"],
    ),
    "check-bad-regex": (
        lambda r: suite_row(
            r, checks=[{"id": "c", "kind": "regex", "pattern": "(", "severity": "fatal"}]
        ),
        ["test.jsonl", "row 3", "checks[0].pattern", "invalid regular expression"],
    ),
    "check-unknown-kind": (
        lambda r: suite_row(r, checks=[{"id": "c", "kind": "shell", "severity": "minor"}]),
        ["test.jsonl", "row 3", "checks[0]", "shell"],
    ),
    "check-unknown-criterion": (
        lambda r: suite_row(
            r,
            checks=[
                {
                    "id": "c",
                    "kind": "contains",
                    "text": "x",
                    "severity": "minor",
                    "criterion": "nope",
                }
            ],
        ),
        ["test.jsonl", "row 3", "checks[0].criterion", "'nope'", "explains"],
    ),
    "check-duplicate-id": (
        lambda r: suite_row(
            r,
            checks=[
                {"id": "c", "kind": "contains", "text": "x", "severity": "minor"},
                {"id": "c", "kind": "python", "code": "pass", "severity": "minor"},
            ],
        ),
        ["test.jsonl", "row 3", "checks[1].id", "duplicate check id 'c'"],
    ),
    "check-empty-code": (
        lambda r: suite_row(
            r, checks=[{"id": "c", "kind": "python", "code": " ", "severity": "major"}]
        ),
        ["test.jsonl", "row 3", "checks[0].code", "must not be empty"],
    ),
    "duplicate-task-ids": (duplicate_ids, ["test.jsonl", "row 3", "duplicate task id 't000'"]),
    "empty-suite": (empty_suite, ["suites/gen", "no tasks"]),
    "config-unknown-key": (
        config_edit("backoff = 0.05", "backof = 0.05"),
        ["evalkit.toml", "backof", "unknown key"],
    ),
    "profile-unknown-model": (
        config_edit('candidates = ["m1", "m2"]', 'candidates = ["m1", "m3"]'),
        ["evalkit.toml", "profiles.test.candidates", "'m3'"],
    ),
    "model-unknown-endpoint": (
        config_edit('endpoint = "srv"', 'endpoint = "srvx"'),
        ["evalkit.toml", "endpoint", "'srvx'"],
    ),
    "missing-env-variable": (
        config_edit('url = "http://127.0.0.1:9"', 'url = "${EVALKIT_NOT_SET_ANYWHERE}"'),
        ["evalkit.toml", "endpoints.srv.url", "EVALKIT_NOT_SET_ANYWHERE"],
    ),
    "judge-toml-typo": (
        judge_edit("j.toml", "temperature", "temprature"),
        ["j.toml", "temprature", "unknown key"],
    ),
    "template-unknown-field": (
        judge_edit("rubric-judge.md", "{rubric}", "{rubrik}"),
        ["rubric-judge.md", "{rubrik}"],
    ),
    "unknown-judge": (
        lambda r: ["run", "gen", "--judge", "nobody"],
        ["unknown judge 'nobody'", "j"],
    ),
    "truncated-run-file": (
        resume_of(b'{"type": "run", "run_id"'),
        ["old.jsonl", "no complete manifest line"],
    ),
    "foreign-run-file": (
        resume_of(b'{"name": "something else"}\n'),
        ["old.jsonl", "line 1", "not a run file"],
    ),
}


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_exits_2_naming_where(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    mutate, expected = CASES[case]
    write_project(tmp_path, "http://127.0.0.1:9")
    monkeypatch.chdir(tmp_path)
    args = mutate(tmp_path)
    before = snapshot(tmp_path)
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2
    message = " ".join(err.split())  # rich wraps long lines
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "Traceback" not in err and message.count("error:") == 1
    assert snapshot(tmp_path) == before  # nothing written, nothing changed
