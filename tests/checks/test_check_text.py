"""The text kinds on answer text: each passing and failing, with the detail a reader sees."""

from __future__ import annotations

from typing import Any

import pytest

from evalkit.checks import validate_checks
from evalkit.checks.text import QUOTE, evaluate_text

WEBHOOK = """Verify the signature first:

```python
expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
if not hmac.compare_digest(expected, signature):
    raise Forbidden()
```
"""

PERSON = {
    "type": "object",
    "required": ["name", "age"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
}


def outcome(answer: str, **definition: Any) -> tuple[bool | None, str]:
    [check] = validate_checks([{"id": "c", "severity": "major", **definition}], [])
    return evaluate_text(check, answer)  # type: ignore[arg-type]


CASES = [
    # kind-specific definition, answer, passed, words the detail contains
    ({"kind": "regex", "pattern": r"hmac\.compare_digest\("}, WEBHOOK, True, "found at line 5"),
    ({"kind": "regex", "pattern": r"signature\s*=="}, WEBHOOK, False, "not found"),
    (
        {"kind": "regex", "pattern": r"==\s*signature", "expect": "absent"},
        WEBHOOK,
        True,
        "not found",
    ),
    ({"kind": "regex", "pattern": r"hmac\.new", "expect": "absent"}, WEBHOOK, False, "line 4"),
    ({"kind": "regex", "pattern": r"(?i)VERIFY THE"}, WEBHOOK, True, "'Verify the'"),
    ({"kind": "contains", "text": "COMPARE_DIGEST"}, WEBHOOK, True, "found at line 5"),
    (
        {"kind": "contains", "text": "COMPARE_DIGEST", "case_sensitive": True},
        WEBHOOK,
        False,
        "not found",
    ),
    ({"kind": "contains", "text": "session.close()"}, WEBHOOK, False, "not found"),
    ({"kind": "contains", "text": "md5", "expect": "absent"}, WEBHOOK, True, "not found"),
    ({"kind": "contains", "text": "hashlib", "expect": "absent"}, WEBHOOK, False, "line 4"),
    (
        {"kind": "json_schema", "schema": PERSON},
        '{"name": "Ada", "age": 36}',
        True,
        "the answer is valid",
    ),
    (
        {"kind": "json_schema", "schema": PERSON},
        'Here it is:\n```json\n{"name": "Ada", "age": 36}\n```\nand ```json\n{}\n```',
        True,
        "the ```json block is valid",
    ),
    ({"kind": "json_schema", "schema": PERSON}, '{"name": "Ada", "age": -1}', False, "at $.age"),
    ({"kind": "json_schema", "schema": PERSON}, '{"name": "Ada"}', False, "'age' is a required"),
    ({"kind": "json_schema", "schema": PERSON}, "Ada is 36.", False, "not JSON and has no ```json"),
    (
        {"kind": "json_schema", "schema": PERSON},
        "```json\n{'name': 1}\n```",
        False,
        "line 1 column 2",
    ),
    ({"kind": "json_schema", "schema": PERSON}, "```python\n{}\n```", False, "no ```json block"),
]


@pytest.mark.parametrize(("definition", "answer", "passed", "words"), CASES)
def test_text_check(definition: dict[str, Any], answer: str, passed: bool, words: str) -> None:
    result = outcome(answer, **definition)
    assert result.passed is passed
    assert words in result.detail


def test_case_insensitive_contains_folds_unicode() -> None:
    assert outcome("Die STRASSE", kind="contains", text="straße").passed is True


def test_a_detail_quotes_little_of_the_answer() -> None:
    """Details reach the judge and reports; the answer is model text, so quote little."""
    answer = "secret " + "x" * 5000
    result = outcome(answer, kind="regex", pattern=r"secret x+")
    assert result.passed is True
    assert len(result.detail) < QUOTE + 40


def test_a_validator_message_is_shortened() -> None:
    huge = '{"name": "' + "A" * 10_000 + '", "age": "old"}'
    result = outcome(huge, kind="json_schema", schema={"properties": {"name": {"maxLength": 3}}})
    assert result.passed is False
    assert len(result.detail) < 400
