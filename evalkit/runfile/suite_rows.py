"""Suite rows decoded natively, for the report's fast path (`report.suite_text`): msgspec,
which evalkit keeps to the run-file readers, decodes each row of a suite's data/*.jsonl
into a `SuiteRow` and encodes its canonical JSON for the fingerprint.

Guarantees: a `SuiteRow` has the fields of `types.Task` (but checks, which a task without
them omits) in its order, and accepts what the Task model accepts or less (unknown fields,
checks and nulls for absent columns are refused); for the rows it accepts, msgspec and
pydantic decode the same values and encode the same bytes (every code point checked,
tests/report/test_suite_text.py), so `read_rows`' fingerprint is the one
`suites.rows.fingerprint` computes. Anything else returns None: the caller reads the suite
the exact way. That the fields are Task's and Criterion's, in their order, is a test
(tests/report/test_suite_text.py), not a check at run time: it would import pydantic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import msgspec

from evalkit.keys import RubricSeverity

_Text = Annotated[str, msgspec.Meta(min_length=1)]


class SuiteCriterion(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """`types.Criterion` as the fast path reads it: the same fields, in the same order."""

    id: _Text
    """Short identifier, unique within its task."""
    criterion: _Text
    """What a good answer does."""
    severity: RubricSeverity
    """fatal, major or minor."""


class SuiteRow(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A suite row without checks as the fast path reads it: `types.Task`'s fields in its
    order, so its JSON is the Task's canonical JSON (a task without checks omits them)."""

    id: _Text
    """The task's id."""
    prompt: _Text
    """The user message."""
    reference: _Text
    """What a good answer contains."""
    rubric: Annotated[list[SuiteCriterion], msgspec.Meta(min_length=1)]
    """The criteria."""
    system: str | None = None
    """An optional system message."""
    category: str | None = None
    """A grouping for reports."""
    tags: list[str] = msgspec.field(default_factory=list)
    """Free-form labels."""


_ROW = msgspec.json.Decoder(SuiteRow)


def read_rows(files: Iterable[Path]) -> tuple[list[SuiteRow], str] | None:
    """The non-blank rows of `files` (split into lines as `str.splitlines` splits them) and
    their fingerprint, when every row decodes as a `SuiteRow`; None otherwise."""
    encode = msgspec.json.encode
    rows, digest = [], hashlib.sha256()
    try:
        for path in files:
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = _ROW.decode(line)
                    digest.update(encode(row) + b"\n")
                    rows.append(row)
    except (OSError, ValueError, msgspec.MsgspecError):
        return None
    return rows, digest.hexdigest()
