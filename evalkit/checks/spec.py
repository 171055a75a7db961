"""Check definitions: what a suite row's `checks` list may hold, validated before any run.

Guarantees:
- A `Check` that exists is runnable: its kind is known, its regex compiles, its JSON schema
  passes its metaschema, its code is not blank and its timeout is positive. Each violation is
  a pydantic error located at the offending field (`pattern`, `schema`, `code`, ...).
- `validate_checks` adds the rules that need the whole list and the task's rubric: ids are
  unique, and a `criterion` names one of the rubric's ids. Its errors are `ValueError`s whose
  message starts with the field, e.g. `checks[2].criterion: ...`.
- `checks_hash` depends only on what a check means: defaults written out or left implicit,
  key order and a schema given as JSON text or as an object all hash the same.

A suite whose checks are stored with an Arrow struct type (Parquet on the Hub, older
`datasets`) gives every check the union of all checks' keys, null where absent; `datasets`
5's JSON loader keeps each object as written (a `Json` feature, measured). So
`validate_checks` drops null-valued keys before validating (every optional field's default
is what null means there), and accepts `schema` as JSON text, a form any store keeps intact.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

CheckSeverity = Literal["fatal", "major", "minor"]
Expect = Literal["present", "absent"]

HASH_VERSION = 1
"""Part of every `checks_hash`: raise it when what a definition means changes, so that
stored results of the old meaning are not reused."""


class _CheckBase(BaseModel):
    """Fields every kind of check has."""

    model_config = ConfigDict(extra="forbid", defer_build=True, populate_by_name=True)

    id: str = Field(min_length=1)
    """Short identifier, unique within the task; the result carries it."""
    severity: CheckSeverity
    """fatal: a failed check caps the score like a missed fatal criterion; major; minor."""
    criterion: str | None = None
    """The rubric criterion id this check gives evidence for, if any; the judge's finding
    on that criterion is compared with the check's result."""


class RegexCheck(_CheckBase):
    """A Python regular expression searched for anywhere in the answer text."""

    kind: Literal["regex"]
    """The discriminator."""
    pattern: str = Field(min_length=1)
    """Python `re` syntax, searched with `re.search`; use inline flags such as `(?i)`."""
    expect: Expect = "present"
    """present: passes when the pattern matches; absent: passes when it does not."""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return pattern


class ContainsCheck(_CheckBase):
    """A literal piece of text looked for in the answer."""

    kind: Literal["contains"]
    """The discriminator."""
    text: str = Field(min_length=1)
    """The text to look for."""
    expect: Expect = "present"
    """present: passes when the text occurs; absent: passes when it does not."""
    case_sensitive: bool = False
    """By default the comparison ignores case (Unicode case folding)."""


class JsonSchemaCheck(_CheckBase):
    """The answer (or its first fenced `json` block) parsed as JSON and validated."""

    kind: Literal["json_schema"]
    """The discriminator."""
    schema_: dict[str, Any] | bool = Field(alias="schema")
    """A JSON Schema (any draft jsonschema knows; `$schema` picks it, else the latest). In a
    suite file it may also be given as JSON text."""

    @field_validator("schema_", mode="before")
    @classmethod
    def _parse_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"schema given as text is not JSON: {exc}") from None
        return value

    @field_validator("schema_")
    @classmethod
    def _valid_schema(cls, schema: dict[str, Any] | bool) -> dict[str, Any] | bool:
        from jsonschema.exceptions import SchemaError
        from jsonschema.validators import validator_for

        try:
            validator_for(schema).check_schema(schema)
        except SchemaError as exc:
            where = "/".join(str(part) for part in exc.path)
            raise ValueError(
                f"invalid JSON schema{f' at {where}' if where else ''}: {exc.message}"
            ) from None
        return schema


