"""The checks evaluated on the answer text itself: regex, contains and json_schema.

Guarantees:
- Pure functions of the definition and the answer; they never raise on any answer text.
- `detail` says what was found and where (line number), or why the check failed, and quotes
  at most `QUOTE` characters of the answer: the detail is shown to the judge and in reports,
  and the answer is model-written text.
- json_schema parses the whole answer when it is JSON, else its first fenced block tagged
  `json`; a parse error and the schema violation jsonschema judges most relevant are
  reported with their position.

A regex from the suite runs against a model's answer without a time limit (Python's `re`
has none), so a pattern prone to catastrophic backtracking is the suite author's to avoid.
"""

from __future__ import annotations

import json
import re
from typing import Any

from evalkit.checks.code_blocks import fenced_blocks
from evalkit.checks.result import Outcome
from evalkit.checks.spec import ContainsCheck, JsonSchemaCheck, RegexCheck, TextCheck

QUOTE = 80
"""The most characters of the answer a detail quotes."""
MESSAGE = 300
"""The most characters of a parser's or validator's message a detail keeps."""


def evaluate_text(check: TextCheck, answer: str) -> Outcome:
    """The outcome of a text check on the answer."""
    if isinstance(check, RegexCheck):
        return _regex(check, answer)
    if isinstance(check, ContainsCheck):
        return _contains(check, answer)
    return _json_schema(check, answer)


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _regex(check: RegexCheck, answer: str) -> Outcome:
    match = re.search(check.pattern, answer)
    if match is None:
        return Outcome(check.expect == "absent", "pattern not found")
    where = _line_of(answer, match.start())
    found = f"pattern found at line {where}: {shorten(match.group(0), QUOTE)!r}"
    return Outcome(check.expect == "present", found)


def _contains(check: ContainsCheck, answer: str) -> Outcome:
    haystack, needle = answer, check.text
    if not check.case_sensitive:
        haystack, needle = haystack.casefold(), needle.casefold()
    # casefold can change lengths (ß -> ss), so the line is counted in the folded text
    at = haystack.find(needle)
    if at < 0:
        return Outcome(check.expect == "absent", "text not found")
    return Outcome(check.expect == "present", f"text found at line {_line_of(haystack, at)}")


def _json_schema(check: JsonSchemaCheck, answer: str) -> Outcome:
    parsed = _parse_json(answer)
    if isinstance(parsed, Outcome):
        return parsed
    document, source = parsed
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for

    schema = check.schema_
    error = best_match(validator_for(schema)(schema).iter_errors(document))
    if error is None:
        return Outcome(True, f"{source} is valid against the schema")
    where = error.json_path
    return Outcome(False, f"{source} is invalid at {where}: {shorten(error.message, MESSAGE)}")


def _parse_json(answer: str) -> tuple[Any, str] | Outcome:
    """The answer's JSON document and where it came from, or the failed outcome."""
    try:
        return json.loads(answer), "the answer"
    except ValueError:
        pass
    block = next((block for block in fenced_blocks(answer) if block.tag == "json"), None)
    if block is None:
        return Outcome(False, "the answer is not JSON and has no ```json block")
    try:
        return json.loads(block.code), "the ```json block"
    except ValueError as exc:
        return Outcome(False, f"the ```json block is not valid JSON: {shorten(str(exc), MESSAGE)}")


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
