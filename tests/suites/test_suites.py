"""Suites: loaded through `datasets`, every row validated, errors name file, row and field."""

import json
from pathlib import Path

import pytest

from evalkit.errors import SuiteError
from evalkit.suites.loader import load_suite
from evalkit.suites.rows import fingerprint

REPO = Path(__file__).resolve().parents[2]

ROW = {
    "id": "t1",
    "prompt": "Say hi",
    "reference": "hi",
    "rubric": [{"id": "greets", "criterion": "Says hi", "severity": "fatal"}],
    "system": None,
    "category": "misc",
    "tags": ["x"],
}


def make_suite(root: Path, rows: list[object], name: str = "s") -> Path:
    folder = root / name
    (folder / "data").mkdir(parents=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    (folder / "data" / "test.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_loads_by_path_and_by_name_in_suites_dir(tmp_path: Path) -> None:
    folder = make_suite(tmp_path / "suites", [ROW, {**ROW, "id": "t2"}])
    by_path = load_suite(str(folder), base_dir=Path("/nonexistent"))
    by_name = load_suite("s", base_dir=tmp_path)
    assert [t.id for t in by_path.tasks] == ["t1", "t2"]
    assert by_name.info.fingerprint == by_path.info.fingerprint
    assert by_name.info.name == "s" and by_name.info.tasks == 2


@pytest.mark.parametrize("name", ["big-brain", "engineering"])
def test_shipped_suites_load_and_validate(name: str) -> None:
    suite = load_suite(name, base_dir=REPO)
    assert len(suite.tasks) >= (4 if name == "big-brain" else 12)
    assert {t.category for t in suite.tasks} == {
        "code-security",
        "architecture",
        "ops-scripting",
        "debugging",
    }


def test_big_brain_carries_the_seed_tasks() -> None:
    tasks = {t.id: t for t in load_suite("big-brain", base_dir=REPO).tasks}
    assert len(tasks) == 4
    assert "aiohttp.ClientSession()" in tasks["debug-async-fetch"].prompt
    assert "Gitea webhook" in tasks["gitea-webhook-parser"].prompt


@pytest.mark.parametrize(
    ("rows", "row", "field"),
    [
        ([{k: v for k, v in ROW.items() if k != "prompt"}], 1, "prompt"),
        ([{**ROW, "rubric": "be good"}], 1, "rubric"),
        ([{**ROW, "rubric": []}], 1, "rubric"),
        (
            [{**ROW, "rubric": [{"id": "a", "criterion": "c", "severity": "huge"}]}],
            1,
            "rubric.0.severity",
        ),
        ([ROW, ROW], 2, "duplicate task id 't1'"),
        ([ROW, "{not json"], 2, "not valid JSON"),
        ([{**ROW, "extra_field": 1}], 1, "extra_field"),
    ],
    ids=[
        "no-prompt",
        "rubric-not-list",
        "empty-rubric",
        "bad-severity",
        "duplicate-id",
        "bad-json",
        "unknown-field",
    ],
)
def test_bad_row_names_file_row_and_field(tmp_path: Path, rows: list, row: int, field: str) -> None:
    folder = make_suite(tmp_path, rows)
    with pytest.raises(SuiteError) as caught:
        load_suite(str(folder), base_dir=tmp_path)
    message = str(caught.value)
    assert str(folder / "data" / "test.jsonl") in message
    assert f"row {row}" in message
    assert field in message


def test_empty_suite_is_refused(tmp_path: Path) -> None:
    folder = make_suite(tmp_path, [""])
    with pytest.raises(SuiteError, match="no tasks"):
        load_suite(str(folder), base_dir=tmp_path)


def test_unknown_suite_lists_known(tmp_path: Path) -> None:
    make_suite(tmp_path / "suites", [ROW], name="alpha")
    with pytest.raises(SuiteError, match=r"unknown suite 'beta'.*known: alpha"):
        load_suite("beta", base_dir=tmp_path)


def test_fingerprint_changes_with_any_task_change(tmp_path: Path) -> None:
    a = load_suite(str(make_suite(tmp_path, [ROW], "a")), tmp_path)
    b = load_suite(str(make_suite(tmp_path, [{**ROW, "reference": "hello"}], "b")), tmp_path)
    assert a.info.fingerprint != b.info.fingerprint
    assert fingerprint(a.tasks) == a.info.fingerprint


def test_a_rows_checks_load_validated_and_tasks_without_checks_keep_their_fingerprint(
    tmp_path: Path,
) -> None:
    check = {"id": "hi", "kind": "contains", "text": "hi", "severity": "fatal", "extra": None}
    with_checks = load_suite(
        str(make_suite(tmp_path, [{**ROW, "checks": [check]}], "a")), base_dir=tmp_path
    )
    assert with_checks.tasks[0].checks == [
        {"id": "hi", "kind": "contains", "text": "hi", "severity": "fatal", "criterion": None}
        | {"expect": "present", "case_sensitive": False}
    ]
    plain = load_suite(str(make_suite(tmp_path, [ROW], "b")), base_dir=tmp_path)
    empty = load_suite(str(make_suite(tmp_path, [{**ROW, "checks": []}], "c")), base_dir=tmp_path)
    null = load_suite(str(make_suite(tmp_path, [{**ROW, "checks": None}], "d")), base_dir=tmp_path)
    assert plain.info.fingerprint == empty.info.fingerprint == null.info.fingerprint
    assert "checks" not in plain.tasks[0].model_dump_json()
    assert with_checks.info.fingerprint != plain.info.fingerprint