class PythonCheck(_CheckBase):
    """Check code run in the sandbox beside the answer's code (see evalkit.checks.sandbox)."""

    kind: Literal["python"]
    """The discriminator."""
    code: str
    """Written to `check.py` and run as `python check.py` beside `solution.py` (the answer's
    python blocks); the check passes when it exits 0 within `timeout`. Standard library
    only: the sandbox's interpreter does not load site-packages."""
    timeout: float = Field(default=10.0, gt=0)
    """Wall-clock seconds, sandbox start included; the process group is killed after it."""

    @field_validator("code")
    @classmethod
    def _not_blank(cls, code: str) -> str:
        if not code.strip():
            raise ValueError("must not be empty")
        return code


Check = Annotated[
    RegexCheck | ContainsCheck | JsonSchemaCheck | PythonCheck, Field(discriminator="kind")
]
"""One check definition; `kind` selects the model."""

TextCheck = RegexCheck | ContainsCheck | JsonSchemaCheck
"""The kinds evaluated on the answer text in-process, without a sandbox."""

CHECK_MODELS = (RegexCheck, ContainsCheck, JsonSchemaCheck, PythonCheck)
_KINDS = ("regex", "contains", "json_schema", "python")


@functools.cache
def check_adapter() -> TypeAdapter[Check]:
    """Validates one definition (a mapping) into its model; built on first use, not at
    import (building it costs about 15 ms)."""
    return TypeAdapter(Check)


def validate_checks(
    checks: Iterable[Mapping[str, Any] | Check], rubric_ids: Iterable[str]
) -> list[Check]:
    """The task's check definitions as models, or a ValueError naming the first bad field
    (`checks[2].criterion: ...`). Mappings are validated (null-valued keys dropped, see the
    module docstring); models are taken as they are and only the list rules are checked."""
    known = set(rubric_ids)
    validated: list[Check] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(checks):
        check = item if isinstance(item, CHECK_MODELS) else _validate_one(index, item)
        if check.id in seen:
            raise ValueError(
                f"checks[{index}].id: duplicate check id {check.id!r} "
                f"(also checks[{seen[check.id]}])"
            )
        seen[check.id] = index
        if check.criterion is not None and check.criterion not in known:
            choices = ", ".join(sorted(known)) or "none"
            raise ValueError(
                f"checks[{index}].criterion: {check.criterion!r} is not a rubric id "
                f"of this task (rubric ids: {choices})"
            )
        validated.append(check)
    return validated


def _validate_one(index: int, item: Mapping[str, Any]) -> Check:
    """One mapping validated, its errors reworded as `checks[i].field: message`."""
    if not isinstance(item, Mapping):
        raise ValueError(f"checks[{index}]: expected an object, got {type(item).__name__}")
    present = {key: value for key, value in item.items() if value is not None}
    try:
        return check_adapter().validate_python(present)
    except ValidationError as exc:
        raise ValueError(_describe(index, exc)) from None


def _describe(index: int, exc: ValidationError) -> str:
    """Pydantic's errors as `checks[i].field: message`, without the kind's name in the path
    that a discriminated union inserts (`checks[0].regex.pattern` reads as a field)."""
    parts = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        if loc and loc[0] in _KINDS:
            loc = loc[1:]
        where = ".".join([f"checks[{index}]", *loc])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key for this kind (a typo?)"
        elif error["type"] == "union_tag_invalid":
            where = f"checks[{index}].kind"
            message = f"unknown kind {error['input'].get('kind')!r} (one of: {', '.join(_KINDS)})"
        elif error["type"] == "union_tag_not_found":
            where = f"checks[{index}].kind"
            message = f"missing (one of: {', '.join(_KINDS)})"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def checks_hash(checks: Sequence[Check]) -> str:
    """sha256 (hex) of the definitions' canonical JSON: a stored result may be reused when
    the task's checks hash the same as when it was made."""
    canonical = json.dumps(
        {
            "version": HASH_VERSION,
            "checks": [check.model_dump(mode="json", by_alias=True) for check in checks],
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
