"""What every reader of run files needs before any model: a record's key and status, the
literals its fields take, the clock its timestamps come from, and the rules that tell an
answer is not whole. Imports nothing but the standard library, so the commands that only
read run files (`show`, `compare`, `report`) reach it without pydantic; `types`
re-exports all of it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

Status = Literal["ok", "unavailable", "error", "judge_error"]
"""A record's outcome: ok (graded), unavailable (its endpoint was down), error (its call
failed), judge_error (the judge replied, never with a valid verdict)."""

IdentitySource = Literal["digest", "file_sha256", "model"]
"""What identifies a model in a manifest: the server's digest, the sha256 of the embedded
GGUF file, or only the model string."""

RubricSeverity = Literal["fatal", "major", "minor"]
"""How much a rubric criterion matters: fatal (missing it caps the score), major, minor."""

IssueSeverity = Literal["fatal", "wrong", "inaccurate", "missing", "vague", "minor"]
"""How bad a problem the judge found is, most severe first (the report's order)."""

RecordKey = tuple[str, str, str] | tuple[str, str, str, int]
"""A result record's key: (task_id, candidate, judge) for sample 0, the key it had before
samples existed, and (task_id, candidate, judge, sample) for any other sample."""

CUT_REASONS = frozenset({"length", "max_tokens"})
"""Finish reasons that mean generation stopped at the token limit: "length" (OpenAI's, and
Ollama's done_reason, as litellm passes them on; llama.cpp's too), "max_tokens" (a
provider's own word, should litellm ever pass it through unmapped)."""


def utc_now() -> str:
    """The current time as an ISO 8601 string in UTC, as every timestamp in a run file."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def record_key(task_id: str, candidate: str, judge: str, sample: int = 0) -> RecordKey:
    """The key of the record for this task, candidate, judge and sample (`Record.key`)."""
    return (task_id, candidate, judge, sample) if sample else (task_id, candidate, judge)


def is_cut(finish_reason: str | None) -> bool:
    """Whether generation stopped at the token limit (`Answer.truncated`)."""
    return finish_reason in CUT_REASONS


def is_blank(text: str) -> bool:
    """Whether an answer's text is nothing but whitespace (`Answer.empty`)."""
    return not text or text.isspace()  # isspace stops at the first letter
