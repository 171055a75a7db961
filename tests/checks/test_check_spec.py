"""Check definitions: each kind's defaults, every malformed definition rejected with the
field it is about, and the hash that decides whether stored results can be reused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from evalkit.checks import (
    ContainsCheck,
    JsonSchemaCheck,
    PythonCheck,
    RegexCheck,
    checks_hash,
    validate_checks,
)
from evalkit.checks.spec import check_adapter

RUBRIC = ["verifies-signature", "constant-time"]


def check(kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": f"{kind}-1", "kind": kind, "severity": "major", **fields}


def test_each_kind_validates_with_the_issues_defaults() -> None:
    regex, contains, schema, python = validate_checks(
        [
            check("regex", pattern=r"hmac\.compare_digest"),
            check("contains", text="ClientSession"),
            check("json_schema", schema={"type": "object"}),
            check("python", code="import solution"),
        ],
        RUBRIC,
    )
    assert isinstance(regex, RegexCheck) and regex.expect == "present"
    assert isinstance(contains, ContainsCheck)
    assert contains.expect == "present" and contains.case_sensitive is False
    assert isinstance(schema, JsonSchemaCheck) and schema.schema_ == {"type": "object"}
    assert isinstance(python, PythonCheck) and python.timeout == 10
    assert regex.criterion is None


BAD = [
    ({"id": "x", "kind": "grep", "severity": "fatal"}, "checks[0].kind", "unknown kind 'grep'"),
    ({"id": "x", "severity": "fatal", "pattern": "a"}, "checks[0].kind", "missing"),
    (check("regex", pattern="(unclosed"), "checks[0].pattern", "invalid regular expression"),
    (check("regex", pattern="a", expect="maybe"), "checks[0].expect", "'present' or 'absent'"),
    (check("contains", text=""), "checks[0].text", "at least 1 character"),
    (check("json_schema", schema={"type": "integr"}), "checks[0].schema", "invalid JSON schema"),
    (
        check("json_schema", schema={"properties": {"a": {"minimum": "0"}}}),
        "checks[0].schema",
        "at properties/a/minimum",
    ),
    (check("json_schema", schema="{not json"), "checks[0].schema", "not JSON"),
    (check("python", code="   \n"), "checks[0].code", "must not be empty"),
    (check("python", code="pass", timeout=0), "checks[0].timeout", "greater than 0"),
    (check("python", code="pass", timeout=-1), "checks[0].timeout", "greater than 0"),
    (check("regex", pattern="a", severity="critical"), "checks[0].severity", "'fatal', 'major'"),
    (check("regex", pattern="a", text="b"), "checks[0].text", "unknown key"),
    (check("regex", pattern="a", criterion="nope"), "checks[0].criterion", "not a rubric id"),
    ({"kind": "regex", "severity": "fatal", "pattern": "a"}, "checks[0].id", "Field required"),
]


@pytest.mark.parametrize(("definition", "field", "message"), BAD)
def test_a_malformed_check_is_rejected_naming_its_field(
    definition: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        validate_checks([definition], RUBRIC)
    assert str(raised.value).startswith(f"{field}: ")
    assert message in str(raised.value)


def test_duplicate_ids_are_rejected_naming_the_later_one() -> None:
    definitions = [
        check("regex", pattern="a"),
        check("contains", text="b"),
        check("regex", pattern="c"),
    ]
    definitions[1]["id"] = "twice"
    definitions[2]["id"] = "twice"
    with pytest.raises(
        ValueError, match=r"^checks\[2\]\.id: duplicate check id 'twice' \(also checks\[1\]\)"
    ):
        validate_checks(definitions, RUBRIC)


def test_the_criterion_error_lists_the_rubric_ids() -> None:
    with pytest.raises(ValueError, match=r"rubric ids: constant-time, verifies-signature"):
        validate_checks([check("regex", pattern="a", criterion="verify")], RUBRIC)


def test_a_linked_criterion_that_exists_is_kept() -> None:
    [linked] = validate_checks([check("regex", pattern="a", criterion="constant-time")], RUBRIC)
    assert linked.criterion == "constant-time"


def test_the_models_raise_pydantic_errors_at_the_field() -> None:
    with pytest.raises(ValidationError) as raised:
        check_adapter().validate_python(check("regex", pattern="(a"))
    assert raised.value.errors()[0]["loc"][-1] == "pattern"


def test_nulls_from_an_arrow_row_mean_defaults() -> None:
    """A dataset gives each check every key of the others, null where absent."""
    arrow_row = {
        "id": "r", "kind": "regex", "severity": "minor", "criterion": None, "pattern": "x",
        "expect": None, "text": None, "case_sensitive": None, "schema": None, "code": None,
        "timeout": None,
    }  # fmt: skip
    [regex] = validate_checks([arrow_row], RUBRIC)
    assert isinstance(regex, RegexCheck) and regex.expect == "present"


def test_validated_models_pass_through_and_still_meet_the_list_rules() -> None:
    [model] = validate_checks([check("regex", pattern="a")], RUBRIC)
    assert validate_checks([model], RUBRIC) == [model]
    with pytest.raises(ValueError, match="duplicate"):
        validate_checks([model, model], RUBRIC)


def test_the_hash_ignores_defaults_key_order_and_schema_as_text() -> None:
    implicit = validate_checks(
        [check("python", code="pass"), check("json_schema", schema='{"type": "array"}')], RUBRIC
    )
    explicit = validate_checks(
        [
            {
                "timeout": 10,
                "code": "pass",
                "kind": "python",
                "severity": "major",
                "id": "python-1",
            },
            check("json_schema", schema={"type": "array"}, criterion=None),
        ],
        RUBRIC,
    )
    assert checks_hash(implicit) == checks_hash(explicit)


@pytest.mark.parametrize(
    "changed",
    [
        check("python", code="pass  "),
        check("python", code="pass", timeout=11),
        check("python", code="pass", severity="fatal"),
        check("python", code="pass", criterion="constant-time"),
    ],
)
def test_the_hash_changes_with_what_a_check_means(changed: dict[str, Any]) -> None:
    base = validate_checks([check("python", code="pass")], RUBRIC)
    assert checks_hash(base) != checks_hash(validate_checks([changed], RUBRIC))


def test_the_hash_depends_on_order() -> None:
    a, b = check("regex", pattern="a"), check("contains", text="b")
    assert checks_hash(validate_checks([a, b], RUBRIC)) != checks_hash(
        validate_checks([b, a], RUBRIC)
    )
